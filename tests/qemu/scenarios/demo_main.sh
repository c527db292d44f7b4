# SPDX-License-Identifier: GPL-2.0-only
# demo_main: the main job README's first command shows.  The stub
# hypervisor and both drivers load; xen_pviommu maps RAM 1:1 and becomes
# the DMA ops; real devices move data through it (NVMe, and edu with a
# 28-bit mask through the bounce pool) with no hypercall during the I/O;
# pages ballooned out and back go through its hook; the NVDIMM goes
# through ndctl-xen's Xen reservation flow (xen_pmem reports and fences,
# a DAX file's SPA ranges); everything unloads cleanly and the stub's
# ledger is back at its baseline.  Every step is also a check,
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
t_disks /dev/nvme0n1
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

say "== 4. Ballooning: the balloon driver's calls, followed by xen_pviommu"
t_insmod xpv_balloon || exit 1
B=/sys/kernel/debug/xen_pviommu/balloon
t_check "512 pages leave the domain (xenmem_reservation_decrease)" \
	sh -c "echo out 512 > /sys/kernel/debug/xpv_balloon/ctl"
t_check "and come back (xenmem_reservation_increase)" \
	sh -c "echo in 512 > /sys/kernel/debug/xpv_balloon/ctl"
grep -E '^(hooked|released|populated|withheld|hypercalls)' $B >/tmp/balloon
show "xen_pviommu balloon hook (debugfs)" /tmp/balloon
t_eq "every frame unmapped before it left, mapped when it came back" \
	"512 512 0" "$(sed -n 's/^released\t//p' $B) $(sed -n 's/^populated\t//p' $B) $(sed -n 's/^withheld\t//p' $B)"
t_eq "the stub saw no frame given back while reachable" "violations: 0" \
	"$(grep '^violations:' /sys/kernel/debug/xen_hvstub/audit)"
t_rmmod xpv_balloon

say "== 5. NVDIMM with a Xen reservation: ndctl-xen, xen_pmem's report, DAX"
t_modprobe nfit
t_modprobe nd_pmem
t_modprobe ext4
t_wait 100 test -e /sys/bus/nd/devices/region0
t_check "ndctl-xen create-namespace --xen-reserve --mode=fsdax --force" \
	sh -c 'ndctl-xen create-namespace --xen-reserve --mode=fsdax --force > /tmp/ns.json'
show "ndctl-xen create-namespace" /tmp/ns.json
X=/sys/bus/nd/devices/namespace0.0/xen_pmem
for f in state covered_spa covered_size reserved_spa reserved_size data_spa data_size; do
	echo "$f $(cat $X/$f)"
done >/tmp/xstate
show "xen_pmem's claim (sysfs)" /tmp/xstate
t_eq "xen_pmem reported the reservation namespace" reported "$(cat $X/state)"
show "what the hypervisor (stub) recorded" /sys/kernel/debug/xen_hvstub/pmem
grep 'Xen pmem reserved' /proc/iomem | sed 's/^ */fenced in \/proc\/iomem: /' >/tmp/fence
show "the reserved area, fenced" /tmp/fence
t_eq "the reserved area is fenced" 1 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
ndctl-xen list -u >/tmp/list.json
show "ndctl-xen list -u" /tmp/list.json
t_wait 100 test -b /dev/pmem0.1
t_check "mkfs on the fsdax data namespace" mke2fs -q -b 4096 /dev/pmem0.1
mkdir -p /mnt/pmem
t_check "mount -o dax" mount -t ext4 -o dax /dev/pmem0.1 /mnt/pmem
dd if=/tmp/pattern of=/mnt/pmem/data.bin bs=65536 count=16 conv=fsync 2>/dev/null
ndctl-xen spa -u /mnt/pmem/data.bin >/tmp/spa.json
show "ndctl-xen spa of a file on the DAX mount" /tmp/spa.json
t_check "ndctl-xen spa gives the file's SPA ranges" grep -q '"spa"' /tmp/spa.json
umount /mnt/pmem
echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 -o dax /dev/pmem0.1 /mnt/pmem
head -c 1048576 /tmp/pattern >/tmp/pattern1m
t_eq "pmem (DAX file): data read back equals data written" \
	"$(md5sum </tmp/pattern1m | cut -d' ' -f1)" \
	"$(md5sum </mnt/pmem/data.bin | cut -d' ' -f1)"
umount /mnt/pmem

say "== 6. Hypercalls the drivers made through the stub"
say "xen_pviommu: $(cat /sys/kernel/debug/xen_pviommu/hypercalls) hypercalls, $(cat /sys/kernel/debug/xen_pviommu/ops) ops"
say "xen_pmem: $(sed -n 's/^reports_ok //p' /sys/kernel/debug/xen_pmem/stats) pmem report(s) accepted"

say "== 7. Unload in reverse order; the stub's ledger back at its baseline"
t_errno "xen_pmem stays pinned while Xen owns the reserved area" EAGAIN \
	xpv_mod unload xen_pmem
# Stub only: drop the claim so the demo can unload (Xen keeps reports).
echo 1 >/sys/kernel/debug/xen_pmem/forget
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
