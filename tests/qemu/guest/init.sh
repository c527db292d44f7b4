#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the QEMU tier's guest (busybox ash).  Mounts the pseudo file
# systems, loads nothing, then runs every scenario listed in /xpv/plan (one
# "NAME TIMEOUT PATH" per line, written per boot by tests/qemu/run.py) in
# its own shell under a timeout, and powers off.
#
# Two channels leave the guest:
#  - /dev/kmsg (-> ttyS0, the console log): every "@@XPV ..." marker and
#    check line, in order with the kernel's own messages; printk writes each
#    record whole, so the host parser never sees a marker torn by a kernel
#    line, and kernel errors are attributed to the scenario running.
#  - ttyS1 (the output log): the same lines plus everything the scenarios
#    print, for reading.
# Under Xen (the plan has /xpv/xen; Dom0 is a PV guest) the kernel console
# is hvc0, which Xen writes to its own serial port (com1 = the console
# log), and ttyS1 is still the guest's: nothing changes here but xenfs,
# mounted on /proc/xen.  The BOOT line says which hypervisor the guest
# really runs on (/sys/hypervisor/type), which the host checks.
export PATH=/xpv/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

exec </dev/null >/dev/ttyS1 2>&1

hv=none
[ -r /sys/hypervisor/type ] && read -r hv </sys/hypervisor/type
if [ -e /xpv/xen ]; then
	# xenfs and what it needs (resolved on the host), then /proc/xen.
	while read -r ko; do
		[ "$ko" = builtin ] || insmod "$ko"
	done </xpv/stock/xenfs.deps
	mount -t xenfs xenfs /proc/xen ||
		echo "init: cannot mount xenfs on /proc/xen"
fi

xpv_mark() {	# xpv_mark TEXT...: one marker to the console log and the output
	printf '<6>@@XPV %s\n' "$*" >/dev/kmsg
	printf '@@XPV %s\n' "$*"
}

# Modules of ours loaded when a scenario ends are unloaded before its END
# line (newest first, as /proc/modules lists them), so every scenario starts
# from a clean kernel; one that cannot be unloaded fails the scenario.
xpv_cleanup() {
	local pass m left
	for pass in 1 2 3; do
		left=$(awk '{ print $1 }' /proc/modules | grep -xF -f /xpv/modules.list)
		[ -n "$left" ] || return 0
		[ "$pass" -eq 1 ] && xpv_mark "CLEANUP $1 unloading:" $left
		for m in $left; do
			rmmod "$m" 2>/dev/null
		done
	done
	left=$(awk '{ print $1 }' /proc/modules | grep -xF -f /xpv/modules.list)
	[ -z "$left" ] && return 0
	xpv_mark "CLEANUP-FAILED $1 still loaded:" $left
}

# kmemleak (the debug kernel): forget what the boot left, then one scan
# after the last scenario (a scan takes a minute or more there); its
# report goes to the console log, where the host fails the boot on
# "unreferenced object" (the backtraces name the module).
kml=/sys/kernel/debug/kmemleak
[ -w $kml ] && echo clear >$kml
xpv_leaks() {
	[ -w $kml ] || return 0
	echo scan >$kml
	head -60 $kml | while read -r l; do
		printf '<3>xpv kmemleak: %s\n' "$l" >/dev/kmsg
	done
}

xpv_mark "BOOT $(uname -r) scenarios=$(grep -c . /xpv/plan) hv=$hv"
while read -r name tmo path; do
	[ -n "$name" ] || continue
	xpv_mark "BEGIN $name"
	t0=$(date +%s)
	XPV_NAME=$name timeout -s KILL "$tmo" \
		/bin/sh -c '. /xpv/lib.sh && . "$1"' "$name" "$path" </dev/null
	rc=$?
	t1=$(date +%s)
	[ "$rc" -eq 137 ] && [ $((t1 - t0)) -ge "$tmo" ] &&
		xpv_mark "TIMEOUT $name after ${tmo}s"
	xpv_cleanup "$name"
	xpv_mark "END $name rc=$rc"
done </xpv/plan
if [ -e /xpv/shell ]; then
	# run --shell: interactive, on ttyS1 (the terminal that ran QEMU).
	cat >/tmp/shellrc <<-'RC'
	XPV_NAME=shell
	. /xpv/lib.sh
	trap - EXIT
	PS1='xpv \w # '
	RC
	echo "xpv shell: lib.sh loaded (t_insmod, t_dmesg, ...); modules in" \
		"/xpv/modules, stock ones via t_modprobe; 'poweroff -f' to leave"
	ENV=/tmp/shellrc setsid -c sh -i </dev/ttyS1 >/dev/ttyS1 2>&1
fi
xpv_leaks
xpv_mark DONE
sync
# Closing ttyS1 waits until its output has drained.
exec >/dev/null 2>&1
poweroff -f
