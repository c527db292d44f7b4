# SPDX-License-Identifier: GPL-2.0-only
# Harness self-test, Xen mode, control: in a PV Dom0 the check lines still
# reach the host (through hvc0 and Xen's serial port) and must pass with
# exactly these 3 checks.
# hypervisor: xen
# timeout: 30
# expect: pass checks=3 notok=0
t_eq "the guest runs on Xen" xen "$(cat /sys/hypervisor/type)"
t_check "init mounted xenfs" test -r /proc/xen/capabilities
t_errno "errno matched on busybox's message" ENOENT cat /nonexistent
