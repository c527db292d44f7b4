# SPDX-License-Identifier: GPL-2.0-only
# pviommu_balloon: reservation changes through the very functions the
# balloon driver and grant backends use (xenmem_reservation_decrease() /
# _increase(), redirected by xen_pviommu), played by xpv_balloon against
# the stub: frames leave only after their BFN is unmapped (the stub's
# audit would flag a frame given back while reachable), come back mapped,
# in batched hypercalls; a ballooned page gets no bus address; a granted
# foreign page is never given its pfn's BFN (bounce without Xen's window,
# MFN + window with it); a failed unmap withholds exactly that frame until
# a retry; a failed map undoes the populate.  Order-0 premaps (XenServer's
# Xen) make every count exact.
# kernels: all
# needs: edu
# timeout: 180

S=/sys/kernel/debug/xen_hvstub
B=/sys/kernel/debug/xen_pviommu/balloon
P=/sys/kernel/debug/xen_pviommu/premap
C=/sys/kernel/debug/xpv_balloon
counter() { sed -n "s/^$1 //p" $S/counters; }
bal() { sed -n "s/^$1\t//p" $B; }
pm() { sed -n "s/^$1\t//p" $P; }
st() { sed -n "s/^$1 //p" $C/state; }
src() {		# src BFN: what a device reaches there
	echo "$1" >$S/translate
	awk '{ print $4 }' $S/translate
}
mfn_at() {	# mfn_at BFN
	echo "$1" >$S/translate
	awk '{ print $6 }' $S/translate
}
granted_mfn() {	# granted_mfn PFN: the foreign frame the P2M names there
	echo "$1" >$S/p2m
	awk '$3 == "foreign" { print $4 }' $S/p2m
}
clean() {	# clean DESC: no violation, no caller error
	grep -E '^(violation|caller error):' $S/audit
	t_eq "$1" "violations: 0 caller_errors: 0" \
		"$(grep -E '^(violations|caller_errors):' $S/audit |
		   tr '\n' ' ' | sed 's/ $//')"
}

saved=$(t_pci_unbind_all)

# --- identity default map (Xen's Dom0 map without a window) ------------
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub max_order=0 || exit 1
t_insmod xen_pviommu || exit 1
t_eq "the hook follows reservation changes" 1 "$(bal hooked)"
t_insmod xpv_balloon || exit 1

hc=$(bal hypercalls)
t_check "512 pages ballooned out" sh -c "echo out 512 > $C/ctl"
t_eq "the hypervisor took 512 frames" 512 "$(counter resv_decrease_frames)"
t_eq "hook: 512 released, none withheld" "512 0" \
	"$(bal released) $(bal withheld)"
t_eq "512 order-0 unmaps in exactly one hypercall" $((hc + 1)) \
	"$(bal hypercalls)"
clean "stub audit: no frame left reachable"
pfn=$(st first_pfn)
t_eq "a ballooned pfn's BFN reaches nothing" none "$(src "$pfn")"
t_check "a ballooned page gets no bus address" \
	sh -c "echo mapout > $C/ctl"
t_eq "premap: one map refused" 1 "$(pm refused)"

echo "domain_create 5 64" >$S/ctl
t_check "a foreign page is granted at a ballooned pfn" \
	sh -c "echo grant 5 3 > $C/ctl"
gpfn=$(st granted_pfn) bus=$(st bus)
t_eq "without a window it is bounced" "1 0" \
	"$(pm foreign_bounced) $(pm window_maps)"
t_check "its bus address is not the pfn's" test $((bus >> 12)) -ne $((gpfn))
t_eq "its pfn's BFN still reaches nothing" none "$(src "$gpfn")"
t_check "ungrant" sh -c "echo ungrant > $C/ctl"

hc=$(bal hypercalls)
t_check "512 pages populated" sh -c "echo in 512 > $C/ctl"
t_eq "the hypervisor gave 512 frames" 512 \
	"$(counter resv_populate_frames)"
t_eq "hook: 512 populated" 512 "$(bal populated)"
t_eq "512 order-0 maps in exactly one hypercall" $((hc + 1)) \
	"$(bal hypercalls)"
t_eq "the repopulated pfn is mapped again" mapped "$(src "$pfn")"
clean "stub audit: clean after populate"

# The hypervisor fails op 2 of the next batch: that frame is withheld.
echo 'fault op 2 EIO' >$S/ctl
t_check "8 more pages out despite the failure" sh -c "echo out 8 > $C/ctl"
t_eq "hook: one frame withheld, held until a retry" "1 1" \
	"$(bal withheld) $(bal held)"
t_eq "the hypervisor took only 7" 519 "$(counter resv_decrease_frames)"
# The domain still owns the withheld frame while its P2M entry is gone:
# exactly the one disagreement the audit reports, and nothing reachable
# that was given back.
t_eq "stub audit: only the withheld frame's M2P/P2M disagreement" \
	"violations: 1 caller_errors: 0 M2P disagrees with the P2M" \
	"$(grep -E '^(violations|caller_errors):' $S/audit | tr '\n' ' ')$(
	   grep -c '^violation: M2P of mfn .* disagrees with the P2M$' \
	   $S/audit | sed 's/^1$/M2P disagrees with the P2M/')"
# The next call retries first: the frame goes back, then 8 come in.
t_check "8 pages in" sh -c "echo in 8 > $C/ctl"
t_eq "the retry gave the withheld frame back" "0 520" \
	"$(bal held) $(counter resv_decrease_frames)"
clean "stub audit: clean after the retry"

# A map fails after populate: the populate is undone, frames returned.
t_check "4 pages out" sh -c "echo out 4 > $C/ctl"
echo 'fault op 1 EIO' >$S/ctl
t_errno "populate with a failing map reports nothing done" EIO \
	sh -c "echo in 4 > $C/ctl"
t_eq "hook: one populate undone, frames returned" "1 4" \
	"$(bal undone) $(st ballooned)"
clean "stub audit: clean after the undo"
t_check "4 pages in" sh -c "echo in 4 > $C/ctl"
t_rmmod xpv_balloon
t_rmmod xen_pviommu
t_eq "stub: back at baseline" "at_baseline: yes" \
	"$(grep '^at_baseline:' $S/audit)"
clean "stub audit: clean"
t_rmmod xen_hvstub

# --- XenServer's layout: host RAM at MFN + 248 GiB ---------------------
# (order 9: nothing here depends on the order, and it is quicker)
t_insmod xen_hvstub max_order=9 foreign_offset=0x3e00000 || exit 1
t_insmod xen_pviommu || exit 1
t_insmod xpv_balloon || exit 1
t_check "16 pages out" sh -c "echo out 16 > $C/ctl"
t_eq "hook: none withheld" 0 "$(bal withheld)"
echo "domain_create 6 64" >$S/ctl
t_check "a foreign page is granted" sh -c "echo grant 6 9 > $C/ctl"
gpfn=$(st granted_pfn) bus=$(st bus)
mfn=$(granted_mfn "$gpfn")
t_eq "with the window it goes through the window" "1 0" \
	"$(pm window_maps) $(pm foreign_bounced)"
t_eq "its bus frame is the granted MFN + 248 GiB" $((mfn + 0x3e00000)) \
	$((bus >> 12))
t_eq "a device reaches the granted frame there" "default $mfn" \
	"$(src $((bus >> 12))) $(mfn_at $((bus >> 12)))"
t_eq "its pfn's BFN reaches nothing" none "$(src "$gpfn")"
t_check "ungrant" sh -c "echo ungrant > $C/ctl"
t_rmmod xpv_balloon
t_rmmod xen_pviommu
t_eq "stub: back at baseline (window)" "at_baseline: yes" \
	"$(grep '^at_baseline:' $S/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_pci_rebind "$saved"
exit 0
