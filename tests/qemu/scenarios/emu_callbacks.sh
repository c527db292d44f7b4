# SPDX-License-Identifier: GPL-2.0-only
# emu_callbacks: invalidate callbacks against close and unload.  Closing a
# handle while its callback runs waits for it, and the callbacks still due
# are not made.  Unloading the emulator while its callback runs is refused
# (EAGAIN: the callback holds a reference on its module) and works once it
# returned.  An emulator whose exit() frees its callback data without
# closing gets no callback once exit() started, though one was due while
# exit() slept: xen_pviommu skips it and its module notifier releases the
# handle.  Nothing leaks.
# kernels: all
# timeout: 180

D=/sys/kernel/debug/xen_hvstub
S=/sys/kernel/debug/xpv_emu_sample
E=/sys/kernel/debug/xen_pviommu/emu

ctl() { echo "$*" >$S/ctl; }
emuf() { sed -n "s/^$1\t//p" $E; }
slot() {
	sed -n "s/^slot $1 .* $2=\([^ ]*\).*/\1/p" $S/state
}
foreign() { grep -c 'kind=foreign' $D/mappings; }
balloon() { echo "7 $1" >$D/balloon_out; }

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu attach=0 emu_poll_ms=0 || exit 1
t_insmod xpv_emu_sample || exit 1
t_check "domain 7 (64 pages), ioserver 7/1" \
	sh -c "echo '7 64' > $D/domain_create && echo '7 1' > $D/ioserver_create"

# --- close while a callback runs and another is due ---------------------------
t_check "slot 0 = (7, 1)" ctl open 0 7 1
t_check "slot 0: GTT of gfns 0-7" ctl gtt 0 8 0
t_check "slot 0's callback sleeps 3 s" ctl slow 0 3000
t_check "domain 7 balloons gfns 0 and 1 out" sh -c "echo '7 0' > $D/balloon_out && echo '7 1' > $D/balloon_out"
t_check "slot 0 polls: two callbacks due" ctl poll 0
t_wait 50 grep -q '^slot 0 .* running=1 ' $S/state
rm -f /tmp/closed
(echo 'close 0' >$S/ctl; echo $? >/tmp/closed) &
sleep 1
t_eq "close waits while the first callback runs" "1 0 no" \
	"$(slot 0 running) $(slot 0 inv) $([ -e /tmp/closed ] && echo yes || echo no)"
t_wait 100 test -s /tmp/closed
t_eq "close returned 0 after it; the second callback was never made" \
	"0 1 0" "$(cat /tmp/closed) $(slot 0 inv) $(slot 0 running)"
t_eq "handle gone, nothing mapped, no frame in use" "0 0 0" \
	"$(grep -c '^handle' $E) $(foreign) $(emuf used_frames)"

# --- unload while a callback runs --------------------------------------------
t_check "slot 0 = (7, 1) again" ctl open 0 7 1
t_check "slot 0: GTT of gfns 16-23" ctl gtt 0 8 0x10
t_check "domain 7 balloons gfn 16 out" sh -c "echo '7 16' > $D/balloon_out"
t_check "slot 0 polls" ctl poll 0
t_wait 50 grep -q '^slot 0 .* running=1 ' $S/state
t_errno "unloading the emulator while its callback runs: EAGAIN" EAGAIN \
	xpv_mod unload xpv_emu_sample
t_wait 100 grep -q '^slot 0 .* inv=2 .* running=0 ' $S/state
t_rmmod xpv_emu_sample
t_eq "its exit closed the handle: nothing mapped, no frame in use" "0 0 0" \
	"$(grep -c '^handle' $E) $(foreign) $(emuf used_frames)"

# --- exit() frees the callback data without closing ---------------------------
t_insmod xpv_emu_sample leak=1 exit_inv=1 || exit 1
t_check "slot 0 = (7, 1)" ctl open 0 7 1
t_check "slot 0: GTT of gfns 32-35" ctl gtt 0 4 0x20
sk=$(emuf callbacks_skipped)
t_dmesg_mark
t_rmmod xpv_emu_sample
t_dmesg_lacks "no callback once exit() started" 'made after exit\(\) started'
t_eq "the one due during exit() was skipped" 1 \
	$(($(emuf callbacks_skipped) - sk))
t_dmesg_has "the module notifier released the handle" \
	'xpv_emu_sample unloaded with dom7 ioserver 1 open \(3 pages mapped, 4 references\): released'
t_eq "nothing mapped, no frame in use" "0 0 0" \
	"$(grep -c '^handle' $E) $(foreign) $(emuf used_frames)"

t_rmmod xen_pviommu
t_check "destroy domain 7" sh -c "echo 7 > $D/domain_destroy"
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
