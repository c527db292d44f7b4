# SPDX-License-Identifier: GPL-2.0-only
# xen_balloon: the balloon hook against the real thing.  In a real PV Dom0
# on Debian's Xen, with the toolstack up (xenstored, xen-init-dom0, xl),
# xen_pviommu runs in model-only mode (the stub forced beside the real P2M,
# order-0 premap as on XenServer's Xen); "xl mem-set 0" makes the real
# balloon driver give 64 MiB back to Xen and take it again.  Every frame
# goes through the redirected xenmem_reservation_*(): each leaving pfn is
# unmapped first (exactly 16384 mappings fewer), each returning one mapped
# (back to the same count), no frame withheld, the real Xen accounts the
# change, and unloading leaves the stub at its baseline, which it would not
# if any mapping had drifted from the real P2M.
# hypervisor: xen
# kernels: all
# timeout: 240

stub=/sys/kernel/debug/xen_hvstub
B=/sys/kernel/debug/xen_pviommu/balloon
info=/sys/devices/system/xen_memory/xen_memory0/info
bal() { sed -n "s/^$1\t//p" $B; }
recs() { sed -n 's/^total recs_self \([0-9]*\) .*/\1/p' $stub/audit; }
xl=$(ls -d /usr/lib/xen-4.*/bin 2>/dev/null | tail -n 1)/xl
dom0_mib() { $xl list 0 | awk '$1 == "Domain-0" { print $3 }'; }
settle() {	# settle KIB: wait until Dom0's balloon reaches KIB
	local i=0
	while [ $i -lt 300 ] && [ "$(cat $info/current_kb)" != "$1" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	t_eq "the balloon reached $1 KiB" "$1" "$(cat $info/current_kb)"
}

t_xenstore
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub force=1 max_order=0 || exit 1
t_insmod xen_pviommu || exit 1
t_eq "model only, following reservation changes" "1 1" \
	"$(sed -n 's/^model_only\t//p' /sys/kernel/debug/xen_pviommu/premap) $(bal hooked)"
r0=$(recs) kb0=$(cat $info/current_kb) mib0=$(dom0_mib)

t_check "xl mem-set 0: 64 MiB less" $xl mem-set 0 $(( kb0 / 1024 - 64 ))m
settle $((kb0 - 65536))
t_eq "hook: 16384 frames released, none withheld" "16384 0" \
	"$(bal released) $(bal withheld)"
t_eq "the model lost exactly their 16384 mappings" $((r0 - 16384)) "$(recs)"
t_eq "Xen gave Dom0's 64 MiB back to the host" $((mib0 - 64)) "$(dom0_mib)"

t_check "xl mem-set 0: back up" $xl mem-set 0 $(( kb0 / 1024 ))m
settle "$kb0"
t_eq "hook: 16384 frames populated" 16384 "$(bal populated)"
t_eq "the model is back to its mappings" "$r0" "$(recs)"
t_eq "Dom0 has its memory again" "$mib0" "$(dom0_mib)"
t_eq "stub: no caller error (every gfn was Dom0's)" "caller_errors: 0" \
	"$(grep '^caller_errors:' $stub/audit)"

t_rmmod xen_pviommu
t_eq "stub: back at baseline" "at_baseline: yes" \
	"$(grep '^at_baseline:' $stub/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
