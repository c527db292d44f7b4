# SPDX-License-Identifier: GPL-2.0-only
# pmem_6_hotplug: a second NVDIMM, prepared elsewhere, is hot-added (QMP
# object-add + device_add nvdimm, ACPI _FIT notification) while xen_pmem
# runs: its reservation namespace is claimed, validated, fenced and
# reported with the sizing rule's frames, and its data namespace is usable
# -- without any command in this guest.  The runner prepares the NVDIMM
# first in a short boot of its own, with the NVDIMM cold-plugged at the
# same slot and address (same NFIT serial and SPA), running this file as
# "pmem_6_hotplug.prep" (tests/qemu/README.md, "Host requests").
# kernels: all
# needs: nvdimm
# boot: pmem-hotplug
# timeout: 400

NSD=/sys/bus/nd/devices
STUB=/sys/kernel/debug/xen_hvstub
XP=/sys/kernel/debug/xen_pmem
MNT=/mnt/pmem
HP_ADDR=0x140000000	# right after the boot-time 1 GiB NVDIMM
HP_MIB=1024
HP_SLOT=1

jget() {
	sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" |
		head -n 1
}

t_modprobe libnvdimm || exit 1

case $XPV_NAME in
*.prep)
	# The prep boot: only the hot-plug NVDIMM, cold-plugged; no xen_pmem.
	t_modprobe nfit || exit 1
	t_modprobe nd_pmem || exit 1
	t_modprobe ext4
	t_wait 100 test -e $NSD/region0
	t_eq "prep: the NVDIMM sits at the hot-plug address" \
		"$(printf '%#x' $HP_ADDR)" "$(cat $NSD/region0/resource)"
	ndctl-xen create-namespace --xen-reserve --mode=fsdax --force \
		>/tmp/create.json
	t_eq "prep: create-namespace --xen-reserve --mode=fsdax: exit 0" 0 $? ||
		exit 1
	t_eq "prep: media written, left for xen_pmem" "written unclaimed" \
		"$(jget /tmp/create.json action) $(jget /tmp/create.json state)"
	t_wait 100 test -b /dev/pmem0.1
	t_check "prep: mke2fs" mke2fs -q -b 4096 /dev/pmem0.1
	mkdir -p $MNT
	t_check "prep: mount -o dax" mount -t ext4 -o dax /dev/pmem0.1 $MNT
	dd if=/dev/urandom of=$MNT/data.bin bs=4096 count=256 2>/dev/null
	md5sum <$MNT/data.bin >$MNT/data.md5
	sync
	t_check "prep: umount" umount $MNT
	exit 0
	;;
esac

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pmem || exit 1
t_modprobe nfit || exit 1
t_modprobe nd_pmem || exit 1
t_modprobe ext4
t_wait 100 test -e $NSD/region0
t_eq "before: one region, nothing reported" "region0 reports 0" \
	"$(ls -d $NSD/region* | sed 's|.*/||' | tr '\n' ' ')$(cat $STUB/pmem)"

# Ask the runner: prepare an NVDIMM elsewhere, then hot-add it here.
t_dmesg_mark "hotplug"
printf '<6>@@XPV HOST %s nvdimm-hotplug 1 %s %s %s prep\n' "$XPV_NAME" \
	$HP_MIB $HP_SLOT $HP_ADDR >/dev/kmsg
# The prep boot takes a while under TCG: up to 300 s for the region.
t_wait 3000 test -e $NSD/region1
ns=
i=0
while [ $i -lt 300 ] && [ -z "$ns" ]; do
	for d in $NSD/namespace1.*; do
		[ -e "$d/xen_pmem/state" ] && ns=${d##*/}
	done
	[ -n "$ns" ] || sleep 0.2
	i=$((i + 1))
done
t_check "the hot-added region appeared" test -e $NSD/region1 || {
	t_log "no region1: see the runner's .qemu.log and the .prep.* logs"
	exit 1
}
t_eq "its NFIT range is at the hot-plug address" \
	"$(printf '%#x' $HP_ADDR)" "$(cat $NSD/region1/resource)"
t_eq "its reservation namespace was claimed by xen_pmem" namespace1.0 "$ns"
X=$NSD/$ns/xen_pmem
t_eq "reported, without a command in this guest" reported "$(cat $X/state)"
expect=$(pmem_t expect "$(cat $NSD/region1/resource)" \
	"$(cat $NSD/region1/size)" "$(cat $NSD/$ns/resource)" \
	"$(cat $NSD/$ns/size)")
t_eq "stub: exactly one report, with the sizing rule's frames" \
	"report 0 $expect
reports 1" "$(cat $STUB/pmem)"
t_dmesg_has "one kernel line" "$ns: reported to stub: region 0x140000000-"
rs=$(cat $X/reserved_spa)
re=$(printf '%x' $((rs + $(cat $X/reserved_size) - 1)))
t_eq "its reserved range is fenced" "${rs#0x}-$re : Xen pmem reserved" \
	"$(grep 'Xen pmem reserved' /proc/iomem | sed 's/^ *//')"
t_eq "one claim, no takeover" "claims 1 takeovers 0" \
	"$(grep -E '^(claims|takeovers) ' $XP/stats | tr '\n' ' ' | sed 's/ $//')"
# The prepared data namespace came along.
t_wait 100 test -b /dev/pmem1.1
mkdir -p $MNT
t_check "the hot-added data namespace mounts with DAX" \
	mount -t ext4 -o dax /dev/pmem1.1 $MNT
t_eq "the data written in the prep boot reads back" \
	"$(cat $MNT/data.md5 2>&1)" "$(md5sum <$MNT/data.bin 2>&1)"
umount $MNT

t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
