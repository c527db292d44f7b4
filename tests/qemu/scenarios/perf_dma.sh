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

run=/sys/kernel/debug/xpv_dmabench/run
edu=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device | head -1)
edu=${edu%/device}
edu=${edu##*/}
[ -n "$edu" ] || { t_fail "edu device present"; exit 1; }
[ ! -e "/sys/bus/pci/devices/$edu/driver" ] ||
	{ t_fail "edu is unbound"; exit 1; }

# bench ROUTE BITS SIZE KEYSIZE BOUNCED [sg N]: one measurement.
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

t_insmod xpv_dmabench || exit 1
# dma-direct, 64-bit mask: no bounce (this guest's swiotlb is idle).
bench direct 64 4096 4k 0
bench direct 64 65536 64k 0
bench direct 64 65536 sg16 0 sg 16

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu || exit 1
hc0=$(sed -n 's/^hypercalls //p' /sys/kernel/debug/xen_hvstub/counters)
bench xpv 64 4096 4k 0
bench xpv 64 65536 64k 0
bench xpv 64 65536 sg16 0 sg 16
# 24-bit mask: everything above 16 MiB goes through the bounce pool.
bench xpvb 24 4096 4k 1
bench xpvb 24 65536 64k 1
bench xpvb 24 65536 sg16 1 sg 16
t_eq "no hypercall during 18000 map/unmap pairs" "$hc0" \
	"$(sed -n 's/^hypercalls //p' /sys/kernel/debug/xen_hvstub/counters)"
t_rmmod xpv_dmabench
t_rmmod xen_pviommu
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
