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

run=/sys/kernel/debug/xpv_dmabench/run
edu=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device | head -1)
edu=${edu%/device}
edu=${edu##*/}
[ -n "$edu" ] || { t_fail "edu device present"; exit 1; }

bench() {
	local out map unmap b
	if ! echo "$edu $2 $3 2000 $6 $7" >$run; then
		t_fail "bench $1 $4: request accepted"
		return 1
	fi
	read -r out <$run
	set -- "$1" "$2" "$3" "$4" "$5" $out
	map=$7 unmap=$9 b=${13}
	t_ok "perf $1.map.$4 = $map"
	t_ok "perf $1.unmap.$4 = $unmap"
	t_eq "$1 $4: bounced=$5" "$5" "$b"
}

t_check "swiotlb forced on the command line" grep -qw swiotlb=force \
	/proc/cmdline
t_insmod xpv_dmabench || exit 1
bench swiotlb 64 4096 4k 1
bench swiotlb 64 65536 64k 1
bench swiotlb 64 65536 sg16 1 sg 16
t_rmmod xpv_dmabench
exit 0
