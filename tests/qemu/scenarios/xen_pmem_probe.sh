# SPDX-License-Identifier: GPL-2.0-only
# xen_pmem_probe: in a real PV Dom0 on Debian's Xen (pvcore loaded, no
# stub) xen_pmem loads and says, in one line, that the pmem report
# platform op is unavailable (-ENOSYS); the emulated NVDIMM stays usable:
# labels, a raw namespace (left to nd_pmem), data written through
# /dev/pmem0 reads back, also after the modules are gone.  (fsdax would
# need --map=mem in a PV Dom0, see DESIGN §2; raw is enough here.)
# hypervisor: xen
# kernels: all
# needs: nvdimm
# timeout: 150

# xen_pmem is an nd driver: libnvdimm first.
t_modprobe libnvdimm || exit 1
t_insmod xen_pvcore || exit 1
t_insmod xen_pmem || exit 1
t_eq "xen_pmem printed exactly one line" 1 \
	"$(t_dmesg | grep -c 'xen:xen_pmem:')"
t_dmesg_has "the real platform op gave -ENOSYS" \
	"xen:xen_pmem: xen backend: pmem report op 0x[0-9a-f]+ unavailable \(-38\)"
if [ -e /sys/kernel/debug/xen_pmem/probe_rc ]; then
	t_eq "debugfs probe_rc is -ENOSYS" -38 \
		"$(cat /sys/kernel/debug/xen_pmem/probe_rc)"
else
	t_skip "debugfs probe_rc is -ENOSYS" "no xen_pmem/probe_rc in debugfs"
fi

t_modprobe nfit
t_modprobe nd_pmem
t_wait 100 test -e /sys/bus/nd/devices/region0
t_check "ndctl: disable the region" ndctl disable-region region0
t_check "ndctl: initialise labels" ndctl init-labels -f nmem0
t_check "ndctl: enable the region" ndctl enable-region region0
t_check "ndctl: create a 64 MiB raw namespace" \
	sh -c 'ndctl create-namespace -r region0 -m raw -s 64M >/tmp/ns.json'
cat /tmp/ns.json
ns=$(sed -n 's/.*"dev":"\(namespace[0-9.]*\)".*/\1/p' /tmp/ns.json)
blk=$(sed -n 's/.*"blockdev":"\(pmem[0-9.]*\)".*/\1/p' /tmp/ns.json)
t_check "the namespace has a pmem block device" test -n "$blk"
t_wait 100 test -b "/dev/$blk"
t_eq "/dev/$blk is 64 MiB" 131072 "$(cat "/sys/block/$blk/size")"
t_eq "the raw namespace is bound to nd_pmem, not xen_pmem" nd_pmem \
	"$(basename "$(readlink "/sys/bus/nd/devices/$ns/driver")")"
t_roundtrip "pmem, xen_pmem loaded" "/dev/$blk" 0 256
cp "$XPV_STATE/roundtrip.w" /tmp/pmem.w

t_rmmod xen_pmem
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
echo 3 >/proc/sys/vm/drop_caches
dd if="/dev/$blk" of=/tmp/pmem.r bs=4096 count=256 2>/dev/null
t_eq "pmem: the data reads back after the modules are gone" \
	"$(md5sum </tmp/pmem.w)" "$(md5sum </tmp/pmem.r)"
t_check "ndctl: destroy the namespace" ndctl destroy-namespace -f "$ns"
exit 0
