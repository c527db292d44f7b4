# SPDX-License-Identifier: GPL-2.0-only
# Harness self-test: a scenario that never finishes must be killed by its
# timeout and reported failed.
# timeout: 5
# expect: fail timeout checks=1
t_ok "before the hang"
exec sleep 100000
