# SPDX-License-Identifier: GPL-2.0-only
# pviommu_reload: 20 cycles of load, bind NVMe, I/O verified, unbind,
# unload; the stub's ledger returns to its baseline after every unload and
# the premap is rebuilt identically each time.
# kernels: all
# needs: nvme
# timeout: 300

premap() {
	sed -n "s/^$1\t//p" /sys/kernel/debug/xen_pviommu/premap
}
# PCI binding state.  Scenarios share a boot, so start from every device
# unbound (as an early load finds them) and restore the bindings at the end.
saved=$(t_pci_unbind_all)
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_modprobe nvme
nvme=$(ls /sys/bus/pci/devices/*/class | while read -r c; do
	grep -qx 0x010802 "$c" && basename "${c%/class}"; done)
[ -e /sys/bus/pci/drivers/nvme/$nvme ] &&
	echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind

dd if=/dev/urandom of=/tmp/pattern bs=65536 count=16 2>/dev/null
want=$(md5sum </tmp/pattern)
fails=0 first_ops=
c=1
# 20 cycles; 4 on the debug kernel.
cycles=20
[ "$XPV_SERIES" = debug ] && cycles=4
while [ $c -le $cycles ]; do
	out=$(xpv_mod load /xpv/modules/xen_pviommu.ko 2>&1) ||
		{ fails=$((fails + 1)); echo "cycle $c: load: $out"; break; }
	ops=$(premap ops)
	[ -z "$first_ops" ] && first_ops=$ops
	[ "$ops" = "$first_ops" ] ||
		{ fails=$((fails + 1)); echo "cycle $c: $ops ops, first $first_ops"; }
	echo "$nvme" >/sys/bus/pci/drivers/nvme/bind
	t_wait 600 test -b /dev/nvme0n1 ||
		{ fails=$((fails + 1)); echo "cycle $c: no /dev/nvme0n1"; break; }
	# Different data each cycle, at a different offset.
	dd if=/tmp/pattern of=/dev/nvme0n1 bs=65536 seek=$((c * 16)) \
		conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	got=$(dd if=/dev/nvme0n1 bs=65536 skip=$((c * 16)) count=16 \
		2>/dev/null | md5sum)
	[ "$got" = "$want" ] ||
		{ fails=$((fails + 1)); echo "cycle $c: data differs"; }
	[ "$(premap devices)" = 1 ] ||
		{ fails=$((fails + 1)); echo "cycle $c: devices $(premap devices)"; }
	echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind
	out=$(xpv_mod unload xen_pviommu 2>&1) ||
		{ fails=$((fails + 1)); echo "cycle $c: unload: $out"; break; }
	grep -q '^at_baseline: yes' /sys/kernel/debug/xen_hvstub/audit ||
		{ fails=$((fails + 1)); echo "cycle $c: stub not at baseline"; }
	# New data for the next cycle.
	dd if=/dev/urandom of=/tmp/pattern bs=65536 count=16 2>/dev/null
	want=$(md5sum </tmp/pattern)
	c=$((c + 1))
done
t_eq "$cycles cycles completed" $((cycles + 1)) "$c"
t_eq "no cycle failed (load, identical premap, data, pin, unload, baseline)" \
	0 "$fails"
t_eq "stub audit clean" "verdict: clean" \
	"$(grep '^verdict:' /sys/kernel/debug/xen_hvstub/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_pci_rebind "$saved"
exit 0
