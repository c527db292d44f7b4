# SPDX-License-Identifier: GPL-2.0-only
# pviommu_premap: the 1:1 premap covers every RAM page with the fewest ops
# and hypercalls.  The minimum is computed here, from /proc/iomem, by a
# third method (the driver's planner and its counting routine are the other
# two), for page orders 0, 9 and 18 and two batch sizes.
# kernels: all
# timeout: 240

premap() {	# premap NAME: one value of xen_pviommu's premap file
	sed -n "s/^$1\t//p" /sys/kernel/debug/xen_pviommu/premap
}

# RAM as pfn ranges "start end" (end exclusive), touching ranges merged.
ram_ranges() {
	grep -E '^[0-9a-f]+-[0-9a-f]+ : System RAM$' /proc/iomem |
	while IFS='- ' read -r s e _; do
		s=$(( (0x$s + 4095) / 4096 ))
		e=$(( (0x$e + 1) / 4096 ))
		[ $s -lt $e ] && echo "$s $e"
	done | {
		ps=-1 pe=-1
		while read -r s e; do
			if [ $s -eq $pe ]; then
				pe=$e
				continue
			fi
			[ $ps -ge 0 ] && echo "$ps $pe"
			ps=$s pe=$e
		done
		[ $ps -ge 0 ] && echo "$ps $pe"
	}
}

# min_ops ORDER: greedy naturally aligned blocks of at most 2^ORDER pages
# (the stub's P2M is the identity, so every run is contiguous).
min_ops() {
	ram_ranges | {
		n=0
		while read -r s e; do
			if [ "$1" -eq 0 ]; then
				n=$((n + e - s))
				continue
			fi
			p=$s
			while [ $p -lt $e ]; do
				o=$1
				while [ $o -gt 0 ] &&
				      { [ $((p & ((1 << o) - 1))) -ne 0 ] ||
					[ $((p + (1 << o))) -gt $e ]; }; do
					o=$((o - 1))
				done
				p=$((p + (1 << o)))
				n=$((n + 1))
			done
		done
		echo $n
	}
}

pages=$(ram_ranges | { n=0; while read -r s e; do n=$((n + e - s)); done; echo $n; })

saved=$(t_pci_unbind_all)

t_insmod xen_pvcore || exit 1
# Order 0 is 262,144 ops per walk: too slow under the debug kernel's
# checkers, which the orders 9 and 18 exercise just as well.
orders="0 9 18"
[ "$XPV_SERIES" = debug ] && orders="9 18"
for order in $orders; do
	t_insmod xen_hvstub max_order=$order || exit 1
	ops=$(min_ops $order)
	for batch in 512 128; do
		t_insmod xen_pviommu batch=$batch || exit 1
		t_eq "order $order batch $batch: pages mapped" "$pages" \
			"$(premap pages)"
		t_eq "order $order batch $batch: ops = minimum" "$ops" \
			"$(premap ops)"
		t_eq "order $order batch $batch: planner's own count agrees" \
			"$ops" "$(premap expected_ops)"
		t_eq "order $order batch $batch: hypercalls = ceil(ops/batch)" \
			$(( (ops + batch - 1) / batch )) "$(premap boot_hypercalls)"
		t_rmmod xen_pviommu
		t_eq "order $order batch $batch: stub back at baseline" \
			"at_baseline: yes" \
			"$(grep '^at_baseline:' /sys/kernel/debug/xen_hvstub/audit)"
	done
	t_rmmod xen_hvstub
done
t_rmmod xen_pvcore
t_pci_rebind "$saved"
exit 0
