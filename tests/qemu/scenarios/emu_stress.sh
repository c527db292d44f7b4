# SPDX-License-Identifier: GPL-2.0-only
# emu_stress: four kernel threads (xpv_emu_stress) map, look up and unmap
# random order-0 and order-4 blocks of one guest through two handles (one
# with swap_mfn, one without) for 8 s, while the guest balloons random
# pages out and back in: invalidations, callbacks, the swap_mfn records
# shared by both handles, quarantine and the per-CPU BFN magazines all
# interleave.  Every BFN is aligned and in the window, lookups answer a
# valid BFN or ENOENT, maps fail only with ENXIO (ballooned) or ENOSPC
# (order 4, no longer contiguous), every unmap of a held reference works;
# afterwards nothing is mapped, no frame is in use, no free was refused,
# no invalidate lost, the stub's audit is clean.  A boot of its own with
# two vCPUs, so the threads really run at once.
# kernels: all
# boot: own
# smp: 2
# timeout: 180

D=/sys/kernel/debug/xen_hvstub
E=/sys/kernel/debug/xen_pviommu/emu
X=/sys/kernel/debug/xpv_emu_stress

emuf() { sed -n "s/^$1\t//p" $E; }
counter() { sed -n "s/^$1 //p" $D/counters; }
field() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" $X/result | head -n 1; }

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pviommu attach=0 || exit 1
t_insmod xpv_emu_stress || exit 1
t_check "domain 11 (256 pages, contiguous), ioservers 11/1, 11/2" \
	sh -c "echo '11 256 contig' > $D/domain_create && echo '11 1' > $D/ioserver_create && echo '11 2' > $D/ioserver_create"

(
	i=0
	while [ $i -lt 400 ] && [ ! -e /tmp/stress.done ]; do
		g=$((RANDOM % 256))
		echo "11 $g" >$D/balloon_out 2>/dev/null ||
			echo "11 $g" >$D/populate 2>/dev/null
		sleep 0.05
		i=$((i + 1))
	done
) &
rm -f /tmp/stress.done
t_check "4 threads, 8 s, gfns 0-255" sh -c "echo 'run 11 1 2 256 4 8000' > $X/ctl"
touch /tmp/stress.done
wait
cat $X/result
t_eq "no unexpected result" 0 "$(field errors)"
t_check "they did work: > 1000 ops, maps and unmaps" \
	test "$(field ops)" -gt 1000 -a "$(field maps)" -gt 100 -a "$(field unmaps)" -gt 100
t_check "invalidations reached the callbacks" test "$(field inv)" -gt 0
t_eq "handles closed: none left, nothing mapped, no frame in use" "0 0 0" \
	"$(grep -c '^handle' $E) $(grep -c 'kind=foreign' $D/mappings) $(emuf used_frames)"
t_eq "no free refused, no BFN leaked, no invalidate lost" "0 0 0 0" \
	"$(emuf bad_frees) $(emuf invalid_frees) $(emuf leaked_bfns) $(counter notify_lost)"
t_rmmod xpv_emu_stress
t_rmmod xen_pviommu
t_check "destroy domain 11" sh -c "echo 11 > $D/domain_destroy"
t_eq "stub audit clean" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
