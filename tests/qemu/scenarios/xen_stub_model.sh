# SPDX-License-Identifier: GPL-2.0-only
# xen_stub_model: in a real PV Dom0, the stub forced as the backend and
# xen_pviommu in model-only mode: the premap runs against the real,
# non-identity P2M (the stub takes it from the kernel).  Every gfn handed to
# the stub is one the domain owns (no caller error), page orders follow
# real MFN contiguity, the hypercall count equals the computed minimum;
# the DMA ops are never switched and NVMe keeps working; unload returns the
# stub to its baseline.  In dom0-strict mode nothing is premapped.
# hypervisor: xen
# kernels: all
# needs: nvme
# timeout: 240

stub=/sys/kernel/debug/xen_hvstub
premap() {
	sed -n "s/^$1\t//p" /sys/kernel/debug/xen_pviommu/premap
}

t_modprobe nvme
t_wait 100 test -b /dev/nvme0n1
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub force=1 || exit 1
t_dmesg_has "the stub uses the real P2M" "xen:xen_hvstub: .*p2m_mode=4"
t_insmod xen_pviommu || exit 1
t_dmesg_has "one line: model only, DMA ops unchanged" \
	'xen:xen_pviommu: stub backend, model only \(stub in a real Xen domain\): 1:1 map of [0-9]+ pages in [0-9]+ ops of order <= 9, ([0-9]+) hypercalls \(minimum \1\); DMA ops unchanged'
grep -E '^(premapped|model_only|ranges|expected|ops|pages|boot_hyper|holes)' \
	/sys/kernel/debug/xen_pviommu/premap
t_eq "premapped, not attached" "1 0" "$(premap premapped) $(premap attached)"
t_eq "ops equal the planner's independent minimum" \
	"$(premap expected_ops)" "$(premap ops)"
t_eq "hypercalls equal the minimum" \
	"$(premap expected_hypercalls)" "$(premap boot_hypercalls)"
# A PV Dom0's P2M is not one long contiguous run: some blocks must have
# been split below the largest order.
t_check "real MFN contiguity split some blocks (order-0 pages exist)" \
	test "$(premap pages_order_0 || echo 0)" -gt 0
t_eq "stub: no caller error (every gfn was the domain's own)" \
	"caller_errors: 0" "$(grep '^caller_errors:' $stub/audit)"
t_eq "stub: no violation" "violations: 0" "$(grep '^violations:' $stub/audit)"

dd if=/dev/urandom of=/tmp/pattern bs=65536 count=16 2>/dev/null
t_check "nvme (still Xen's swiotlb): write 1 MiB" \
	dd if=/tmp/pattern of=/dev/nvme0n1 bs=65536 count=16 conv=fsync
echo 3 >/proc/sys/vm/drop_caches
t_eq "nvme: data read back" "$(md5sum </tmp/pattern)" \
	"$(dd if=/dev/nvme0n1 bs=65536 count=16 2>/dev/null | md5sum)"

t_rmmod xen_pviommu
t_eq "stub back at baseline" "at_baseline: yes" \
	"$(grep '^at_baseline:' $stub/audit)"
t_rmmod xen_hvstub

# dom0-strict (map_cap without map_all_gfns, in the hardware domain): no
# 1:1 map at all, one line says why.
t_insmod xen_hvstub force=1 strict=1 || exit 1
t_dmesg_mark
t_insmod xen_pviommu || exit 1
t_dmesg_has "strict mode is named" \
	'xen:xen_pviommu: stub backend: dom0-strict mode \(map_cap without map_all_gfns in the hardware domain\): no 1:1 map; DMA ops unchanged'
t_eq "nothing premapped" "0 0" "$(premap premapped) $(premap ops)"
t_rmmod xen_pviommu
t_eq "stub untouched" "at_baseline: yes" "$(grep '^at_baseline:' $stub/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
