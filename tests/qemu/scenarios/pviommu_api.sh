# SPDX-License-Identifier: GPL-2.0-only
# pviommu_api: the DMA API contract through xen_pviommu's ops on the
# (unbound) edu device: masks, coherent buffers and dma_alloc_pages
# (zeroed, bus = phys), get_sgtable, mmap of a coherent buffer from
# userspace, map_resource, the bounce pool (copy-in for every direction,
# partial syncs, SKIP_CPU_SYNC, min_align_mask, segment boundary,
# exhaustion -> -ENOMEM), sg merging; the stub sees no hypercall.
# kernels: all
# needs: edu
# timeout: 120

counter() {
	sed -n "s/^$1 //p" /sys/kernel/debug/xen_hvstub/counters
}
premap() {
	sed -n "s/^$1\t//p" /sys/kernel/debug/xen_pviommu/premap
}

saved=$(t_pci_unbind_all)
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu || exit 1
hc0=$(counter hypercalls)
# Tracepoints: every bounce and every refusal is an event.
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs tracefs $T
echo >$T/trace
echo 1 >$T/events/xen_pviommu/enable
t_insmod xpv_dmaapi || exit 1
res=$(cat /sys/kernel/debug/xpv_dmaapi/run)
echo "$res"
t_eq "DMA API: 21 checks, all passed" "# 21 checks, 0 failed" \
	"$(echo "$res" | tail -1)"
t_check "mmap of a coherent buffer: userspace writes, the kernel reads" \
	xpv_mmapchk /sys/kernel/debug/xpv_dmaapi/coherent 16384
t_eq "bounce pool: no slot left in use" 0 "$(premap bounce_used_slots)"
# The fifth 256 KiB map, the sg map after it, the 256 KiB + 1 map.
t_eq "bounce pool: exactly three maps refused" 3 "$(premap bounce_failed)"
echo 0 >$T/events/xen_pviommu/enable
t_eq "trace: one xpv_refuse event per refusal, naming the device" 3 \
	"$(grep -c "xpv_refuse: $(t_pci_find 0x1234 0x11e8) " $T/trace)"
t_check "trace: xpv_bounce events name the device and the direction" \
	grep -q "xpv_bounce: $(t_pci_find 0x1234 0x11e8) orig=0x[0-9a-f]* bus=0x[0-9a-f]* size=8192 dir=2" $T/trace
t_eq "stub: no hypercall" "$hc0" "$(counter hypercalls)"
t_rmmod xpv_dmaapi
t_rmmod xen_pviommu
t_eq "stub audit: clean, at baseline" "verdict: clean" \
	"$(grep '^verdict:' /sys/kernel/debug/xen_hvstub/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_pci_rebind "$saved"
exit 0
