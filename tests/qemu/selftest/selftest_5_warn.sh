# SPDX-License-Identifier: GPL-2.0-only
# Harness self-test: a kernel WARN (panic_on_warn=1 panics the guest) must
# fail the scenario running, which then never reports its END.  Runs last:
# nothing runs after the panic.
# timeout: 30
# expect: fail kernel-warning kernel-panic no-end
t_ok "before the warning"
t_insmod xpv_selftest_warn
t_fail "still alive after a WARN with panic_on_warn=1"
