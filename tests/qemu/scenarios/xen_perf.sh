# SPDX-License-Identifier: GPL-2.0-only
# xen_perf: the same measurements as perf_dma in a real PV Dom0, where
# every device uses xen_swiotlb_dma_ops: the cost xen_pviommu replaces.
# A one-page buffer is machine-contiguous, so SWIOTLB-Xen maps it in
# place; a 64 KiB buffer is bounced unless Xen happened to give Dom0
# machine-contiguous frames for it (what "bounced" reports).
# kernels: all
# hypervisor: xen
# needs: edu
# boot: perf
# icount: yes
# timeout: 300

edu=$(t_pci_find 0x1234 0x11e8)
[ -n "$edu" ] || { t_fail "edu device present"; exit 1; }

t_insmod xpv_dmaops || exit 1
t_check "edu uses xen_swiotlb_dma_ops" grep -q \
	"^$edu .*ops=xen_swiotlb_dma_ops" /sys/kernel/debug/xpv_dmaops/pci
t_rmmod xpv_dmaops
t_insmod xpv_dmabench || exit 1
t_dmabench xen $edu 64 4096 4k -
t_dmabench xen $edu 64 65536 64k -
t_dmabench xen $edu 64 65536 sg16 - sg 16
t_rmmod xpv_dmabench
exit 0
