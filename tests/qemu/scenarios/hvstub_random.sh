# SPDX-License-Identifier: GPL-2.0-only
# hvstub_random: 10,000 random malformed batches (garbage fields, bad
# counts, NULL and misaligned buffers, injected faults, ballooning, every
# privilege setting incl. XenServer's layout) straight into the stub:
# every hypercall return, per-op status and OUT field exactly as the
# brute-force reference (hvstub_ref.h) predicts, unprocessed ops
# untouched, everything made undone, the stub's hypercall count equal to
# what the program issued; no oops/WARN (panic_on_warn), audit clean,
# ledger at its baseline.  The seed is printed; rerun with HVS_SEED=N.
# kernels: all
# timeout: 400

seed=${HVS_SEED:-$(date +%s)}
t_log "hvstub_random seed $seed"
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
out=/tmp/hvs_random.out
# 10,000 per stock kernel; 1,000 on the (slow) debug kernel.
n=10000
[ "$XPV_SERIES" = debug ] && n=1000
t_relay "$out" "seed $seed" hvstub_cases random $n "$seed"
# The program counts what it issued; the stub was fresh: exact counts.
t_eq "$n random malformed batches issued" $n \
	"$(sed -n 's/^# hypercalls issued [0-9]*, random batches //p' "$out")"
t_eq "the stub counted exactly the hypercalls the program issued" \
	"$(sed -n 's/^# hypercalls issued \([0-9]*\),.*/\1/p' "$out")" \
	"$(awk '$1 == "hypercalls" { print $2 }' \
		/sys/kernel/debug/xen_hvstub/counters)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
