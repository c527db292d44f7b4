# SPDX-License-Identifier: GPL-2.0-only
# hvstub_balloon: what the DMA driver's balloon and grant handling runs on.
# The backend's reservation op (XENMEM_decrease_reservation /
# populate_physmap, through the hypercall file): a frame given back while
# its IOMMU mapping still holds it is caught by the audit, given back after
# the unmap it is clean; populate returns the frames (the one it had if
# free, else a pool frame), sets the M2P and leaves the P2M to the guest
# (the audit disagrees until p2m_set).  Grant mappings into ballooned and
# unpopulated pfns: pfn_to_gfn says foreign, the frame holds one
# reference, the ledger is back at baseline after grant_unmap; a device
# reaches the frame at its default-map BFN (MFN, or MFN + the window in
# XenServer's layout), never at BFN = pfn.  Audit clean at the end.
# kernels: all
# timeout: 120

D=/sys/kernel/debug/xen_hvstub

op() {
	hvstub_cases op "$@" | cut -d' ' -f1-4
}
frame_of() {
	echo "$1" >$D/frame
	cut -d' ' -f3-12 $D/frame
}
p2m_of() {
	echo "$1" >$D/p2m
	cut -d' ' -f3-4 $D/p2m
}
xlate() {
	echo "$1" >$D/translate
	awk '{ print $4, $6 }' $D/translate
}
verdict() {
	grep '^verdict' $D/audit
}
# ctl CMD...: one command on the ctl file.
ctl() {
	echo "$*" >$D/ctl
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_eq "audit clean after load" "verdict: clean" "$(verdict)"
P=0x20000 Q=0x20001 R=0x20002 B=0x4000000
FREE_FRAME="owner 32756 allocated 0 gfn 0xffffffffffffffff refs 0 wrefs 0"

# --- decrease of a frame its IOMMU mapping still reaches ----------------------
t_eq "map_page BFN $B -> pfn $P" "rc 0 status 0" \
	"$(op map_page bfn=$B gfn=$P flags=3)"
t_check "the guest invalidates its P2M entry of $P" ctl p2m_set $P invalid
t_eq "pfn_to_gfn($P) is invalid" "invalid" "$(p2m_of $P)"
t_eq "decrease_reservation($P): 1 extent" "rc 1 frames $P" \
	"$(hvstub_cases resv decrease $P)"
t_eq "the audit: a page given back still held by its mapping" \
	"violation: released mfn $P still held by 1 mapping refs" \
	"$(grep -o '^violation: released mfn .*' $D/audit)"
t_eq "verdict dirty" "verdict: dirty" "$(verdict)"
t_eq "unmap_page" "rc 0 status 0" "$(op unmap_page bfn=$B)"
t_eq "the frame is free once unmapped and flushed" "$FREE_FRAME" \
	"$(frame_of $P)"
t_eq "audit clean" "verdict: clean" "$(verdict)"

# --- the right order: unmap, then give back ----------------------------------
t_eq "map_page BFN $B -> pfn $Q" "rc 0 status 0" \
	"$(op map_page bfn=$B gfn=$Q flags=3)"
t_eq "unmap_page (flushed by the hypercall)" "rc 0 status 0" \
	"$(op unmap_page bfn=$B)"
t_check "P2M entry of $Q invalidated" ctl p2m_set $Q invalid
t_eq "decrease_reservation($Q): 1 extent" "rc 1 frames $Q" \
	"$(hvstub_cases resv decrease $Q)"
t_eq "audit clean: nothing reached the page" "verdict: clean" "$(verdict)"
t_eq "decrease of a frame given back already: 0 extents" "rc 0 frames $Q" \
	"$(hvstub_cases resv decrease $Q)"

# --- populate ------------------------------------------------------------------
t_eq "populate_physmap($P, $Q): their own frames, free again" \
	"rc 2 frames $P $Q" "$(hvstub_cases resv populate $P $Q)"
t_eq "M2P set, P2M not (the guest's job): two disagreements" \
	"violations: 2" "$(grep '^violations:' $D/audit)"
t_check "the guest enters them in its P2M" \
	sh -c "echo '$P $P' > $D/p2m_set && echo '$Q $Q' > $D/p2m_set"
t_eq "pfn_to_gfn($Q)" "gfn $Q" "$(p2m_of $Q)"
t_eq "audit clean" "verdict: clean" "$(verdict)"
t_check "give back $R, then make its frame Xen's" \
	sh -c "echo '$R invalid' > $D/p2m_set && hvstub_cases resv decrease $R >/dev/null && echo '$R 1' > $D/xen_range"
pool=$(awk '$1 == "pool" { sub(/\+.*/, "", $2); print $2 }' $D/config)
t_eq "populate_physmap($R): a frame from the pool" "rc 1 frames $pool" \
	"$(hvstub_cases resv populate $R)"
t_eq "the pool frame is the caller's, M2P = $R" \
	"owner 0 allocated 1 gfn $R refs 0 wrefs 0" "$(frame_of $pool)"
t_errno "p2m_set of a frame not the caller's: EPERM" EPERM \
	sh -c "echo '$R $(printf 0x%x $((pool + 1)))' > $D/p2m_set"
t_check "p2m_set $R -> $pool" sh -c "echo '$R $pool' > $D/p2m_set"
t_eq "audit clean" "verdict: clean" "$(verdict)"
t_eq "counters: 4 decrease calls (3 frames), 2 populate calls (3 frames)" \
	"4 3 2 3" \
	"$(awk '$1 ~ /^resv_/ { printf "%s%s", s, $2; s = " " }' $D/counters)"

# --- grant mappings --------------------------------------------------------------
t_check "domain 3 (4 contiguous pages), ioserver 3/1" \
	sh -c "echo '3 4 contig' > $D/domain_create && echo '3 1' > $D/ioserver_create"
m1=$(hvstub_cases op lookup gfn=1 dom=3 ios=1 | cut -d' ' -f8)
t_eq "drop the lookup" "rc 0 status 0" "$(op unmap_foreign bfn=$m1 ios=1)"
t_check "balloon out pfn $P (P2M, then decrease)" \
	sh -c "echo '$P invalid' > $D/p2m_set && hvstub_cases resv decrease $P >/dev/null"
t_check "grant_map domain 3 gfn 1 at pfn $P" sh -c "echo '3 1 $P' > $D/grant_map"
t_eq "pfn_to_gfn($P): foreign, domain 3's frame" "foreign $m1" "$(p2m_of $P)"
t_eq "grants view" "pfn $P dom 3 gfn 0x1 mfn $m1" "$(grep '^pfn' $D/grants)"
t_eq "the frame holds one reference" \
	"owner 3 allocated 1 gfn 0x1 refs 1 wrefs 0" "$(frame_of "$m1")"
t_eq "the ledger counts the grant" "total grants 1 baseline 0 DIFF" \
	"$(grep '^total grants' $D/audit)"
t_eq "a device reaches it at BFN = MFN" "default $m1" "$(xlate "$m1")"
t_eq "BFN = pfn does not reach it" "default $P" "$(xlate $P)"
t_errno "grant_map at a granted pfn: EBUSY" EBUSY \
	sh -c "echo '3 2 $P' > $D/grant_map"
t_errno "grant_map at a populated pfn: EBUSY" EBUSY \
	sh -c "echo '3 2 $Q' > $D/grant_map"
t_errno "grant_map of an unknown domain: ENXIO" ENXIO \
	sh -c "echo '9 2 0x900000' > $D/grant_map"
t_errno "grant_map of a gfn beyond the domain: ENXIO" ENXIO \
	sh -c "echo '3 4 0x900000' > $D/grant_map"
t_errno "p2m_set of a granted pfn: EBUSY" EBUSY \
	sh -c "echo '$P $P' > $D/p2m_set"
t_check "grant_unmap $P" sh -c "echo $P > $D/grant_unmap"
t_eq "pfn_to_gfn($P) invalid again" "invalid" "$(p2m_of $P)"
t_eq "no reference left" "owner 3 allocated 1 gfn 0x1 refs 0 wrefs 0" \
	"$(frame_of "$m1")"
t_eq "ledger: grants back at baseline" "total grants 0 baseline 0" \
	"$(grep '^total grants' $D/audit)"
t_errno "grant_unmap again: ENOENT" ENOENT sh -c "echo $P > $D/grant_unmap"
t_check "repopulate $P" \
	sh -c "hvstub_cases resv populate $P >/dev/null && echo '$P $P' > $D/p2m_set"

# --- XenServer's layout: foreign frames at MFN + 248 GiB ------------------------
U=0x900000
t_check "default map: window (nothing mapped)" \
	sh -c "echo 'default_map window' > $D/set"
t_check "grant_map domain 3 gfn 2 at unpopulated pfn $U" \
	sh -c "echo '3 2 $U' > $D/grant_map"
m2=$(p2m_of $U | cut -d' ' -f2)
t_eq "pfn_to_gfn($U): foreign" "foreign $m2" "$(p2m_of $U)"
t_eq "a device reaches it at MFN + window" "default $m2" \
	"$(xlate "$(printf 0x%x $((m2 + 0x3e00000)))")"
t_eq "BFN = pfn reaches nothing" "none" "$(xlate $U | cut -d' ' -f1)"
t_eq "BFN = MFN reaches nothing either" "none" "$(xlate "$m2" | cut -d' ' -f1)"
t_check "grant_unmap $U" sh -c "echo $U > $D/grant_unmap"
t_eq "pfn_to_gfn($U): identity again" "gfn $U" "$(p2m_of $U)"
t_check "default map: identity" sh -c "echo 'default_map identity' > $D/set"

t_check "destroy domain 3" sh -c "echo 3 > $D/domain_destroy"
t_eq "audit clean at the end" "verdict: clean" "$(verdict)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
