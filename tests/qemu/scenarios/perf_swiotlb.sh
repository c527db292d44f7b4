# SPDX-License-Identifier: GPL-2.0-only
# perf_swiotlb: the same measurements as perf_dma with every dma-direct
# mapping bounced through swiotlb (swiotlb=force): what bounce buffering
# costs, the cost SWIOTLB-Xen imposes whenever it bounces.
# kernels: all
# needs: edu
# boot: perf-swiotlb
# icount: yes
# debug: no
# append: swiotlb=force
# timeout: 300

edu=$(t_pci_find 0x1234 0x11e8)
[ -n "$edu" ] || { t_fail "edu device present"; exit 1; }

t_check "swiotlb forced on the command line" grep -qw swiotlb=force \
	/proc/cmdline
t_insmod xpv_dmabench || exit 1
t_dmabench swiotlb $edu 64 4096 4k 1
t_dmabench swiotlb $edu 64 65536 64k 1
t_dmabench swiotlb $edu 64 65536 sg16 1 sg 16
t_rmmod xpv_dmabench
exit 0
