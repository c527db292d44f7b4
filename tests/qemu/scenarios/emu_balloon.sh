# SPDX-License-Identifier: GPL-2.0-only
# emu_balloon: a guest balloons out pages an emulator has mapped through
# xen_pviommu's emulator API (loaded with attach=0: the API works without
# the 1:1 map).  With swap_mfn the BFN is pointed at the zeroed scratch
# page and the page freed at once, and the callback is told "swapped";
# without, xen_pviommu unmaps it after the emulator's callback
# ("dropped").  A page shared by a swap and a no-swap emulator is not
# swapped (Xen's rule: every mapping must be swap_mfn and order 0): the
# swap one is told "pinned", the page stays held until it unmaps; two swap
# emulators sharing a page are both swapped.  swap_mfn with order > 0 is
# refused; a balloon-out inside an order-4 block drops the whole block.
# Twenty dropped mappings are unmapped in one hypercall.  A lookup right
# after the balloon-out (before any callback) never answers the stale BFN,
# a re-populated gfn gets a fresh mapping, and nothing leaks.
# kernels: all
# timeout: 180

D=/sys/kernel/debug/xen_hvstub
S=/sys/kernel/debug/xpv_emu_sample
E=/sys/kernel/debug/xen_pviommu/emu

counter() { sed -n "s/^$1 //p" $D/counters; }
ctl() { echo "$*" >$S/ctl; }
res() { cat $S/result; }
src_of() {	# src_of BFN: source and frame a device reaches there
	echo "$1" >$D/translate
	awk '{ print $4 }' $D/translate
}
mfn_of() {
	echo "$1" >$D/translate
	awk '{ print $6 }' $D/translate
}
frame_of() {
	echo "$1" >$D/frame
	cut -d' ' -f3-12 $D/frame
}
slot() {	# slot N FIELD: one field of the sample's state line
	sed -n "s/^slot $1 .* $2=\([^ ]*\).*/\1/p" $S/state
}
handle() {	# handle IOS FIELD [DOM]: one field of xen_pviommu's handle line
	sed -n "s/^handle dom=${3:-3} ios=$1 .* $2=\([^ ]*\).*/\1/p" $E
}
FREE="owner 32756 allocated 0 gfn 0xffffffffffffffff refs 0 wrefs 0"

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu attach=0 emu_poll_ms=0 || exit 1
t_eq "not attached, emulator API in map mode" "0 map" \
	"$(sed -n 's/^attached\t//p' /sys/kernel/debug/xen_pviommu/premap) $(sed -n 's/^mode\t//p' $E)"
t_insmod xpv_emu_sample || exit 1
t_check "domain 3 (64 pages), ioservers 3/1, 3/2" \
	sh -c "echo '3 64' > $D/domain_create && echo '3 1' > $D/ioserver_create && echo '3 2' > $D/ioserver_create"
t_check "slot 0 = (3, 1)" ctl open 0 3 1
t_check "slot 1 = (3, 2)" ctl open 1 3 2
t_check "slot 0: GTT of gfns 0-31 with swap_mfn" ctl gtt 0 32 0 0 swap
t_check "slot 0 keeps its references on invalidation" ctl keep 0 1
t_check "slot 1: GTT of gfns 32-63 without swap_mfn" ctl gtt 1 32 0x20 0

# --- swap_mfn ----------------------------------------------------------------
t_check "lookup gfn 5" ctl lookup 0 5
b5=$(res)
m5=$(mfn_of "$b5")
t_eq "gfn 5 mapped" mapped "$(src_of "$b5")"
t_check "domain 3 balloons gfn 5 out" sh -c "echo '3 5' > $D/balloon_out"
t_eq "the stub queued one invalidate for 3/1" "pending 1 total 1 lost 0" \
	"$(sed -n 's/^dom 3 ios 1 live 1 \(pending [0-9]* total [0-9]* lost [0-9]*\).*/\1/p' $D/notifications)"
t_errno "lookup of gfn 5 at once (nothing polled yet): ENOENT" ENOENT \
	ctl lookup 0 5
t_eq "the lookup drained the stub's queue" "pending 0" \
	"$(sed -n 's/^dom 3 ios 1 live 1 \(pending [0-9]*\).*/\1/p' $D/notifications)"
t_wait 50 grep -q '^slot 0 .* inv=1 ' $S/state
t_eq "slot 0's callback: gfn 5, its BFN, swapped" "1 1 0 1 0 0x5 $b5" \
	"$(slot 0 inv) $(slot 0 inv_gtt) $(slot 0 inv_dropped) $(slot 0 inv_swapped) $(slot 0 inv_pinned) $(slot 0 last_gfn) $(slot 0 last_bfn)"
t_eq "slot 1 was not told" 0 "$(slot 1 inv)"
t_check "check slot 0" ctl check 0
t_eq "31 entries valid, gfn 5 invalid, none wrong" \
	"valid=31 invalid=1 wrong=0" "$(res)"
t_eq "its BFN now reaches the scratch page" \
	"scratch $(awk '$1 == "scratch_mfn" { print $2 }' $D/config)" \
	"$(src_of "$b5") $(mfn_of "$b5")"
t_eq "the old page is free at once" "$FREE" "$(frame_of "$m5")"
t_eq "handle (3, 1): 1 invalidate, 0 dropped, 1 swapped" "1 0 1" \
	"$(handle 1 invalidates) $(handle 1 dropped) $(handle 1 swapped)"
hc=$(counter hypercalls)
t_check "slot 0 unmaps its kept reference" ctl unmap 0 "$b5"
t_eq "one hypercall, the BFN is a hole" "1 none" \
	"$(($(counter hypercalls) - hc)) $(src_of "$b5")"

# --- no swap_mfn, the emulator drops its reference in the callback ------------
t_check "lookup gfn 0x28" ctl lookup 1 0x28
b40=$(res)
m40=$(mfn_of "$b40")
t_check "domain 3 balloons gfn 40 out" sh -c "echo '3 40' > $D/balloon_out"
t_eq "page held by the mapping until unmapped" \
	"owner 3 allocated 0 gfn 0xffffffffffffffff refs 1 wrefs 1" \
	"$(frame_of "$m40")"
t_check "slot 1 polls" ctl poll 1
t_wait 50 grep -q '^slot 1 .* inv=1 ' $S/state
t_eq "slot 1's callback: gfn 40, dropped" "1 1 0x28 $b40" \
	"$(slot 1 inv) $(slot 1 inv_dropped) $(slot 1 last_gfn) $(slot 1 last_bfn)"
t_wait 20 sh -c "[ \"\$(sed -n 's/^handle dom=3 ios=2 .* mappings=\([0-9]*\).*/\1/p' $E)\" = 31 ]"
t_eq "BFN unmapped, page freed" "none $FREE" \
	"$(src_of "$b40") $(frame_of "$m40")"
t_eq "handle (3, 2): 1 invalidate, 1 dropped, 31 mappings" "1 1 31" \
	"$(handle 2 invalidates) $(handle 2 dropped) $(handle 2 mappings)"
t_check "check slot 1" ctl check 1
t_eq "31 valid, 1 invalid" "valid=31 invalid=1 wrong=0" "$(res)"

# --- no swap_mfn, the emulator keeps its reference: dropped anyway -------------
t_check "slot 1 keeps references now" ctl keep 1 1
t_check "lookup gfn 0x29" ctl lookup 1 0x29
b41=$(res)
m41=$(mfn_of "$b41")
t_check "domain 3 balloons gfn 41 out" sh -c "echo '3 41' > $D/balloon_out"
t_check "slot 1 polls" ctl poll 1
t_wait 50 grep -q '^slot 1 .* inv=2 ' $S/state
t_wait 20 sh -c "[ \"\$(sed -n 's/^handle dom=3 ios=2 .* dropped=\([0-9]*\).*/\1/p' $E)\" = 2 ]"
t_eq "unmapped after the callback, page freed" "none $FREE" \
	"$(src_of "$b41") $(frame_of "$m41")"
hc=$(counter hypercalls)
t_check "slot 1 drops its reference later" ctl unmap 1 "$b41"
t_eq "no hypercall for a dropped mapping" 0 $(($(counter hypercalls) - hc))

# --- re-populated: a fresh mapping, never the stale BFN -------------------------
t_check "domain 3 populates gfn 5 again" sh -c "echo '3 5' > $D/populate"
t_check "slot 0 maps gfn 5 again" ctl map 0 5 0 swap
n5=$(res)
t_check "lookup gfn 5" ctl lookup 0 5
t_eq "lookup answers the new mapping" "$n5" "$(res)"
t_eq "which reaches domain 3's current page" "owner 3 allocated 1 gfn 0x5" \
	"$(frame_of "$(mfn_of "$n5")" | cut -d' ' -f1-6)"
t_check "slot 0 unmaps it" ctl unmap 0 "$n5"

# --- shared page: swap (slot 0) + no swap (slot 1): not swapped -------------
t_check "slot 1 maps gfn 10 too (no swap)" ctl map 1 0xa
b10s1=$(res)
t_check "lookup gfn 0xa" ctl lookup 0 0xa
b10s0=$(res)
m10=$(mfn_of "$b10s0")
t_check "domain 3 balloons gfn 10 out" sh -c "echo '3 10' > $D/balloon_out"
t_check "slot 0 polls" ctl poll 0
t_check "slot 1 polls" ctl poll 1
t_wait 50 sh -c "grep -q '^slot 0 .* inv=2 ' $S/state && grep -q '^slot 1 .* inv=3 ' $S/state"
t_eq "both told: slot 0 pinned (not swapped), slot 1 dropped" "0xa 0xa 1 1 3" \
	"$(slot 0 last_gfn) $(slot 1 last_gfn) $(slot 0 inv_swapped) $(slot 0 inv_pinned) $(slot 1 inv_dropped)"
t_wait 20 sh -c "[ \"\$(sed -n 's/^handle dom=3 ios=2 .* dropped=\([0-9]*\).*/\1/p' $E)\" = 3 ]"
t_eq "as told: slot 0's BFN still reaches the old page" \
	"mapped $m10" "$(src_of "$b10s0") $(mfn_of "$b10s0")"
t_eq "slot 1's BFN is unmapped" none "$(src_of "$b10s1")"
t_eq "the page is held by slot 0's mapping only" \
	"owner 3 allocated 0 gfn 0xffffffffffffffff refs 1 wrefs 1" \
	"$(frame_of "$m10")"
t_eq "handle (3, 1): 1 pinned" 1 "$(handle 1 pinned)"
t_check "slot 0 unmaps it" ctl unmap 0 "$b10s0"
t_eq "page freed" "$FREE" "$(frame_of "$m10")"
t_check "slot 1 drops its reference" ctl unmap 1 "$b10s1"

# --- shared page: two swap emulators: both swapped ----------------------------
t_check "ioserver 3/3" sh -c "echo '3 3' > $D/ioserver_create"
t_check "slot 2 = (3, 3)" ctl open 2 3 3
t_check "slot 2 keeps its references" ctl keep 2 1
t_check "slot 2 maps gfn 12 with swap (slot 0 has it with swap)" \
	ctl map 2 0xc 0 swap
b12s2=$(res)
t_check "lookup gfn 0xc" ctl lookup 0 0xc
b12s0=$(res)
m12=$(mfn_of "$b12s0")
t_check "domain 3 balloons gfn 12 out" sh -c "echo '3 12' > $D/balloon_out"
t_check "slot 0 polls" ctl poll 0
t_check "slot 2 polls" ctl poll 2
t_wait 50 sh -c "grep -q '^slot 0 .* inv=3 ' $S/state && grep -q '^slot 2 .* inv=1 ' $S/state"
t_eq "both told swapped" "0xc 2 0xc 1 0" \
	"$(slot 0 last_gfn) $(slot 0 inv_swapped) $(slot 2 last_gfn) $(slot 2 inv_swapped) $(slot 2 inv_pinned)"
sc="scratch $(awk '$1 == "scratch_mfn" { print $2 }' $D/config)"
t_eq "both BFNs reach the scratch page" "$sc $sc" \
	"$(src_of "$b12s0") $(mfn_of "$b12s0") $(src_of "$b12s2") $(mfn_of "$b12s2")"
t_eq "the page is free at once" "$FREE" "$(frame_of "$m12")"
hc=$(counter hypercalls)
t_check "slot 0 and slot 2 unmap" sh -c "echo 'unmap 0 $b12s0' > $S/ctl && echo 'unmap 2 $b12s2' > $S/ctl"
t_eq "two hypercalls, two holes" "2 none none" \
	"$(($(counter hypercalls) - hc)) $(src_of "$b12s0") $(src_of "$b12s2")"
t_check "close slot 2" ctl close 2

# --- order > 0: swap refused; a balloon-out inside a block drops it -----------
t_check "domain 9 (32 pages, contiguous), ioserver 9/1" \
	sh -c "echo '9 32 contig' > $D/domain_create && echo '9 1' > $D/ioserver_create"
t_check "slot 3 = (9, 1)" ctl open 3 9 1
t_errno "swap_mfn with order 4: EINVAL" EINVAL ctl map 3 0x10 4 swap
t_check "slot 3 maps gfns 0x10-0x1f as one order-4 block" ctl map 3 0x10 4
b16=$(res)
m19=$(mfn_of $(printf '0x%x' $((b16 + 3))))
t_check "domain 9 balloons gfn 0x13 out (inside the block)" \
	sh -c "echo '9 19' > $D/balloon_out"
t_eq "the stub queued the BFN of gfn 0x13" "pending 1" \
	"$(sed -n 's/^dom 9 ios 1 live 1 \(pending [0-9]*\).*/\1/p' $D/notifications)"
t_check "slot 3 polls" ctl poll 3
t_wait 50 grep -q '^slot 3 .* inv=1 ' $S/state
t_eq "callback: the whole block (gfn 0x10, its first BFN, order 4), dropped" \
	"0x10 $b16 4 1" \
	"$(slot 3 last_gfn) $(slot 3 last_bfn) $(slot 3 last_order) $(slot 3 inv_dropped)"
t_wait 20 sh -c "[ \"\$(sed -n 's/^handle dom=9 ios=1 .* dropped=\([0-9]*\).*/\1/p' $E)\" = 1 ]"
t_eq "the block is unmapped, the ballooned page freed" "none none $FREE" \
	"$(src_of "$b16") $(src_of $(printf '0x%x' $((b16 + 15)))) $(frame_of "$m19")"
hc=$(counter hypercalls)
t_check "slot 3 drops its reference" ctl unmap 3 "$b16"
t_eq "no hypercall for the dropped block" 0 $(($(counter hypercalls) - hc))
t_check "close slot 3" ctl close 3

# --- twenty dropped mappings: one unmap hypercall -------------------------------
hc=$(counter hypercalls)
h2=$(handle 2 hypercalls)
fm2=$(grep -c 'kind=foreign dom=3 ios=2 ' $D/mappings)
i=44
while [ $i -le 63 ]; do
	echo "3 $i" >$D/balloon_out
	i=$((i + 1))
done
t_eq "the stub queued 20 invalidates for 3/2" "pending 20" \
	"$(sed -n 's/^dom 3 ios 2 live 1 \(pending [0-9]*\).*/\1/p' $D/notifications)"
t_check "slot 1 polls" ctl poll 1
t_wait 50 grep -q '^slot 1 .* inv=23 ' $S/state
t_wait 20 sh -c "[ \"\$(sed -n 's/^handle dom=3 ios=2 .* dropped=\([0-9]*\).*/\1/p' $E)\" = 23 ]"
t_eq "20 callbacks, all dropped, unmapped in 1 hypercall (batch 512)" \
	"23 1 1" \
	"$(slot 1 inv_dropped) $(($(handle 2 hypercalls) - h2)) $(($(counter hypercalls) - hc))"
t_eq "stub: the 20 BFNs are unmapped" $((fm2 - 20)) \
	"$(grep -c 'kind=foreign dom=3 ios=2 ' $D/mappings)"
t_check "check slot 1" ctl check 1
t_eq "10 valid, 22 invalid" "valid=10 invalid=22 wrong=0" "$(res)"

t_eq "stub: no invalidate lost or pending" "0 0" \
	"$(counter notify_lost) $(grep -c 'pending [1-9]' $D/notifications)"
t_check "close slots" sh -c "echo 'close 0' > $S/ctl && echo 'close 1' > $S/ctl"
t_eq "stub: no foreign mapping left" 0 "$(grep -c 'kind=foreign' $D/mappings)"
t_eq "emu: no frame in use, none refused" "0 0" \
	"$(sed -n 's/^used_frames\t//p' $E) $(sed -n 's/^bad_frees\t//p' $E)"
t_rmmod xpv_emu_sample
t_rmmod xen_pviommu
t_check "destroy domains 3, 9" \
	sh -c "echo 3 > $D/domain_destroy && echo 9 > $D/domain_destroy"
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
