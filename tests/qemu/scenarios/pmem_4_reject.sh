# SPDX-License-Identifier: GPL-2.0-only
# pmem_4_reject: the hypervisor says no.  The stub returns -ENOSYS (no
# report op), -EEXIST (a report overlapping one it already has), -ENOSPC
# (its page_info is bigger than the reservation was sized for), -EPERM
# (not the hardware domain) and -ENOMEM (its table of reports is full):
# each gives a clear state in sysfs (state, last_error, reason, xen_owns)
# and one kernel line; the reserved range stays fenced; the module is
# pinned, and the tool keeps its hands off, whenever Xen may own the range
# (anything but -ENOSYS/-EPERM/-EINVAL/-ENOSPC: here -EEXIST and -ENOMEM);
# nothing is lost: the data filesystem and both info blocks are intact,
# and once the hypervisor accepts, the same media give the expected
# report.  With the namespace held by xen_pmem (-ENOSYS), "ndctl-xen
# check" without --repair writes nothing, neither itself nor through the
# module: damaged media are left disabled rather than handed back to a
# driver that would repair them.  Uses pmem_1_main's media.
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
# drv: the reservation namespace's driver, "none" when unbound.
drv() {
	local d
	d=$(readlink $NSD/$RNS/driver)
	basename "${d:-none}"
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
t_eq "ENOSYS: not Xen's" 0 "$(cat $X/xen_owns)"
# Damage the backup under the module (the header is not fenced).
nsspa=$(cat $NSD/$RNS/resource)
pmem_t memread $((nsspa + 8192)) 4096 >/tmp/backup.orig
cp /tmp/backup.orig /tmp/backup.bad
pmem_t set /tmp/backup.bad --keep-csum byte@0x200=0x5a
t_check "damage the backup through /dev/mem" \
	pmem_t memwrite $((nsspa + 8192)) /tmp/backup.bad
before=$(pmem_t memread "$nsspa" 12288 | md5sum)
ndctl-xen check -r region0 >/tmp/check.json 2>/tmp/check.err
t_eq "check, backup damaged: exit 0, needs repair, not repaired" \
	"0 valid checksum mismatch backup needs repair" \
	"$? $(jget /tmp/check.json primary) $(jget /tmp/check.json backup) $(jget /tmp/check.json action)"
t_eq "check without --repair: not a byte written, by the tool or the module" \
	"$before" "$(pmem_t memread "$nsspa" 12288 | md5sum)"
t_eq "check without --repair: left disabled, not handed to the module" \
	none "$(drv)"
t_check "check says why" grep -q \
	"namespace0.0: left disabled, not bound to xen_pmem again: xen_pmem would rewrite its info block" \
	/tmp/check.err
ndctl-xen check --repair -r region0 >/tmp/check.json
t_eq "check --repair: backup repaired, media as before the damage" \
	"0 repaired backup $(md5sum </tmp/backup.orig)" \
	"$? $(jget /tmp/check.json action) $(pmem_t memread $((nsspa + 8192)) 4096 | md5sum)"
t_eq "check --repair of a disabled namespace: left disabled" none \
	"$(drv)"
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
	"namespace0.0: report refused by stub \(-17: overlaps a range the hypervisor already has\): the hypervisor may own the reserved range: it stays fenced until reboot"
t_eq "EEXIST: the hypervisor still has only the earlier report" "$earlier" \
	"$(cat $STUB/pmem)"
t_eq "EEXIST: fenced" 1 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_eq "EEXIST: Xen may own the range: pinned" 1 \
	"$(cat /sys/module/xen_pmem/refcnt)"
t_errno "EEXIST: rmmod refused" EAGAIN xpv_mod unload xen_pmem
t_eq "EEXIST: xen_owns" 1 "$(cat $X/xen_owns)"
h0=$(pmem_t memread "$(cat $NSD/$RNS/resource)" 12288 | md5sum)
ndctl-xen reserve -r region0 >/tmp/res.json
t_eq "EEXIST: reserve keeps off: exit 0, state kept" \
	"0 none (Xen may own it) rejected xen_pmem" \
	"$? $(jget /tmp/res.json action) $(cat $X/state) $(basename "$(readlink $NSD/$RNS/driver)")"
ndctl-xen check -r region0 >/tmp/check.json
t_eq "EEXIST: check keeps off" "0 none (Xen may own it) true" \
	"$? $(jget /tmp/check.json action) $(jget /tmp/check.json xen_owns)"
out=$(ndctl-xen release -r region0 --force 2>&1)
t_eq "EEXIST: release refused" 1 $?
t_check "EEXIST: release says the hypervisor may own it" \
	sh -c "echo '$out' | grep -q 'namespace0.0: the hypervisor may own its reserved area'"
t_eq "EEXIST: media untouched" "$h0" \
	"$(pmem_t memread "$(cat $NSD/$RNS/resource)" 12288 | md5sum)"
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
t_eq "ENOSPC: not Xen's" 0 "$(cat $X/xen_owns)"
intact "ENOSPC"
t_rmmod xen_pmem
t_eq "ENOSPC: unloading releases the fence" 0 \
	"$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_rmmod xen_hvstub

# ---- -EPERM: not the hardware domain --------------------------------------------
t_insmod xen_hvstub hardware_domain=0 || exit 1
t_insmod xen_pmem || exit 1
t_eq "EPERM: state" "rejected -1 not the hardware domain" "$(state)"
t_eq "EPERM: not Xen's, not pinned" "0 0" \
	"$(cat $X/xen_owns) $(cat /sys/module/xen_pmem/refcnt)"
t_rmmod xen_pmem
t_eq "EPERM: unloading releases the fence" 0 \
	"$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_rmmod xen_hvstub

# ---- -ENOMEM: the hypervisor's report table is full ---------------------------
# Not "nothing was taken": the range may be Xen's, so it stays fenced.
t_insmod xen_hvstub || exit 1
i=0
full=0
while [ $i -lt 64 ]; do
	s=$((0x20000000 + i * 0x400))
	pmem_t report $s $((s + 0x400)) $s $((s + 0x200)) $((s + 0x200)) \
		$((s + 0x400)) >/dev/null && full=$((full + 1))
	i=$((i + 1))
done
t_eq "ENOMEM: the stub holds 64 reports at 2 TiB" "64 reports 64" \
	"$full $(tail -n 1 $STUB/pmem)"
t_insmod xen_pmem || exit 1
t_eq "ENOMEM: state" \
	"rejected -12 the hypervisor is out of memory for reports" "$(state)"
t_dmesg_has "ENOMEM: one kernel line" \
	"namespace0.0: report refused by stub \(-12: the hypervisor is out of memory for reports\): the hypervisor may own the reserved range: it stays fenced until reboot"
t_eq "ENOMEM: Xen may own it: fenced, pinned" "1 1 1" \
	"$(cat $X/xen_owns) $(grep -c 'Xen pmem reserved' /proc/iomem) $(cat /sys/module/xen_pmem/refcnt)"
t_errno "ENOMEM: rmmod refused" EAGAIN xpv_mod unload xen_pmem
t_check "unbind" pmem_t unbind $RNS
t_eq "ENOMEM: unbound, the fence is kept" 1 \
	"$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_eq "ENOMEM: gone after forget" 0 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
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
