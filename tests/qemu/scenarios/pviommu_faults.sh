# SPDX-License-Identifier: GPL-2.0-only
# pviommu_faults: a premap that fails at any op, with any status the spec
# allows, or a hypercall that fails or stops part-way, is rolled back
# exactly: the load fails with that errno, the stub's ledger is back at its
# baseline and the DMA ops are the old ones (devices still work).
# kernels: all
# needs: nvme
# timeout: 600

# PCI binding state: start from every device unbound, restore at the end.
saved=$(t_pci_unbind_all)

stub=/sys/kernel/debug/xen_hvstub
premap() {
	sed -n "s/^$1\t//p" /sys/kernel/debug/xen_pviommu/premap
}
at_baseline() {
	grep -q '^at_baseline: yes' $stub/audit &&
		grep -q '^verdict: clean' $stub/audit
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu batch=128 || exit 1
ops=$(premap ops)
batches=$(premap boot_hypercalls)
t_rmmod xen_pviommu
t_check "a clean load and unload leave the stub at baseline" at_baseline

# Every op position of the premap, one load each; the status cycles
# through every per-op errno the spec lists for map_page and beyond.  On
# the debug kernel every 37th position (batch starts, middles and ends
# still all occur): what it adds is KASAN/lockdep/kmemleak, not positions.
step=1
[ "$XPV_SERIES" = debug ] && step=37
set -- EIO EPERM EACCES ENOSPC ENOENT ENODEV ENXIO
errnos="$*"
bad=0 p=0
while [ $p -lt "$ops" ]; do
	i=$((p % 7 + 1))
	e=$(echo $errnos | cut -d' ' -f$i)
	# The first hypercall is query_caps; the premap's batch b is #b+1.
	echo "skip $((p / 128 + 1))" >$stub/fault
	echo "op $((p % 128)) $e" >$stub/fault
	# The balloon hook is installed before the premap and removed when
	# it fails; once is enough (each costs two RCU-tasks grace periods).
	hook=0
	[ $p -eq 0 ] && hook=1
	out=$(xpv_mod load /xpv/modules/xen_pviommu.ko batch=128 \
		balloon_hook=$hook 2>&1)
	case "$out" in
	*" $e errno="*) ;;
	*) bad=$((bad + 1)); echo "op $p: expected $e: $out" ;;
	esac
	if grep -q '^xen_pviommu ' /proc/modules; then
		bad=$((bad + 1))
		echo "op $p: loaded despite the fault"
		xpv_mod unload xen_pviommu
	fi
	at_baseline || { bad=$((bad + 1)); echo "op $p: stub not at baseline"; }
	[ -z "$(cat $stub/faults)" ] ||
		{ bad=$((bad + 1)); echo "op $p: fault not consumed"; echo "fault clear" >$stub/fault; }
	p=$((p + step))
done
t_eq "all $ops op positions (step $step): exact errno, not loaded, exact rollback" \
	0 "$bad"
t_dmesg_has "the failure is reported with its bfn, position and errno" \
	'xen:xen_pviommu: premap failed at bfn 0x[0-9a-f]+ \(op [0-9]+ of [0-9]+\): -[0-9]+; rolling back'

# Whole-hypercall failures in the middle of the walk, and a hypervisor
# that stops part-way through a batch and returns 0.
hc_fault() {	# hc_fault DESC ERRNO FAULT...
	local desc=$1 e=$2
	shift 2
	for f in "$@"; do
		echo "$f" >$stub/fault
	done
	t_errno "$desc: load fails" "$e" \
		xpv_mod load /xpv/modules/xen_pviommu.ko batch=128
	t_check "$desc: stub back at baseline" at_baseline
}
hc_fault "hypercall 3 returns -EFAULT" EFAULT "skip 2" "call EFAULT"
hc_fault "hypercall 2 returns -EINVAL" EINVAL "skip 1" "call EINVAL"
hc_fault "last hypercall returns -ENOSYS" ENOSYS "skip $batches" "call ENOSYS"
hc_fault "batch 2 stops after 77 ops" EIO "skip 2" "preempt 77"

# The old DMA ops are still in place: NVMe works, nothing of ours is there.
t_eq "no xen_pviommu debugfs directory" "" \
	"$(ls /sys/kernel/debug | grep '^xen_pviommu$')"
t_modprobe nvme
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/driver" ] || echo "${d##*/}" >/sys/bus/pci/drivers_probe
done
t_disks /dev/nvme0n1
dd if=/dev/urandom of=/tmp/pattern bs=65536 count=16 2>/dev/null
t_check "nvme (old DMA ops): write 1 MiB" \
	dd if=/tmp/pattern of=/dev/nvme0n1 bs=65536 count=16 conv=fsync
echo 3 >/proc/sys/vm/drop_caches
t_eq "nvme (old DMA ops): data read back" "$(md5sum </tmp/pattern)" \
	"$(dd if=/dev/nvme0n1 bs=65536 count=16 2>/dev/null | md5sum)"

t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_pci_unbind_all >/dev/null
t_pci_rebind "$saved"
exit 0
