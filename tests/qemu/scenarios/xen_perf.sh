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

run=/sys/kernel/debug/xpv_dmabench/run
edu=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device | head -1)
edu=${edu%/device}
edu=${edu##*/}
[ -n "$edu" ] || { t_fail "edu device present"; exit 1; }

bench() {	# bench ROUTE BITS SIZE KEYSIZE [sg N]
	local out map unmap b
	if ! echo "$edu $2 $3 2000 $5 $6" >$run; then
		t_fail "bench $1 $4: request accepted"
		return 1
	fi
	read -r out <$run
	set -- "$1" "$2" "$3" "$4" $out
	map=$6 unmap=$8 b=${12}
	t_ok "perf $1.map.$4 = $map"
	t_ok "perf $1.unmap.$4 = $unmap"
	t_ok "perf $1.bounced.$4 = $b"
}

t_insmod xpv_dmaops || exit 1
t_check "edu uses xen_swiotlb_dma_ops" grep -q \
	"^$edu .*ops=xen_swiotlb_dma_ops" /sys/kernel/debug/xpv_dmaops/pci
t_rmmod xpv_dmaops
t_insmod xpv_dmabench || exit 1
bench xen 64 4096 4k
bench xen 64 65536 64k
bench xen 64 65536 sg16 sg 16
t_rmmod xpv_dmabench
exit 0
