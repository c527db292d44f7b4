# SPDX-License-Identifier: GPL-2.0-only
# pmem_5_tool: the reservation namespace already bound to nd_pmem (no
# softdep) is taken over when xen_pmem loads, and when nd_pmem binds it
# later (bus notifier); not while its disk is open; unloading the module
# while a takeover waits gives nothing away (no claim, no report, no WARN,
# nd_pmem keeps the namespace).  ndctl-xen is
# idempotent (reserve twice and check leave the media byte for byte),
# check --repair fixes a bad copy, list/status report the module's view
# (-u: human sizes), release refuses while reported and without --force,
# then destroys only the reservation: the data namespace and its files
# stay, and a reservation cannot be recreated behind them.  check and
# reserve without the module leave a namespace nd_pmem had bound to
# nd_pmem.  Re-running create-namespace --xen-reserve leaves the
# reservation byte for byte and asks ndctl for another data namespace.
# Runs last in the pmem boot (it releases the reservation).
# kernels: all
# needs: nvdimm
# boot: pmem
# timeout: 300

NSD=/sys/bus/nd/devices
STUB=/sys/kernel/debug/xen_hvstub
XP=/sys/kernel/debug/xen_pmem
RNS=namespace0.0
X=$NSD/$RNS/xen_pmem
MNT=/mnt/pmem

jget() {
	sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" |
		head -n 1
}
driver() {
	basename "$(readlink $NSD/$RNS/driver)" 2>/dev/null
}

t_modprobe libnvdimm || exit 1
t_modprobe nfit || exit 1
t_modprobe nd_pmem || exit 1
t_modprobe ext4
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_wait 100 test -b /dev/pmem0.1
nsspa=$(cat $NSD/$RNS/resource)

# ---- takeover ---------------------------------------------------------------
t_check "ndctl enable-namespace without xen_pmem" ndctl enable-namespace $RNS
t_eq "nd_pmem took it (a raw disk: the signature is foreign to it)" \
	nd_pmem "$(driver)"
t_check "its raw disk exists" test -b /dev/pmem0
t_insmod xen_pmem || exit 1
t_wait 50 sh -c "[ \"\$(basename \$(readlink $NSD/$RNS/driver))\" = xen_pmem ]"
t_eq "taken over at load" "xen_pmem reported" "$(driver) $(cat $X/state)"
t_dmesg_has "takeover logged" "namespace0.0: taken over from nd_pmem"
t_check "the raw disk is gone" test ! -e /dev/pmem0
t_eq "stats: one takeover" "takeovers 1" "$(grep takeovers $XP/stats)"

t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_check "unbind" pmem_t unbind $RNS
t_check "bind nd_pmem while xen_pmem is loaded" \
	sh -c "echo $RNS >/sys/bus/nd/drivers/nd_pmem/bind"
t_wait 50 sh -c "[ \"\$(basename \$(readlink $NSD/$RNS/driver))\" = xen_pmem ]"
t_eq "late bind to nd_pmem: taken over (bus notifier)" "xen_pmem reported" \
	"$(driver) $(cat $X/state)"

t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_check "ndctl enable-namespace" ndctl enable-namespace $RNS
t_wait 50 test -b /dev/pmem0

# Unload while a takeover waits for the disk; the disk closes meanwhile.
reports() {
	grep -E '^pmem_(ok|identical) ' $STUB/counters | tr '\n' ' '
}
r0=$(reports)
exec 3</dev/pmem0
t_dmesg_mark "unload during takeover"
t_insmod xen_pmem
xpv_mod unload xen_pmem 3<&- >/tmp/unload.out 2>&1 &
upid=$!
usleep 300000
exec 3<&-
wait $upid
t_eq "rmmod while a takeover waits: succeeds" 0 $?
t_eq "xen_pmem is gone" "" "$(grep '^xen_pmem ' /proc/modules)"
t_eq "unload during takeover: nd_pmem keeps the namespace" nd_pmem "$(driver)"
t_check "unload during takeover: its disk is still there" test -b /dev/pmem0
t_dmesg_has "unload during takeover: said so" \
	"namespace0.0: xen_pmem is unloading: left to nd_pmem"
t_eq "unload during takeover: nothing reported" "$r0" "$(reports)"
t_eq "unload during takeover: nothing fenced" 0 \
	"$(grep -c 'Xen pmem reserved' /proc/iomem)"

exec 3</dev/pmem0
t_dmesg_mark "open disk"
t_insmod xen_pmem
# It waits two seconds for transient openers before giving up.
t_wait 50 sh -c "dmesg | grep -q 'its disk is open: not taking it over'"
t_dmesg_has "open disk: not taken over, and says why" \
	"namespace0.0: reservation namespace bound to nd_pmem and its disk is open: not taking it over"
t_eq "open disk: nd_pmem keeps it" nd_pmem "$(driver)"
exec 3<&-
ndctl-xen reserve -r region0 >/tmp/res.json
t_eq "closed: ndctl-xen reserve exits 0" 0 $?
t_eq "closed: reserve verified the media, wrote nothing" none \
	"$(jget /tmp/res.json action)"
t_eq "closed: claimed and reported" "xen_pmem reported" \
	"$(driver) $(cat $X/state)"

# ---- idempotence (unreported media) ------------------------------------------
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
h1=$(pmem_t memread "$nsspa" 2097152 | md5sum)
ndctl-xen reserve -r region0 >/tmp/r1.json 2>/tmp/r1.err
t_eq "reserve without xen_pmem: exit 0" 0 $?
t_check "reserve without xen_pmem: says it is left for the module" \
	grep -q "namespace0.0: xen_pmem is not loaded: left disabled" /tmp/r1.err
ndctl-xen reserve -r region0 >/tmp/r2.json 2>/dev/null
t_eq "reserve twice: no writes" "none none" \
	"$(jget /tmp/r1.json action) $(jget /tmp/r2.json action)"
t_eq "reserve twice: first 2 MiB of the namespace byte for byte" "$h1" \
	"$(pmem_t memread "$nsspa" 2097152 | md5sum)"
ndctl-xen check -r region0 >/tmp/c.json
t_eq "check: both valid, no action" "0 valid valid none" \
	"$? $(jget /tmp/c.json primary) $(jget /tmp/c.json backup) $(jget /tmp/c.json action)"
# Bound to nd_pmem, no module: check and reserve leave it there.
t_check "ndctl enable-namespace (nd_pmem)" ndctl enable-namespace $RNS
t_eq "bound to nd_pmem" nd_pmem "$(driver)"
ndctl-xen check -r region0 >/tmp/c.json
t_eq "check without the module: nd_pmem keeps it" "0 none nd_pmem" \
	"$? $(jget /tmp/c.json action) $(driver)"
ndctl-xen reserve -r region0 >/tmp/r3.json 2>/tmp/r3.err
t_eq "reserve without the module: nd_pmem keeps it" "0 none nd_pmem" \
	"$? $(jget /tmp/r3.json action) $(driver)"
t_check "reserve says so" grep -q \
	"namespace0.0: xen_pmem is not loaded: bound to nd_pmem again, as found" \
	/tmp/r3.err
t_check "disable it again" pmem_t release $RNS
t_eq "nd_pmem round trips: media byte for byte" "$h1" \
	"$(pmem_t memread "$nsspa" 2097152 | md5sum)"
dev=$(pmem_t raw $RNS)
printf '\377' | dd of="$dev" bs=1 seek=$((4096 + 600)) conv=notrunc,fsync 2>/dev/null
pmem_t release $RNS
ndctl-xen check -r region0 >/tmp/c.json
t_eq "check, primary damaged: exit 0, reported, not repaired" \
	"0 checksum mismatch primary needs repair" \
	"$? $(jget /tmp/c.json primary) $(jget /tmp/c.json action)"
ndctl-xen check --repair -r region0 >/tmp/c.json
t_eq "check --repair: repaired from the backup" "0 repaired primary" \
	"$? $(jget /tmp/c.json action)"
t_eq "check --repair: media as before the damage" "$h1" \
	"$(pmem_t memread "$nsspa" 2097152 | md5sum)"

# ---- list / status -------------------------------------------------------------
ndctl-xen list >/tmp/l.json
t_eq "list without the module: unclaimed, disabled" "namespace0.0 unclaimed none" \
	"$(jget /tmp/l.json dev) $(jget /tmp/l.json state) $(jget /tmp/l.json driver)"
ndctl-xen status >/tmp/s.json 2>/dev/null
t_eq "status without the module: exit 1, says so" "1 not loaded" \
	"$? $(jget /tmp/s.json module)"
t_insmod xen_pmem
ndctl-xen status >/tmp/s.json
t_eq "status with everything reported: exit 0" "0 1 1" \
	"$? $(jget /tmp/s.json reservations) $(jget /tmp/s.json reported)"
ndctl-xen list -u -r region0 >/tmp/l.json
t_check "list -u: human sizes" \
	grep -q '"size":"14.00 MiB (14.68 MB)"' /tmp/l.json
t_eq "list -r region1: nothing" "[
]" "$(ndctl-xen list -r region1)"
t_eq "list -n namespace0.1 (a data namespace): nothing" "[
]" "$(ndctl-xen list -n namespace0.1)"
out=$(ndctl-xen list --bogus 2>&1)
t_eq "unknown option: exit 2" 2 $?

# ---- create-namespace --xen-reserve again -----------------------------------------
# The reservation is verified, not rewritten; ndctl is asked for another
# data namespace (here the region is full, so ndctl says no).
h2=$(pmem_t memread "$nsspa" 2097152 | md5sum)
ndctl-xen create-namespace --xen-reserve --mode=raw --size=16M \
	>/tmp/again.json 2>/tmp/again.err
t_eq "create-namespace --xen-reserve again: exit 1 (region full)" 1 $?
t_eq "again: the reservation untouched (reported)" \
	"none (reported: Xen owns it) $h2" \
	"$(jget /tmp/again.json action) $(pmem_t memread "$nsspa" 2097152 | md5sum)"
t_check "again: ndctl's refusal is reported, the reservation stays" grep -q \
	"ndctl create-namespace failed .*: the reservation stays" /tmp/again.err

# ---- release ---------------------------------------------------------------------
out=$(ndctl-xen release -r region0 --force 2>&1)
t_eq "release while reported: exit 1" 1 $?
t_check "release while reported: says Xen owns it" \
	sh -c "echo '$out' | grep -q 'namespace0.0: reported: Xen owns its reserved area until reboot'"
t_eq "release while reported: still reported" reported "$(cat $X/state)"
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
out=$(ndctl-xen release -r region0 2>&1)
t_eq "release without --force: exit 1" 1 $?
t_check "release without --force: asks for it" \
	sh -c "echo '$out' | grep -q 'use --force'"
ndctl-xen release -r region0 --force >/tmp/rel.json
t_eq "release --force: exit 0" 0 $?
t_eq "release --force: released" true "$(jget /tmp/rel.json released)"
t_eq "no reservation left" "[
]" "$(ndctl-xen list)"
t_eq "info blocks wiped" "" \
	"$(pmem_t memread $((nsspa + 4096)) 13 | tr -d '\0')"
mkdir -p $MNT
mount -t ext4 -o dax /dev/pmem0.1 $MNT
t_eq "release: the data namespace and its files stay" \
	"$(md5sum </tmp/pmem-data.bin)" "$(md5sum <$MNT/data.bin)"
umount $MNT
out=$(ndctl-xen reserve -r region0 2>&1)
t_eq "reserve behind a data namespace: exit 1" 1 $?
t_check "reserve behind a data namespace: says why" \
	sh -c "echo '$out' | grep -q 'region0: already holds namespace0.1: the reservation namespace is created first, in an empty region'"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
