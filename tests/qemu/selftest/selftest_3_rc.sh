# SPDX-License-Identifier: GPL-2.0-only
# Harness self-test: a non-zero exit status must fail the scenario even
# when every check passed.
# timeout: 30
# expect: fail rc
t_ok "all checks pass"
exit 3
