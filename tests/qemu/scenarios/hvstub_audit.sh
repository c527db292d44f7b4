# SPDX-License-Identifier: GPL-2.0-only
# hvstub_audit: deliberately wrong callers are caught by the stub's audit
# (a refcount leak, an unmap without IOTLB flush followed by freeing the
# page, a map of a Xen-owned frame); the hypercall file refuses malformed
# requests with exact errnos; the debugfs files work: commands, domains,
# invalidate notifications of a ballooned foreign page, swap to the zeroed
# scratch page (read-only: a device write faults), counters, mappings
# dump, fault injection; audit clean at the end.
# kernels: all
# timeout: 180

D=/sys/kernel/debug/xen_hvstub

# op ARGS...: one op through the stub; "rc R status S".
op() {
	hvstub_cases op "$@" | cut -d' ' -f1-4
}

# field FILE N...: fields N... of FILE's first line.
frame_of() {
	echo "$1" >$D/frame
	cut -d' ' -f3-12 $D/frame
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_eq "audit clean after load" "verdict: clean" "$(grep '^verdict' $D/audit)"

t_relay /tmp/hvs_lines.out "" hvstub_cases wrongcaller
t_relay /tmp/hvs_lines.out "" hvstub_cases badreq

t_errno "unknown command: EINVAL" EINVAL sh -c "echo bogus > $D/ctl"
t_errno "knob out of range: EINVAL" EINVAL \
	sh -c "echo 'max_order 21' > $D/set"
t_errno "destroy an unknown domain: ENOENT" ENOENT \
	sh -c "echo 9 > $D/domain_destroy"
t_check "create domain 3 (8 contiguous pages)" \
	sh -c "echo '3 8 contig' > $D/domain_create"
t_errno "create it again: EEXIST" EEXIST \
	sh -c "echo '3 8' > $D/domain_create"
t_check "ioserver 3/1" sh -c "echo '3 1' > $D/ioserver_create"
t_eq "domains view" \
	"domain 3 pages 8 populated 8 frames 8 recs 0 dying 0 target 0" \
	"$(grep '^domain 3 ' $D/domains)"

# swap_mfn: the guest balloons the page out; the invalidate is queued, the
# entry points at the scratch page, the page is free.
t_eq "map_foreign with swap_mfn" "rc 0 status 0" \
	"$(op map_foreign bfn=0x300 gfn=2 dom=3 ios=1 flags=0x7)"
echo 0x300 >$D/translate
mfn=$(awk '{ print $6 }' $D/translate)
t_eq "bfn 0x300 reaches domain 3's page" mapped \
	"$(awk '{ print $4 }' $D/translate)"
t_eq "the page: domain 3's, one RW reference" \
	"owner 3 allocated 1 gfn 0x2 refs 1 wrefs 1" "$(frame_of "$mfn")"
t_eq "mappings dump" \
	"bfn=0x300 order=0 mfn=$mfn gfn=0x2 kind=foreign dom=3 ios=1 perm=rw ref=rw swap=1 swapped=0" \
	"$(cat $D/mappings)"
t_check "domain 3 balloons gfn 2 out" sh -c "echo '3 2' > $D/balloon_out"
t_eq "one invalidate queued for ioserver 3/1" \
	"dom 3 ios 1 live 1 pending 1 total 1 lost 0 sync 0 bfns 0x300" \
	"$(cat $D/notifications)"
scratch=$(awk '$1 == "scratch_mfn" { print $2 }' $D/config)
t_eq "bfn 0x300 now reaches the zeroed scratch page, read-only" \
	"scratch $scratch r- 1" \
	"$(awk '{ print $4, $6, $8, $12 }' $D/translate)"
t_errno "a device write there faults: EACCES" EACCES \
	sh -c "echo 0x300 > $D/dma_write"
t_eq "the scratch page is still zero" 1 \
	"$(awk '$1 == "scratch_zero" { print $2 }' $D/config)"
t_eq "the ballooned page is free" \
	"owner 32756 allocated 0 gfn 0xffffffffffffffff refs 0 wrefs 0" \
	"$(frame_of "$mfn")"
t_eq "swaps counted" 1 "$(awk '$1 == "swaps" { print $2 }' $D/counters)"
t_eq "unmap_foreign of the swapped entry" "rc 0 status 0" \
	"$(op unmap_foreign bfn=0x300 ios=1)"

# Without swap_mfn the page lives on, held by the mapping, until unmapped.
t_eq "map_foreign without swap_mfn" "rc 0 status 0" \
	"$(op map_foreign bfn=0x301 gfn=3 dom=3 ios=1 flags=0x3)"
echo 0x301 >$D/translate
mfn=$(awk '{ print $6 }' $D/translate)
t_check "domain 3 balloons gfn 3 out" sh -c "echo '3 3' > $D/balloon_out"
t_eq "the page is held by the mapping only" \
	"owner 3 allocated 0 gfn 0xffffffffffffffff refs 1 wrefs 1" \
	"$(frame_of "$mfn")"
t_eq "audit: ledger off baseline while the emulator holds it" \
	"at_baseline: no" "$(grep '^at_baseline' $D/audit)"
t_eq "unmap_foreign" "rc 0 status 0" "$(op unmap_foreign bfn=0x301 ios=1)"
t_eq "the page is freed after the unmap (and the flush)" \
	"owner 32756 allocated 0 gfn 0xffffffffffffffff refs 0 wrefs 0" \
	"$(frame_of "$mfn")"

# Fault injection through the file.
t_check "arm a fault on op 0" sh -c "echo 'op 0 EIO' > $D/fault"
t_eq "faults view" "op 0 -5" "$(cat $D/faults)"
t_eq "the next op fails with it" "rc 0 status EIO" "$(op query_caps)"
t_eq "one-shot" "rc 0 status 0" "$(op query_caps)"
t_check "arm a whole-call fault" sh -c "echo 'call EFAULT' > $D/fault"
t_eq "the next hypercall returns it" "rc EFAULT status untouched" \
	"$(op query_caps)"

t_check "destroy domain 3" sh -c "echo 3 > $D/domain_destroy"
t_eq "domain 3 is gone" "" "$(grep '^domain 3 ' $D/domains)"
t_eq "audit clean at the end" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
