# SPDX-License-Identifier: GPL-2.0-only
# perf_dma: instructions per DMA API call under -icount (guest time is the
# instruction count): dma-direct (the cost floor), then xen_pviommu's
# direct route and its bounce route, on the unbound edu device, for one
# page, 64 KiB and a 16-entry sg list.  The figures are checked for sanity
# here; tests/qemu/run compares them with perf_swiotlb's (same run) and
# gates on the ratios.  Lines "perf KEY = N" are what it reads.
# kernels: all
# needs: edu
# boot: perf
# icount: yes
# debug: no
# timeout: 300

edu=$(t_pci_find 0x1234 0x11e8)
[ -n "$edu" ] || { t_fail "edu device present"; exit 1; }
[ ! -e "/sys/bus/pci/devices/$edu/driver" ] ||
	{ t_fail "edu is unbound"; exit 1; }

t_insmod xpv_dmabench || exit 1
# dma-direct, 64-bit mask: no bounce (this guest's swiotlb is idle).
t_dmabench direct $edu 64 4096 4k 0
t_dmabench direct $edu 64 65536 64k 0
t_dmabench direct $edu 64 65536 sg16 0 sg 16

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu || exit 1
hc0=$(sed -n 's/^hypercalls //p' /sys/kernel/debug/xen_hvstub/counters)
t_dmabench xpv $edu 64 4096 4k 0
t_dmabench xpv $edu 64 65536 64k 0
t_dmabench xpv $edu 64 65536 sg16 0 sg 16
# 24-bit mask: everything above 16 MiB goes through the bounce pool.
t_dmabench xpvb $edu 24 4096 4k 1
t_dmabench xpvb $edu 24 65536 64k 1
t_dmabench xpvb $edu 24 65536 sg16 1 sg 16
t_eq "no hypercall during 18000 map/unmap pairs" "$hc0" \
	"$(sed -n 's/^hypercalls //p' /sys/kernel/debug/xen_hvstub/counters)"
t_rmmod xpv_dmabench
t_rmmod xen_pviommu
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
