# SPDX-License-Identifier: GPL-2.0-only
# hvstub_table: the stub hypervisor driven directly (no driver): every
# subop x invalid field x privilege setting with its exact per-op status,
# the hypercall-level returns, the pmem report checks; the stub's audit
# finds no violation, counts the provoked caller errors and is back at its
# baseline at the end (hvstub_cases table, one check per case).
# kernels: all
# timeout: 400

# hvs_cases ARGS...: run hvstub_cases; each line it prints becomes a check.
hvs_cases() {
	local out=/tmp/hvs_cases.out line d rc
	hvstub_cases "$@" >"$out" 2>/tmp/hvs_cases.err
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) t_ok "${line#ok * - }" ;;
		"not ok "*)
			d=${line#not ok * - }
			t_fail "${d%% # *}" "${d#* # }" ;;
		esac
	done <"$out"
	t_eq "hvstub_cases $* exit status" 0 "$rc" ||
		cat /tmp/hvs_cases.err
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
hvs_cases table
t_log "$(grep -c '^ok' /tmp/hvs_cases.out) of $(grep -c 'ok ' /tmp/hvs_cases.out) table checks passed"
t_eq "stub verdict clean after the table" "verdict: clean" \
	"$(grep '^verdict:' /sys/kernel/debug/xen_hvstub/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
