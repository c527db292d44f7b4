# SPDX-License-Identifier: GPL-2.0-only
# Harness self-test, control: must pass with exactly these 4 checks.
# timeout: 30
# expect: pass checks=4 notok=0
t_ok "library loaded"
t_eq "arithmetic in ash" 4 $((2 + 2))
t_check "busybox runs" true
t_errno "errno matched on busybox's message" ENOENT cat /nonexistent
