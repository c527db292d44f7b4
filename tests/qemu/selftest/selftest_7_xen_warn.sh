# SPDX-License-Identifier: GPL-2.0-only
# Harness self-test, Xen mode: a WARN in Dom0 (panic_on_warn=1) must fail
# the scenario running, which never reports its END, and Xen's own line
# about Dom0's crash must be seen and attributed to it too.  Runs last in
# its boot: Xen reboots (QEMU exits) after Dom0's panic.
# hypervisor: xen
# timeout: 30
# expect: fail kernel-warning kernel-panic no-end xen-crash
t_ok "before the warning"
t_insmod xpv_selftest_warn
t_fail "still alive after a WARN with panic_on_warn=1"
