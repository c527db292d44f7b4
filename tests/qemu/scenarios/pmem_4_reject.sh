# SPDX-License-Identifier: GPL-2.0-only
# pmem_4_reject: the hypervisor says no.  The stub returns -ENOSYS (no
# report op), -EEXIST (a report overlapping one it already has) and
# -ENOSPC (its page_info is bigger than the reservation was sized for):
# each gives a clear state in sysfs (state, last_error, reason) and one
# kernel line; the reserved range stays fenced; the module is pinned only
# when Xen may own the range (-EEXIST); nothing is lost: the data
# filesystem and both info blocks are intact, and once the hypervisor
# accepts, the same media give the expected report.  Uses pmem_1_main's
# media.
# kernels: all
# needs: nvdimm
# boot: pmem
# timeout: 300

NSD=/sys/bus/nd/devices
STUB=/sys/kernel/debug/xen_hvstub
XP=/sys/kernel/debug/xen_pmem
RNS=namespace0.0
X=$NSD/$RNS/xen_pmem
MNT=/mnt/pmem

jget() {
	sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" |
		head -n 1
}
# intact DESC: the data filesystem still holds pmem_1_main's data.
intact() {
	mkdir -p $MNT
	mount -t ext4 -o dax /dev/pmem0.1 $MNT
	t_eq "$1: data filesystem intact" "$(md5sum </tmp/pmem-data.bin)" \
		"$(md5sum <$MNT/data.bin 2>&1)"
	umount $MNT
}
state() {
	echo "$(cat $X/state) $(cat $X/last_error) $(cat $X/reason)"
}

t_modprobe libnvdimm || exit 1
t_modprobe nfit || exit 1
t_modprobe nd_pmem || exit 1
t_modprobe ext4
t_insmod xen_pvcore || exit 1
t_wait 100 test -b /dev/pmem0.1
rspa=$(cat $NSD/region0/resource)
rsize=$(cat $NSD/region0/size)
expect=$(pmem_t expect "$rspa" "$rsize" "$(cat $NSD/$RNS/resource)" \
	"$(cat $NSD/$RNS/size)")

# ---- -ENOSYS ------------------------------------------------------------------
t_insmod xen_hvstub pmem_enosys=1 || exit 1
t_insmod xen_pmem || exit 1
t_eq "ENOSYS: the module's op probe saw it" -38 "$(cat $XP/probe_rc)"
t_dmesg_has "ENOSYS: said at load" \
	"stub backend: pmem report op 0x5850 unavailable \(-38\): reservations are validated and fenced but not reported"
t_eq "ENOSYS: state" \
	"unsupported -38 the hypervisor has no pmem report op" "$(state)"
t_dmesg_has "ENOSYS: one kernel line" \
	"namespace0.0: the hypervisor has no pmem report op \(stub, platform op 0x5850\): not reported; reserved range stays fenced"
t_eq "ENOSYS: the reserved range is fenced" 1 \
	"$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_eq "ENOSYS: geometry known" 14680064 "$(cat $X/reserved_size)"
t_eq "ENOSYS: nothing recorded" "reports 0" "$(cat $STUB/pmem)"
t_eq "ENOSYS: not pinned" 0 "$(cat /sys/module/xen_pmem/refcnt)"
ndctl-xen status >/tmp/st.json
t_eq "ENOSYS: ndctl-xen status exits 1" 1 $?
t_eq "ENOSYS: status shows the state" unsupported "$(jget /tmp/st.json state)"
t_eq "ENOSYS: status shows the op unavailable" unavailable \
	"$(jget /tmp/st.json report_op)"
intact "ENOSYS"
ndctl-xen check -r region0 >/tmp/check.json
t_eq "ENOSYS: check: exit 0" 0 $?
t_eq "ENOSYS: check: both copies valid, nothing written" "valid valid none" \
	"$(jget /tmp/check.json primary) $(jget /tmp/check.json backup) $(jget /tmp/check.json action)"
t_eq "ENOSYS: check handed it back" unsupported "$(cat $X/state)"
# The hypervisor learns the op: the same media report as expected.
t_check "stub: pmem_enosys off" sh -c "echo 'set pmem_enosys 0' >$STUB/ctl"
ndctl-xen reserve -r region0 >/tmp/res.json
t_eq "after ENOSYS: reserve exits 0" 0 $?
t_eq "after ENOSYS: reserve verified, wrote nothing" none \
	"$(jget /tmp/res.json action)"
t_eq "after ENOSYS: reported, as expected" "reported 0 
report 0 $expect
reports 1" "$(state; cat $STUB/pmem)"
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_rmmod xen_hvstub

# ---- -EEXIST: the hypervisor already has an overlapping report ----------------
t_insmod xen_hvstub || exit 1
s=$((rspa >> 12))
t_check "stub: an earlier report over the region's first 4 MiB" \
	pmem_t report $s $((s + 0x400)) $s $((s + 0x200)) $((s + 0x200)) $((s + 0x400))
earlier=$(cat $STUB/pmem)
t_insmod xen_pmem || exit 1
t_eq "EEXIST: state" \
	"rejected -17 overlaps a range the hypervisor already has" "$(state)"
t_dmesg_has "EEXIST: one kernel line" \
	"namespace0.0: report refused by stub \(-17: overlaps a range the hypervisor already has\): not reported; reserved range stays fenced"
t_eq "EEXIST: the hypervisor still has only the earlier report" "$earlier" \
	"$(cat $STUB/pmem)"
t_eq "EEXIST: fenced" 1 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_eq "EEXIST: Xen may own the range: pinned" 1 \
	"$(cat /sys/module/xen_pmem/refcnt)"
t_errno "EEXIST: rmmod refused" EAGAIN xpv_mod unload xen_pmem
intact "EEXIST"
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_rmmod xen_hvstub

# ---- -ENOSPC: the hypervisor's page_info is bigger ---------------------------
t_insmod xen_hvstub page_info_size=64 || exit 1
t_insmod xen_pmem || exit 1
t_eq "ENOSPC: state" \
	"rejected -28 reserved area too small for the hypervisor's page_info/M2P" \
	"$(state)"
t_dmesg_has "ENOSPC: one kernel line" \
	"namespace0.0: report refused by stub \(-28: reserved area too small"
t_eq "ENOSPC: nothing recorded" "reports 0" "$(cat $STUB/pmem)"
t_eq "ENOSPC: fenced" 1 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_eq "ENOSPC: not pinned" 0 "$(cat /sys/module/xen_pmem/refcnt)"
intact "ENOSPC"
t_rmmod xen_pmem
t_eq "ENOSPC: unloading releases the fence" 0 \
	"$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_rmmod xen_hvstub

# ---- nothing lost: a hypervisor that accepts gets the expected report --------
t_insmod xen_hvstub || exit 1
t_insmod xen_pmem || exit 1
t_eq "afterwards: reported, as expected" "reported 0 
report 0 $expect
reports 1" "$(state; cat $STUB/pmem)"
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
