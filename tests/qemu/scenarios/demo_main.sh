# SPDX-License-Identifier: GPL-2.0-only
# demo_main: the main job README's first command shows.  The stub
# hypervisor and both drivers load; xen_pviommu maps RAM 1:1 and becomes
# the DMA ops; real devices move data through it (NVMe, and edu with a
# 28-bit mask through the bounce pool) with no hypercall during the I/O;
# the NVDIMM goes through the ndctl flow; everything unloads cleanly and
# the stub's ledger is back at its baseline.  Every step is also a check,
# so the demo is part of the test suite.
# kernels: 6.12
# needs: nvme nvdimm edu
# boot: demo
# timeout: 180

say() {	# say TEXT: a report line (the demo script prints these)
	printf '| %s\n' "$*"
}
show() {	# show TITLE FILE: a file, indented, in the report
	say "$1:"
	sed 's/^/|     /' "$2"
}

say "== 1. Stub hypervisor and drivers"
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu || exit 1
t_modprobe libnvdimm
t_insmod xen_pmem || exit 1
t_dmesg | grep -E 'xen:xen_(hvstub|pviommu|pmem|pvcore):' |
	sed 's/^/|     /'
show "xen_pviommu capabilities (debugfs)" /sys/kernel/debug/xen_pviommu/caps
grep -E '^(ranges|max_order|batch|expected_|ops|pages|boot_hyper|pages_order|map_end|bounce_chunks)' \
	/sys/kernel/debug/xen_pviommu/premap >/tmp/premap
show "the 1:1 premap (debugfs)" /tmp/premap
t_eq "premap: hypercalls equal the computed minimum" \
	"$(sed -n 's/^expected_hypercalls\t//p' /tmp/premap)" \
	"$(sed -n 's/^boot_hypercalls\t//p' /tmp/premap)"
hc0=$(sed -n 's/^hypercalls //p' /sys/kernel/debug/xen_hvstub/counters)
fl0=$(sed -n 's/^flushes //p' /sys/kernel/debug/xen_hvstub/counters)

say "== 2. NVMe through xen_pviommu: 4 MiB written and read back past the page cache"
t_modprobe nvme
i=0
while [ $i -lt 20 ] && [ ! -b /dev/nvme0n1 ]; do
	sleep 0.5
	i=$((i + 1))
done
dd if=/dev/urandom of=/tmp/pattern bs=65536 count=64 2>/dev/null
t_check "nvme: write 4 MiB" \
	dd if=/tmp/pattern of=/dev/nvme0n1 bs=65536 count=64 conv=fsync
echo 3 >/proc/sys/vm/drop_caches
dd if=/dev/nvme0n1 of=/tmp/readback bs=65536 count=64 2>/dev/null
w=$(md5sum </tmp/pattern | cut -d' ' -f1)
r=$(md5sum </tmp/readback | cut -d' ' -f1)
say "written md5 $w"
say "read    md5 $r"
t_eq "nvme: data read back equals data written" "$w" "$r"

say "== 3. edu (28-bit DMA mask): direct, bounced, coherent and sg DMA"
t_insmod xpv_edu rounds=2
sed 's/^/|     /' /sys/kernel/debug/xpv_edu/results | tail -12
t_eq "edu: every DMA check passed" "# 23 checks, 0 failed" \
	"$(tail -1 /sys/kernel/debug/xpv_edu/results)"
say "bytes bounced: $(sed -n 's/^bounced_bytes\t//p' /sys/kernel/debug/xen_pviommu/premap)"
hc1=$(sed -n 's/^hypercalls //p' /sys/kernel/debug/xen_hvstub/counters)
fl1=$(sed -n 's/^flushes //p' /sys/kernel/debug/xen_hvstub/counters)
say "stub hypercalls during the I/O: $((hc1 - hc0)), IOTLB flushes: $((fl1 - fl0))"
t_eq "no hypercall during the I/O" "$hc0" "$hc1"

say "== 4. NVDIMM: labels, a namespace, data through /dev/pmem"
t_modprobe nfit
t_modprobe nd_pmem
i=0
while [ $i -lt 20 ] && [ ! -e /sys/bus/nd/devices/region0 ]; do
	sleep 0.5
	i=$((i + 1))
done
t_check "ndctl: disable the region" ndctl disable-region region0
t_check "ndctl: initialise labels" ndctl init-labels -f nmem0
t_check "ndctl: enable the region" ndctl enable-region region0
t_check "ndctl: create a 64 MiB raw namespace" \
	sh -c 'ndctl create-namespace -r region0 -m raw -s 64M > /tmp/ns.json'
show "ndctl create-namespace" /tmp/ns.json
i=0
while [ $i -lt 20 ] && [ ! -b /dev/pmem0 ]; do
	sleep 0.5
	i=$((i + 1))
done
t_check "pmem: write 1 MiB" \
	dd if=/tmp/pattern of=/dev/pmem0 bs=65536 count=16 conv=fsync
echo 3 >/proc/sys/vm/drop_caches
dd if=/dev/pmem0 of=/tmp/readback bs=65536 count=16 2>/dev/null
head -c 1048576 /tmp/pattern >/tmp/pattern1m
t_eq "pmem: data read back equals data written" \
	"$(md5sum </tmp/pattern1m)" "$(md5sum </tmp/readback)"
say "pmem SPA range: $(cat /sys/block/pmem0/device/resource) size $(cat /sys/block/pmem0/device/size)"

say "== 5. Hypercalls the drivers made through the stub"
say "xen_pviommu: $(cat /sys/kernel/debug/xen_pviommu/hypercalls) hypercalls, $(cat /sys/kernel/debug/xen_pviommu/ops) ops"
say "xen_pmem: pmem report probe returned $(cat /sys/kernel/debug/xen_pmem/probe_rc)"

say "== 6. Unload in reverse order; the stub's ledger back at its baseline"
t_check "ndctl: destroy the namespace" \
	ndctl destroy-namespace -f namespace0.0
t_rmmod xpv_edu
t_rmmod nvme
t_rmmod xen_pmem
t_rmmod xen_pviommu
grep -E '^(total|violations|verdict|at_baseline)' \
	/sys/kernel/debug/xen_hvstub/audit >/tmp/audit
show "stub audit" /tmp/audit
t_eq "stub audit: clean and at baseline" "verdict: clean" \
	"$(grep '^verdict:' /tmp/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is left loaded" "" "$(t_our_modules)"
left=$(t_our_modules)
say "modules of ours still loaded: ${left:-none}"
exit 0
