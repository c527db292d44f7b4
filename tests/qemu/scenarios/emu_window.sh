# SPDX-License-Identifier: GPL-2.0-only
# emu_window: where the emulator BFN window goes and what happens at its
# edges.  Placed automatically it sits at the top of the device address
# width (2^39), clear of every /proc/iomem resource (RAM, the PCI host
# bridge windows, reserved ranges) and claimed there, so nothing can be
# hot-added into it; with Xen's foreign window (caps offset, XenServer's
# 248 GiB) it sits right below that.  A tiny window (emu_window_mb=2)
# runs out with ENOSPC before any hypercall, nothing half-done, and gives
# its whole 2 MiB back as one block; an RMRR the module did not know about
# (added to the stub at run time) fails one map with EACCES, that BFN is
# kept out of use and the retry works.  Placed by hand over the pc-dimm
# hotplug area (4 GiB), a DIMM hot-added there is refused when it goes
# online (EBUSY, one line), instead of being premapped 1:1 into the
# window.  Stub audit clean.
# kernels: all
# boot: own
# timeout: 300

D=/sys/kernel/debug/xen_hvstub
S=/sys/kernel/debug/xpv_emu_sample
E=/sys/kernel/debug/xen_pviommu/emu
P=/sys/kernel/debug/xen_pviommu/premap

counter() { sed -n "s/^$1 //p" $D/counters; }
emuf() { sed -n "s/^$1\t//p" $E; }
ctl() { echo "$*" >$S/ctl; }
res() { cat $S/result; }
foreign() { grep -c 'kind=foreign' $D/mappings; }
# Top-level /proc/iomem entries overlapping frames [$1, $2), ours aside.
iomem_overlaps() {
	local l r s e n=0
	while IFS= read -r l; do
		case "$l" in " "*|*"Xen PV-IOMMU emulator BFNs"*) continue ;; esac
		r=${l%% :*}
		s=$((0x${r%-*} >> 12))
		e=$(((0x${r#*-} >> 12) + 1))
		if [ "$s" -lt "$2" ] && [ "$e" -gt "$1" ]; then
			echo "overlap: $l"
			n=$((n + 1))
		fi
	done </proc/iomem
	echo "$n"
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1

# --- automatic placement ---------------------------------------------------------
t_insmod xen_pviommu attach=0 || exit 1
base=$(emuf bfn_base) end=$(emuf bfn_end)
t_eq "1 GiB at the top of 39 bits, claimed" "0x7fc0000 0x8000000 1" \
	"$base $end $(emuf claimed)"
t_eq "/proc/iomem has the claim" \
	"7fc0000000-7fffffffff : Xen PV-IOMMU emulator BFNs" \
	"$(grep 'Xen PV-IOMMU emulator BFNs' /proc/iomem | sed 's/^ *//')"
out=$(iomem_overlaps $((base)) $((end)))
echo "$out"
t_eq "no other iomem resource overlaps it" 0 "$(echo "$out" | tail -n 1)"
t_check "the PCI host bridge windows are listed (the test looks at them)" \
	grep -q 'PCI Bus 0000:00' /proc/iomem
t_eq "xen_pviommu said one line at load (the window is in debugfs and iomem)" 1 \
	"$(t_dmesg | grep -c 'xen:xen_pviommu:')"
t_rmmod xen_pviommu
t_eq "the claim goes with the module" 0 \
	"$(grep -c 'Xen PV-IOMMU emulator BFNs' /proc/iomem)"

# --- below Xen's foreign window ----------------------------------------------------
t_rmmod xen_hvstub
t_insmod xen_hvstub foreign_offset=0x3e00000 || exit 1
t_insmod xen_pviommu attach=0 || exit 1
t_eq "caps: Xen's window at 248 GiB" 0x3e00000 \
	"$(sed -n 's/^foreign_offset\t//p' /sys/kernel/debug/xen_pviommu/caps)"
t_eq "the window ends where Xen's begins" "0x3dc0000 0x3e00000" \
	"$(emuf bfn_base) $(emuf bfn_end)"
t_rmmod xen_pviommu
t_rmmod xen_hvstub
t_insmod xen_hvstub || exit 1

# --- exhaustion of a 2 MiB window --------------------------------------------------
t_insmod xen_pviommu attach=0 emu_window_mb=2 || exit 1
t_insmod xpv_emu_sample || exit 1
t_check "domain 10 (1024 pages, contiguous), ioserver 10/1" \
	sh -c "echo '10 1024 contig' > $D/domain_create && echo '10 1' > $D/ioserver_create"
t_check "slot 0 = (10, 1)" ctl open 0 10 1
t_eq "the window: 512 frames, all free" "512 0" \
	"$(($(emuf bfn_end) - $(emuf bfn_base))) $(emuf used_frames)"
hc=$(counter hypercalls)
t_errno "600 pages in a 512-frame window: ENOSPC" ENOSPC ctl gtt 0 600 0
t_eq "nothing half-done: no hypercall, no mapping, no frame in use" \
	"0 0 0 512" \
	"$(($(counter hypercalls) - hc)) $(foreign) $(emuf used_frames) $(($(emuf free_frames) + $(emuf cached_frames)))"
t_check "512 pages fill it" ctl gtt 0 512 0
t_errno "one more: ENOSPC" ENOSPC ctl map 0 0x200
t_errno "a 2 MiB block: ENOSPC" ENOSPC ctl map 0 0x200 9
t_eq "still 512 mappings" 512 "$(foreign)"
t_check "unmap the 512" ctl gtt_unmap 0
t_check "now one 2 MiB block fits (freed frames merged, magazines drained)" \
	ctl map 0 0 9
b9=$(res)
t_eq "it is the whole window" "$(emuf bfn_base)" "$b9"
t_errno "a second one: ENOSPC" ENOSPC ctl map 0 0x200 9
t_errno "a page: ENOSPC" ENOSPC ctl map 0 0x300
t_check "unmap it" ctl unmap 0 "$b9"
t_eq "no frame in use, none refused" "0 0" "$(emuf used_frames) $(emuf bad_frees)"

# --- an RMRR the module did not know about -----------------------------------------
t_check "slot 0 maps gfn 1" ctl map 0 1
x=$(res)
t_check "and unmaps it: the next page gets that BFN again" ctl unmap 0 "$x"
t_check "the stub gets an RMRR at that BFN" sh -c "echo 'rmrr $x 1' > $D/ctl"
hc=$(counter hypercalls)
t_errno "mapping gfn 1 again: EACCES" EACCES ctl map 0 1
t_eq "one hypercall, nothing mapped, that BFN kept out of use" "1 0 1" \
	"$(($(counter hypercalls) - hc)) $(foreign) $(emuf leaked_bfns)"
t_check "the retry works" ctl map 0 1
y=$(res)
t_eq "with another BFN" yes "$([ "$y" != "$x" ] && echo yes)"
t_check "unmap it" ctl unmap 0 "$y"
t_eq "only the RMRR frame stays in use" 1 "$(emuf used_frames)"
t_eq "stub: exactly 1 caller error, the RMRR one" "1 1" \
	"$(sed -n 's/^caller_errors_rmrr: //p' $D/audit) $(sed -n 's/^caller_errors: //p' $D/audit)"
echo clear_errors >$D/ctl
t_check "close" ctl close 0
t_rmmod xpv_emu_sample
t_rmmod xen_pviommu
t_check "destroy domain 10" sh -c "echo 10 > $D/domain_destroy"
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub

# --- a window placed by hand over the DIMM hotplug area ------------------------------
t_pci_unbind_all >/dev/null
t_insmod xen_hvstub || exit 1
# QEMU's pc machine puts the first DIMM at 4 GiB when RAM ends below it.
t_insmod xen_pviommu emu_bfn_base=0x100000 || exit 1
t_eq "attached, window at 4 GiB, not claimed" "1 0x100000 0x140000 0" \
	"$(sed -n 's/^attached\t//p' $P) $(emuf bfn_base) $(emuf bfn_end) $(emuf claimed)"
t_dmesg_has "a line says so" \
	'xen:xen_pviommu: emulator BFN window 0x100000-0x140000 \(1024 MiB\) placed by emu_bfn_base, not reserved in iomem'
bsize=$(( $(cat /sys/devices/system/memory/block_size_bytes | sed 's/^/0x/') ))
before=$(t_mem_blocks)
pages0=$(sed -n 's/^hotplug_pages\t//p' $P)
t_eq "no block refused yet" 0 "$(emuf hotplug_refused)"
new=$(t_mem_plug 128 "$before")
first=${new%%
*}
n=${first##*/memory}
t_eq "the DIMM arrived at 4 GiB" $((0x100000)) $((n * bsize / 4096))
t_dmesg_mark
t_errno "onlining it: EBUSY" EBUSY sh -c "echo online_movable > $first/state"
t_eq "it stays offline, nothing premapped" "offline $pages0" \
	"$(cat $first/state) $(sed -n 's/^hotplug_pages\t//p' $P)"
t_dmesg_has "one line says why" \
	"xen:xen_pviommu: hotplug: pfn 0x100000-0x$(printf '%x' $((0x100000 + bsize / 4096))) overlaps the emulator BFN window 0x100000-0x140000; refusing to online it"
# 6.12 also tries to online it by itself when it arrives (refused too).
t_check "counted" test "$(emuf hotplug_refused)" -ge 1
t_mem_unplug "$before"
t_eq "the DIMM is gone (ACPI eject)" "" "$(t_mem_blocks | grep -vxF "$before")"
t_rmmod xen_pviommu
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
