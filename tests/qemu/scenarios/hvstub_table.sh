# SPDX-License-Identifier: GPL-2.0-only
# hvstub_table: the stub hypervisor driven directly (no driver): every
# subop x invalid field x privilege setting with its exact per-op status,
# the hypercall-level returns, the pmem report checks; the stub's audit
# finds no violation, counts the provoked caller errors and is back at its
# baseline at the end (hvstub_cases table, one check per case).
# kernels: all
# timeout: 400

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_relay /tmp/hvs_cases.out "" hvstub_cases table
t_log "$(grep -c '^ok' /tmp/hvs_cases.out) of $(grep -c 'ok ' /tmp/hvs_cases.out) table checks passed"
t_eq "stub verdict clean after the table" "verdict: clean" \
	"$(grep '^verdict:' /sys/kernel/debug/xen_hvstub/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
