# SPDX-License-Identifier: GPL-2.0-only
# emu_map: the emulator API (xen_pviommu, include/xpv/pviommu.h) through
# the sample GPU mediator (xpv_emu_sample) against the stub's foreign
# domains and ioreq servers: thousands of pages mapped, looked up and
# unmapped in ceil(N/batch) hypercalls; 2 MiB and 64 KiB blocks aligned;
# the MSI window and RMRRs avoided; two emulators sharing a gfn don't
# unpin each other; a gfn repeated in one call is one mapping with one
# reference per repeat, capped by emu_max_refs (EOVERFLOW, nothing
# changed); the privilege matrix gives exact errnos; unloading
# the emulator with live mappings releases everything (closing itself,
# and not closing: xen_pviommu's module notifier); stub audit clean.
# kernels: all
# timeout: 240

D=/sys/kernel/debug/xen_hvstub
S=/sys/kernel/debug/xpv_emu_sample
E=/sys/kernel/debug/xen_pviommu/emu

counter() { sed -n "s/^$1 //p" $D/counters; }
emuf() { sed -n "s/^$1\t//p" $E; }
ctl() { echo "$*" >$S/ctl; }
src_of() {	# src_of BFN: what a device reaches there (stub's view)
	echo "$1" >$D/translate
	awk '{ print $4 }' $D/translate
}
foreign() { grep -c 'kind=foreign' $D/mappings; }
saved=$(t_pci_unbind_all)

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub rmrr=0xfee00:256 pool_frames=16384 || exit 1
# The window starts below the MSI window so that it has to be skipped;
# the stub refuses (EACCES) any map touching 0xfee00-0xfeeff.
t_insmod xen_pviommu emu_bfn_base=0xfe000 emu_rmrr=0x101000:512 \
	emu_max_refs=3 || exit 1
t_eq "emu: map mode, batch 512, 39 bits" "map 512 39" \
	"$(emuf mode) $(emuf batch) $(emuf addr_bits)"
t_eq "emu: window placed by hand (not claimed), reservations (MSI + emu_rmrr)" \
	"0xfe000 0x13e000 0 2 768" \
	"$(emuf bfn_base) $(emuf bfn_end) $(emuf claimed) $(emuf reserved) $(emuf reserved_frames)"
t_insmod xpv_emu_sample || exit 1

t_check "domain 5: 4096 pages, 2 MiB aligned" \
	sh -c "echo '5 4096 contig' > $D/domain_create"
t_check "ioservers 5/1 and 5/2" \
	sh -c "echo '5 1' > $D/ioserver_create && echo '5 2' > $D/ioserver_create"
t_check "slot 0 = emulator (5, 1)" ctl open 0 5 1
t_check "slot 1 = emulator (5, 2)" ctl open 1 5 2

# --- thousands of pages: ceil(N/batch) hypercalls each way --------------
hc=$(counter hypercalls) mf=$(counter op_map_foreign_page)
t_check "slot 0: shadow GTT of 4000 pages (lookups, alignment, distinct)" \
	ctl gtt 0 4000 0
t_eq "map of 4000: ceil(4000/512) = 8 hypercalls" 8 \
	$(($(counter hypercalls) - hc))
t_eq "map of 4000: 4000 map_foreign_page ops" 4000 \
	$(($(counter op_map_foreign_page) - mf))
t_eq "stub: 4000 foreign mappings" 4000 "$(foreign)"
t_eq "no mapping in the MSI window (0xfeeXX)" 0 \
	"$(grep -c '^bfn=0xfee[0-9a-f][0-9a-f] ' $D/mappings)"
t_eq "emu: 4000 frames in use" 4000 "$(emuf used_frames)"
t_check "check: every lookup equals its shadow entry" ctl check 0
t_eq "check result" "valid=4000 invalid=0 wrong=0" "$(cat $S/result)"
hc=$(counter hypercalls)
t_check "slot 0: unmap the 4000 in one call" ctl gtt_unmap 0
t_eq "unmap of 4000: 8 hypercalls" 8 $(($(counter hypercalls) - hc))
t_eq "stub: no foreign mapping left" 0 "$(foreign)"
t_eq "emu: no frame in use" 0 "$(emuf used_frames)"

# --- 2 MiB and 64 KiB blocks ------------------------------------------------
hc=$(counter hypercalls)
t_check "slot 0: 8 entries of 2 MiB (order 9)" ctl gtt 0 8 0 9
t_eq "order 9 x 8: one hypercall" 1 $(($(counter hypercalls) - hc))
t_eq "stub: 8 order-9 foreign mappings" 8 \
	"$(grep -c 'order=9 .*kind=foreign' $D/mappings)"
t_check "slot 0: unmap them" ctl gtt_unmap 0
t_check "slot 0: 64 entries of 64 KiB (order 4)" ctl gtt 0 64 0x400 4
t_eq "stub: 64 order-4 foreign mappings" 64 \
	"$(grep -c 'order=4 .*kind=foreign' $D/mappings)"
t_errno "misaligned gfn for order 4: EINVAL" EINVAL ctl map 0 0x401 4
t_errno "order 10: EINVAL" EINVAL ctl map 0 0 10
t_errno "swap_mfn with order 4: EINVAL" EINVAL ctl map 0 0x800 4 swap
t_check "slot 0: unmap them" ctl gtt_unmap 0

# --- two emulators sharing gfn 7 ----------------------------------------------
t_check "slot 0 maps gfn 7" ctl map 0 7
a=$(cat $S/result)
t_check "slot 1 maps gfn 7" ctl map 1 7
b=$(cat $S/result)
t_eq "two emulators get two BFNs" yes "$([ "$a" != "$b" ] && echo yes)"
hc=$(counter hypercalls)
t_check "slot 0 maps gfn 7 again" ctl map 0 7
t_eq "same BFN, a reference, no hypercall" "$a 0" \
	"$(cat $S/result) $(($(counter hypercalls) - hc))"
t_errno "slot 0 maps gfn 7 read-only: EEXIST" EEXIST ctl map 0 7 0 ro
t_check "slot 0 maps gfn 8 read-only" ctl map 0 8 0 ro
r8=$(cat $S/result)
t_eq "the stub has it read-only, one plain page reference" "perm=r- ref=ro" \
	"$(sed -n "s/^bfn=$r8 .* \(perm=[-a-z]*\) \(ref=[a-z]*\) .*/\1 \2/p" $D/mappings)"
t_check "slot 0 unmaps it" ctl unmap 0 "$r8"
t_errno "slot 0 unmaps slot 1's BFN: ENOENT" ENOENT ctl unmap 0 "$b"
t_check "slot 0 drops one reference" ctl unmap 0 "$a"
t_eq "still mapped for slot 0" mapped "$(src_of "$a")"
t_check "slot 1 drops its only reference" ctl unmap 1 "$b"
t_eq "slot 1's BFN is gone" none "$(src_of "$b")"
t_eq "slot 0's BFN is unaffected" mapped "$(src_of "$a")"
t_check "slot 0 lookup still answers" ctl lookup 0 7
t_eq "with its BFN" "$a" "$(cat $S/result)"
t_check "slot 0 drops its last reference" ctl unmap 0 "$a"
t_eq "now gone" none "$(src_of "$a")"
t_errno "a third unmap: ENOENT" ENOENT ctl unmap 0 "$a"
t_errno "lookup after unmap: ENOENT" ENOENT ctl lookup 0 7

# --- a gfn repeated in one call; the reference cap ------------------------------
mf=$(counter op_map_foreign_page)
t_check "one call maps gfn 9 three times" ctl maplist 0 0 0 9 9 9
r9=$(cat $S/result)
set -- $r9
t_eq "one op, the same BFN three times" "1 $1 $1 $1" \
	"$(($(counter op_map_foreign_page) - mf)) $r9"
b9=$1
fm=$(foreign) mf=$(counter op_map_foreign_page)
t_errno "a 4th reference (emu_max_refs=3): EOVERFLOW" EOVERFLOW ctl map 0 9
t_errno "in a call with a new gfn: EOVERFLOW" EOVERFLOW \
	ctl maplist 0 0 0 0x20 9
t_eq "nothing changed: no op, no new mapping" "0 $fm" \
	"$(($(counter op_map_foreign_page) - mf)) $(foreign)"
t_check "three unmaps" \
	sh -c "echo 'unmap 0 $b9' > $S/ctl && echo 'unmap 0 $b9' > $S/ctl && echo 'unmap 0 $b9' > $S/ctl"
t_eq "gfn 9 unmapped after the third" none "$(src_of "$b9")"

# --- privilege matrix -----------------------------------------------------------
t_errno "open domid 0 (this domain): EPERM" EPERM ctl open 2 0 1
t_errno "open DOMID_SELF: EPERM" EPERM ctl open 2 32752 1
t_errno "open DOMID_IO (reserved, not a guest): EINVAL" EINVAL ctl open 2 32753 1
t_errno "open DOMID_INVALID: EINVAL" EINVAL ctl open 2 32756 1
t_errno "open (5, 1) twice: EBUSY" EBUSY ctl open 2 5 1
t_check "open (99, 1): no such domain yet" ctl open 2 99 1
t_errno "map for a domain that does not exist: ENXIO" ENXIO ctl map 2 0
t_check "close it" ctl close 2
t_check "domain 6, dying" sh -c "echo '6 8 dying' > $D/domain_create"
t_check "open (6, 1)" ctl open 2 6 1
t_errno "map for a dying domain: ENXIO" ENXIO ctl map 2 0
t_check "close it" ctl close 2
t_check "open (5, 7): no such ioserver" ctl open 2 5 7
t_errno "map with a bad ioserver: ENODEV" ENODEV ctl map 2 0
t_check "close it" ctl close 2
t_errno "gfn beyond the guest: ENXIO" ENXIO ctl map 0 4096
t_eq "stub: nothing left mapped by the refusals" 0 "$(foreign)"
t_check "stub: not the hardware domain, spec rules, with devices" \
	sh -c "echo 'set hardware_domain 0' > $D/ctl && echo 'set nonhw_enosys 0' > $D/ctl && echo 'set has_devices 1' > $D/ctl"
t_errno "no privilege over domain 5: EPERM" EPERM ctl map 0 1
t_check "stub: back to the hardware domain" \
	sh -c "echo 'set hardware_domain 1' > $D/ctl && echo 'set nonhw_enosys 1' > $D/ctl && echo 'set has_devices 0' > $D/ctl"
t_eq "emu: no frame in use after the refusals" 0 "$(emuf used_frames)"
t_eq "stub: exactly 1 caller error, a privilege one" "1 1" \
	"$(sed -n 's/^caller_errors_privilege: //p' $D/audit) $(sed -n 's/^caller_errors: //p' $D/audit)"
echo clear_errors >$D/ctl

# --- all or nothing: op 100 fails, the 100 before it are undone --------------
t_check "arm: op 100 of the next batch fails with EIO" \
	sh -c "echo 'op 100 EIO' > $D/fault"
hc=$(counter hypercalls)
t_errno "map of 1500 fails with the op's EIO" EIO ctl gtt 0 1500 0
t_eq "one map batch + one rollback batch" 2 $(($(counter hypercalls) - hc))
t_eq "nothing left mapped" 0 "$(foreign)"
t_eq "emu: no frame in use" 0 "$(emuf used_frames)"
t_eq "stub: audit has no violation" "violations: 0" \
	"$(grep '^violations:' $D/audit)"

# --- unload with live mappings ----------------------------------------------------
t_check "slot 0: 3000 pages" ctl gtt 0 3000 0
t_check "slot 1: 1000 pages" ctl gtt 1 1000 0 0 swap
t_eq "stub: 4000 foreign mappings" 4000 "$(foreign)"
t_rmmod xpv_emu_sample
t_eq "closed by the sample's exit: nothing mapped" 0 "$(foreign)"
t_eq "emu: no handle, no frame in use" "0 0" \
	"$(grep -c '^handle' $E) $(emuf used_frames)"
t_insmod xpv_emu_sample leak=1 || exit 1
t_check "slot 0 = (5, 1) again" ctl open 0 5 1
t_check "slot 0: 2000 pages" ctl gtt 0 2000 0
t_dmesg_mark
t_rmmod xpv_emu_sample
t_dmesg_has "xen_pviommu released the leaked handle" \
	'xen:xen_pviommu: xpv_emu_sample unloaded with dom5 ioserver 1 open \(2000 pages mapped, 2000 references\): released'
t_eq "released: nothing mapped" 0 "$(foreign)"
t_eq "emu: no handle, no frame in use, 1 orphan, 0 leaked" "0 0 1 0" \
	"$(grep -c '^handle' $E) $(emuf used_frames) $(emuf orphans_released) $(emuf leaked_bfns)"

t_rmmod xen_pviommu
t_check "destroy domains 5, 6" \
	sh -c "echo '5' > $D/domain_destroy && echo '6' > $D/domain_destroy"
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_pci_rebind "$saved"
exit 0
