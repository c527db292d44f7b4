# SPDX-License-Identifier: GPL-2.0-only
# pmem_1_main: a fresh (label-less) region -> "ndctl-xen create-namespace
# --xen-reserve --mode=fsdax" -> xen_pmem claims the reservation namespace
# and the stub records exactly the frames the sizing rule gives (computed
# independently by pmem_t); the reserved range is busy and exclusive in
# /proc/iomem, unmappable through /dev/mem and unclaimable by nd_pmem; the
# fsdax data namespace carries a DAX-mounted filesystem (write, remount,
# read back, compare); the module is pinned while the report is live;
# unbind keeps the fence (an orphan the tool recognises as Xen's: list,
# check and release leave it alone), "ndctl-xen reserve" hands it back and
# the fence is adopted; reload re-derives an identical report.  The module
# has no nd alias (udev must not load it on every host).  The later pmem_* scenarios of this boot use the media it leaves
# (reservation namespace0.0; data namespace0.1 whose filesystem holds
# data.bin, a copy of /tmp/pmem-data.bin).
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

# jget FILE KEY: the first value of "KEY" in pretty-printed JSON.
jget() {
	sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" |
		head -n 1
}

t_eq "xen_pmem.ko carries no nd: alias" 0 \
	"$(tr '\0' '\n' <$XPV_MODDIR/xen_pmem.ko | grep -c '^alias=nd:')"
t_modprobe libnvdimm || exit 1
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pmem || exit 1
# The region appears with xen_pmem registered before nd_pmem: it is offered
# the label-less namespace first and declines it, saying why.
t_modprobe nfit || exit 1
t_wait 100 test -e $NSD/region0
t_dmesg_has "label-less namespace declined with a reason" \
	"namespace0.0: label-less namespace: cannot hold a Xen reservation"
t_modprobe nd_pmem || exit 1
t_modprobe ext4
t_wait 100 test -b /dev/pmem0
t_eq "label-less namespace0.0 went to nd_pmem" nd_pmem \
	"$(basename "$(readlink $NSD/namespace0.0/driver)")"

# As ndctl: an active label-less namespace is replaced only with --force.
out=$(ndctl-xen create-namespace --xen-reserve --mode=fsdax 2>&1 >/dev/null)
rc=$?
t_eq "without --force: exit 1" 1 $rc
t_check "without --force: the error names the active namespace and --force" \
	sh -c "echo '$out' | grep -q 'namespace0.0: label-less and active.*specify --force'"
t_eq "nothing reported after the refusal" "reports 0" "$(cat $STUB/pmem)"

ndctl-xen create-namespace --xen-reserve --mode=fsdax --force \
	>/tmp/create.json 2>/tmp/create.err
rc=$?
cat /tmp/create.json /tmp/create.err
t_eq "create-namespace --xen-reserve --mode=fsdax --force: exit 0" 0 $rc || exit 1
t_eq "JSON: the reservation is namespace0.0" $RNS "$(jget /tmp/create.json dev)"
t_eq "JSON: its media were written" written "$(jget /tmp/create.json action)"
t_eq "JSON: the data namespace is fsdax" fsdax "$(jget /tmp/create.json mode)"
t_eq "reservation namespace named xen-pagemap" xen-pagemap \
	"$(cat $NSD/$RNS/alt_name)"
t_eq "reservation namespace bound to xen_pmem" xen_pmem \
	"$(basename "$(readlink $NSD/$RNS/driver)")"
t_eq "data namespace on /dev/pmem0.1" pmem0.1 "$(jget /tmp/create.json blockdev)"
t_check "/dev/pmem0.1 exists" test -b /dev/pmem0.1

# The report: exactly the sizing rule's frames.
rspa=$(cat $NSD/region0/resource)
rsize=$(cat $NSD/region0/size)
nsspa=$(cat $NSD/$RNS/resource)
nssize=$(cat $NSD/$RNS/size)
t_eq "reservation namespace at the region start" "$rspa" "$nsspa"
expect=$(pmem_t expect "$rspa" "$rsize" "$nsspa" "$nssize")
t_log "expected: $expect"
t_eq "stub recorded exactly one report, with the sizing rule's frames" \
	"report 0 $expect
reports 1" "$(cat $STUB/pmem)"
t_eq "state reported" reported "$(cat $X/state)"
t_eq "last_error 0" 0 "$(cat $X/last_error)"
t_eq "xen_owns 1; the driver lists it" "1 $RNS" \
	"$(cat $X/xen_owns) $(cat /sys/bus/nd/drivers/xen_pmem/xen_owned)"
t_eq "covered range = the region" "$rspa $rsize" \
	"$(cat $X/covered_spa) $(cat $X/covered_size)"
# 1022 MiB at 4 GiB: page_info 8 MiB + M2P 2 MiB + compat 2 MiB + spare 2 MiB.
t_eq "reserved: 14 MiB at namespace start + 2 MiB" \
	"$(printf '%#x' $((nsspa + 0x200000))) 14680064" \
	"$(cat $X/reserved_spa) $(cat $X/reserved_size)"
t_eq "data: the rest of the region" \
	"$(printf '%#x' $((nsspa + nssize))) $((rspa + rsize - nsspa - nssize))" \
	"$(cat $X/data_spa) $(cat $X/data_size)"
t_eq "info block: primary used, nothing repaired" "primary none" \
	"$(cat $X/info_block) $(cat $X/repaired)"
t_dmesg_has "one line says what was reported" \
	"namespace0.0: reported to stub: region 0x100000000-0x13fdfffff reserved 0x100200000-0x100ffffff \(14 MiB\)"

# Fenced: busy + exclusive over exactly the reserved range.
rs=$(cat $X/reserved_spa)
re=$(printf '%x' $((rs + $(cat $X/reserved_size) - 1)))
t_eq "/proc/iomem: the reserved range is busy as 'Xen pmem reserved'" \
	"${rs#0x}-$re : Xen pmem reserved" \
	"$(grep 'Xen pmem reserved' /proc/iomem | sed 's/^ *//')"
t_errno "/dev/mem cannot map the reserved range" EPERM \
	pmem_t memread "$rs" 4096
t_errno "/dev/mem cannot map its last page" EPERM \
	pmem_t memread $((0x$re - 4095)) 4096
t_eq "/dev/mem still maps the header: the info block signature" \
	XEN_PMEM_INFO "$(pmem_t memread $((nsspa + 4096)) 13)"

# The data namespace: a DAX-mounted filesystem, data read back.
t_check "mke2fs on /dev/pmem0.1" mke2fs -q -b 4096 /dev/pmem0.1
mkdir -p $MNT
t_check "mount -o dax" mount -t ext4 -o dax /dev/pmem0.1 $MNT
t_check "mounted with DAX" sh -c "grep ' $MNT ' /proc/mounts | grep -q dax"
dd if=/dev/urandom of=/tmp/data.bin bs=4096 count=256 2>/dev/null
t_check "write 1 MiB to the DAX filesystem" cp /tmp/data.bin $MNT/data.bin
sync
t_check "umount" umount $MNT
echo 3 >/proc/sys/vm/drop_caches
t_check "mount -o dax again" mount -t ext4 -o dax /dev/pmem0.1 $MNT
t_eq "data read back equals data written" "$(md5sum </tmp/data.bin)" \
	"$(md5sum <$MNT/data.bin)"
cp /tmp/data.bin /tmp/pmem-data.bin
t_check "umount" umount $MNT

# Pinned while Xen owns the range.
t_errno "rmmod xen_pmem refused while the report is live" EAGAIN \
	xpv_mod unload xen_pmem
# Unbind: the fence stays (Xen owns the range); nd_pmem cannot take it.
t_check "unbind the reservation namespace" \
	sh -c "echo $RNS >$NSD/$RNS/driver/unbind"
t_dmesg_has "unbind says the range stays fenced" \
	"namespace0.0: unbound while the hypervisor may own its reserved range: it stays fenced until reboot"
t_eq "fence kept after unbind" 1 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_errno "nd_pmem cannot bind it: the reserved range is busy" EBUSY \
	sh -c "echo $RNS >/sys/bus/nd/drivers/nd_pmem/bind"
t_eq "unbound: still listed as owned by Xen" $RNS \
	"$(cat /sys/bus/nd/drivers/xen_pmem/xen_owned)"
ndctl-xen list >/tmp/orphan.json
t_eq "list: the unbound reservation is an orphan Xen may own" \
	"none orphan true" \
	"$(jget /tmp/orphan.json driver) $(jget /tmp/orphan.json state) $(jget /tmp/orphan.json xen_owns)"
out=$(ndctl-xen release -r region0 --force 2>&1)
t_eq "release of the orphan: exit 1" 1 $?
t_check "release of the orphan: says Xen may own it" \
	sh -c "echo '$out' | grep -q 'namespace0.0: the hypervisor may own its reserved area'"
ndctl-xen check -r region0 >/tmp/ocheck.json
t_eq "check of the orphan: exit 0, not read, left unbound" \
	"0 none (Xen may own it) none" \
	"$? $(jget /tmp/ocheck.json action) $(jget /tmp/ocheck.json driver)"
ndctl-xen reserve -r region0 >/tmp/oreserve.json 2>/tmp/oreserve.err
t_eq "reserve hands the orphan back: exit 0, media not touched, reported" \
	"0 none (Xen may own it) reported" \
	"$? $(jget /tmp/oreserve.json action) $(jget /tmp/oreserve.json state)"
t_check "reserve says so" grep -q \
	"namespace0.0: the hypervisor may own its reserved area: handed back to xen_pmem" \
	/tmp/oreserve.err
t_eq "rebound: reported again, identical (still one record)" \
	"reported
report 0 $expect
reports 1" "$(cat $X/state; cat $STUB/pmem)"
t_eq "the kept fence was adopted" "adopted 1" "$(grep adopted $XP/stats)"
t_eq "one fence" 1 "$(grep -c 'Xen pmem reserved' /proc/iomem)"

# Re-running the tool on a reported reservation touches nothing.
before=$(pmem_t memread "$nsspa" 12288 | md5sum)
ndctl-xen reserve -r region0 >/tmp/again.json
t_eq "reserve again: exit 0" 0 $?
t_eq "reserve again: no media access" "none (reported: Xen owns it)" \
	"$(jget /tmp/again.json action)"
t_eq "reserve again: header bytes identical" "$before" \
	"$(pmem_t memread "$nsspa" 12288 | md5sum)"

# Reload (stub only: forget the pins): the report is re-derived from the
# media and identical.
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_eq "fence gone with the module" 0 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_insmod xen_pmem
t_eq "reload: reported, identical report, still one record" \
	"reported
report 0 $expect
reports 1" "$(cat $X/state; cat $STUB/pmem)"
t_eq "stub counters: 1 accepted, 2 identical re-reports" \
	"pmem_ok 1 pmem_identical 2" \
	"$(grep -E '^pmem_(ok|identical) ' $STUB/counters | tr '\n' ' ' | sed 's/ $//')"
t_eq "fenced again" 1 "$(grep -c 'Xen pmem reserved' /proc/iomem)"

t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours left" "" "$(t_our_modules)"
exit 0
