# SPDX-License-Identifier: GPL-2.0-only
# emu_lookup: without map_cap (the stub offers no IOMMU control) the same
# emulator API uses IOMMUOP_lookup_foreign_page and hands back Xen's
# address (BFN = MFN with Xen's identity map): 1000 pages in
# ceil(1000/512) hypercalls each way, order > 0 and read-only refused
# (Xen's address is what it is), swap_mfn accepted but nothing is swapped
# without an IOMMU, a balloon-out invalidates and drops the lookup, audit
# clean.
# kernels: all
# timeout: 120

D=/sys/kernel/debug/xen_hvstub
S=/sys/kernel/debug/xpv_emu_sample
E=/sys/kernel/debug/xen_pviommu/emu

counter() { sed -n "s/^$1 //p" $D/counters; }
ctl() { echo "$*" >$S/ctl; }
res() { cat $S/result; }
frame_of() {
	echo "$1" >$D/frame
	cut -d' ' -f3-12 $D/frame
}
lookups() { grep -c 'kind=lookup' $D/mappings; }
slot() {	# slot N FIELD: one field of the sample's state line
	sed -n "s/^slot $1 .* $2=\([^ ]*\).*/\1/p" $S/state
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub map_cap=0 || exit 1
t_insmod xen_pviommu || exit 1
t_eq "emulator API in lookup mode, order 0 only" "lookup 0" \
	"$(sed -n 's/^mode\t//p' $E) $(sed -n 's/^max_order\t//p' $E)"
t_insmod xpv_emu_sample || exit 1
t_check "domain 4 (1002 pages), ioserver 4/1" \
	sh -c "echo '4 1002' > $D/domain_create && echo '4 1' > $D/ioserver_create"
t_check "slot 0 = (4, 1)" ctl open 0 4 1
hc=$(counter hypercalls) lk=$(counter op_lookup_foreign_page)
t_check "slot 0: GTT of 1000 pages" ctl gtt 0 1000 0
t_eq "ceil(1000/512) = 2 hypercalls, 1000 lookups" "2 1000" \
	"$(($(counter hypercalls) - hc)) $(($(counter op_lookup_foreign_page) - lk))"
t_eq "stub: 1000 lookup entries" 1000 "$(lookups)"
t_check "lookup gfn 7" ctl lookup 0 7
b7=$(res)
t_eq "the address is the MFN of domain 4's gfn 7" \
	"owner 4 allocated 1 gfn 0x7 refs 1" \
	"$(frame_of "$b7" | cut -d' ' -f1-8)"
t_errno "order 9 without map_cap: EINVAL" EINVAL ctl map 0 0 9
t_errno "read-only without map_cap: EINVAL" EINVAL ctl map 0 0x3e9 0 ro
t_eq "nothing looked up by the refusals" 1000 "$(lookups)"
t_check "domain 4 balloons gfn 7 out" sh -c "echo '4 7' > $D/balloon_out"
t_errno "lookup of gfn 7 right after: ENOENT" ENOENT ctl lookup 0 7
t_wait 50 sh -c "grep -q '^slot 0 .* inv=1 ' $S/state && [ \"\$(grep -c 'kind=lookup' $D/mappings)\" = 999 ]"
t_eq "callback: gfn 7, dropped" "0x7 $b7 1" \
	"$(slot 0 last_gfn) $(slot 0 last_bfn) $(slot 0 inv_dropped)"
t_eq "lookup entry gone, page freed" \
	"999 owner 32756 allocated 0 gfn 0xffffffffffffffff refs 0 wrefs 0" \
	"$(lookups) $(frame_of "$b7")"
t_check "swap_mfn is accepted (order 0)" ctl map 0 0x3e8 0 swap
bs=$(res)
t_check "domain 4 balloons gfn 1000 out" sh -c "echo '4 1000' > $D/balloon_out"
t_check "slot 0 polls" ctl poll 0
t_wait 50 sh -c "grep -q '^slot 0 .* inv=2 ' $S/state && [ \"\$(grep -c 'kind=lookup' $D/mappings)\" = 999 ]"
t_eq "callback: gfn 1000, dropped all the same (no IOMMU, no swap)" \
	"0x3e8 $bs 2 0 999" \
	"$(slot 0 last_gfn) $(slot 0 last_bfn) $(slot 0 inv_dropped) $(slot 0 inv_swapped) $(lookups)"
hc=$(counter hypercalls)
t_check "slot 0 drops its reference to it" ctl unmap 0 "$bs"
t_eq "no hypercall for a dropped mapping" 0 $(($(counter hypercalls) - hc))
hc=$(counter hypercalls)
t_check "slot 0: unmap the GTT" ctl gtt_unmap 0
t_eq "999 unmaps in 2 hypercalls" "2 0" \
	"$(($(counter hypercalls) - hc)) $(lookups)"
t_check "close" ctl close 0
t_rmmod xpv_emu_sample
t_rmmod xen_pviommu
t_check "destroy domain 4" sh -c "echo 4 > $D/domain_destroy"
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
