# SPDX-License-Identifier: GPL-2.0-only
# Harness self-test: every check below must print "not ok" (each is a
# library negative path), and that must fail the scenario although its rc
# is 0.
# timeout: 30
# expect: fail not-ok checks=7 notok=6
t_ok "before the failures"
t_fail "t_fail" "harness self-test"
t_eq "t_eq on different strings" "a" "b"
t_check "t_check on a failing command" false
# "No such device" is a prefix of ENXIO's message: must not match ENODEV.
t_errno "t_errno does not match a longer message" ENODEV \
	sh -c 'echo "x: No such device or address" >&2; exit 1'
t_errno "t_errno on a command that succeeds" ENOENT true
t_dmesg_has "t_dmesg_has on a line that is not there" "no such line, ever"
exit 0
