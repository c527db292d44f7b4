# SPDX-License-Identifier: GPL-2.0-only
# emu_ring: invalidates as on real Xen, through the emulator's own ioreq
# ring (xen_pviommu loaded with emu_pull=0: it never takes the stub's
# queue, the emulator passes each invalidate to xpv_emu_invalidate()).
# The race: the guest balloons a page out, its invalidate waits on the
# ring, the emulator unmaps that BFN for its own reasons and maps another
# gfn; the late invalidate must not hit the new mapping.  Unmapped BFNs
# are quarantined per handle until the emulator confirms its ring drained
# (xpv_emu_inv_mark / xpv_emu_inv_done), so the new mapping gets another
# BFN and the late invalidate is stale.  Without the quarantine the BFN
# is reused at once (per-CPU magazines are LIFO) and the new mapping dies.
# kernels: all
# timeout: 120

D=/sys/kernel/debug/xen_hvstub
S=/sys/kernel/debug/xpv_emu_sample
E=/sys/kernel/debug/xen_pviommu/emu

counter() { sed -n "s/^$1 //p" $D/counters; }
ctl() { echo "$*" >$S/ctl; }
res() { cat $S/result; }
src_of() {
	echo "$1" >$D/translate
	awk '{ print $4 }' $D/translate
}
slot() {
	sed -n "s/^slot $1 .* $2=\([^ ]*\).*/\1/p" $S/state
}
handle() {
	sed -n "s/^handle dom=8 ios=1 .* $1=\([^ ]*\).*/\1/p" $E
}
pending() {
	sed -n 's/^dom 8 ios 1 live 1 pending \([0-9]*\).*/\1/p' $D/notifications
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu attach=0 emu_pull=0 || exit 1
t_insmod xpv_emu_sample || exit 1
t_check "domain 8 (64 pages), ioserver 8/1" \
	sh -c "echo '8 64' > $D/domain_create && echo '8 1' > $D/ioserver_create"
t_check "slot 0 = (8, 1)" ctl open 0 8 1
t_eq "the handle is in push mode" 1 "$(grep -c '^handle dom=8 ios=1 .* push ' $E)"

# --- the race, made deterministic --------------------------------------------
t_check "slot 0 maps gfn 3" ctl map 0 3
b3=$(res)
t_check "domain 8 balloons gfn 3 out" sh -c "echo '8 3' > $D/balloon_out"
t_eq "its invalidate waits on the ring (the stub's queue)" 1 "$(pending)"
t_check "not read yet: lookup still answers" ctl lookup 0 3
t_eq "with the old BFN" "$b3" "$(res)"
t_check "the emulator unmaps that BFN for its own reasons" ctl unmap 0 "$b3"
t_eq "unmapped, quarantined" "none 1" "$(src_of "$b3") $(handle quarantined)"
t_check "slot 0 maps gfn 4" ctl map 0 4
b4=$(res)
t_eq "the new mapping did not get the quarantined BFN" yes \
	"$([ "$b4" != "$b3" ] && echo yes)"
t_check "the emulator reads its ring now" sh -c "echo 'notify_clear 8 1' > $D/ctl"
t_check "and passes the late invalidate on" ctl inv 0 "$b3"
t_eq "it was stale: counted, no callback, no invalidation" "1 0 0" \
	"$(handle stale) $(handle invalidates) $(slot 0 inv)"
t_check "lookup gfn 4" ctl lookup 0 4
t_eq "the new mapping is alive" "$b4 mapped" "$(res) $(src_of "$b4")"

# --- the drain confirmation ---------------------------------------------------
t_check "mark 0" ctl mark 0
m1=$(res)
t_errno "done with a mark never handed out: EINVAL" EINVAL ctl done 0 $((m1 + 1))
t_errno "done with mark 0: EINVAL" EINVAL ctl done 0 0
t_check "ring drained up to the mark" ctl done 0 "$m1"
t_eq "one BFN released, none quarantined" "1 0" "$(res) $(handle quarantined)"
t_check "slot 0 maps gfn 5" ctl map 0 5
t_eq "the released BFN is in use again" "$b3" "$(res)"

# --- a BFN unmapped after the mark stays quarantined --------------------------
t_check "mark 0 again" ctl mark 0
m2=$(res)
t_check "slot 0 unmaps gfn 4's BFN after the mark" ctl unmap 0 "$b4"
t_check "done with the earlier mark" ctl done 0 "$m2"
t_eq "released nothing: still quarantined" "0 1" "$(res) $(handle quarantined)"
t_check "a later mark" ctl mark 0
t_check "done with a later mark" ctl done 0 "$(res)"
t_eq "released it" "1 0" "$(res) $(handle quarantined)"

# --- a real invalidate, as read from the ring ---------------------------------
t_check "domain 8 balloons gfn 5 out" sh -c "echo '8 5' > $D/balloon_out"
t_check "the emulator reads its ring" sh -c "echo 'notify_clear 8 1' > $D/ctl"
t_check "and passes the invalidate on" ctl inv 0 "$b3"
t_errno "lookup gfn 5 at once: ENOENT" ENOENT ctl lookup 0 5
t_wait 50 grep -q '^slot 0 .* inv=1 ' $S/state
t_eq "callback: gfn 5, dropped" "0x5 $b3 1" \
	"$(slot 0 last_gfn) $(slot 0 last_bfn) $(slot 0 inv_dropped)"
t_wait 20 sh -c "[ \"\$(sed -n 's/^handle dom=8 ios=1 .* dropped=\([0-9]*\).*/\1/p' $E)\" = 1 ]"
t_eq "unmapped by xen_pviommu" none "$(src_of "$b3")"
t_check "slot 0 drops its reference" ctl unmap 0 "$b3"
t_eq "quarantined until the next drain" 1 "$(handle quarantined)"

t_check "close (quarantined BFNs go back)" ctl close 0
t_eq "emu: no frame in use" 0 "$(sed -n 's/^used_frames\t//p' $E)"
t_eq "stub: no foreign mapping left" 0 "$(grep -c 'kind=foreign' $D/mappings)"
t_rmmod xpv_emu_sample
t_rmmod xen_pviommu
t_check "destroy domain 8" sh -c "echo 8 > $D/domain_destroy"
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
