# SPDX-License-Identifier: GPL-2.0-only
# pmem_3_media: the info block on real media, edited between claims
# through a raw-mode session (nd_pmem, O_DIRECT-free dd with fsync).
#  - both copies bad -> refused, nothing fenced, nothing reported; and
#    "ndctl-xen reserve" refuses too, with its per-copy JSON;
#  - crafted geometries with valid checksums (reserved area over the info
#    blocks, wraparound sums, misaligned, short of the namespace end, too
#    small, wrong parent uuid, namespace moved, covered range beyond the
#    region, unknown major, a libnvdimm signature) -> each refused with its
#    errno and reason, in sysfs and in one kernel line, nothing reported;
#  - a valid block that leaves no data area -> invalid, -ENOSPC, and the
#    range attributes read ENXIO (not zeros);
#  - primary bad -> repaired from the backup (and the reverse), reported;
#  - a copy unreadable (media error, -EIO: QEMU's NVDIMM has no ARS or
#    error injection, so xen_pmem's stub-only inject_eio hook fails the
#    read the way nvdimm_read_bytes() does on a bad block) -> treated as
#    bad and rewritten from the other; both unreadable -> refused, -EIO;
#  - every 512-byte crash point of rewriting the block (backup first, then
#    primary) with a new uuid -> recovers to the old or the new block, as
#    the write order says, with both copies equal afterwards.
# A reported range cannot be opened by anyone in Dom0 (not even raw): the
# stub-only "forget" hook releases it before each raw session.  Leaves the
# media as pmem_1_main wrote them.
# kernels: all
# needs: nvdimm
# boot: pmem
# timeout: 400

NSD=/sys/bus/nd/devices
STUB=/sys/kernel/debug/xen_hvstub
XP=/sys/kernel/debug/xen_pmem
RNS=namespace0.0
X=$NSD/$RNS/xen_pmem
W=/tmp/pmem3

mkdir -p $W
jget() {
	sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" |
		head -n 1
}
t_modprobe libnvdimm || exit 1
t_modprobe nfit || exit 1
t_modprobe nd_pmem || exit 1
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1

# put P B: write 4 KiB images P and B as primary and backup.
put() {
	local dev
	[ -e $XP/forget ] && echo 1 >$XP/forget
	dev=$(pmem_t raw $RNS) || return 1
	dd if="$1" of="$dev" bs=4096 seek=1 count=1 conv=notrunc,fsync 2>/dev/null &&
		dd if="$2" of="$dev" bs=4096 seek=2 count=1 conv=notrunc,fsync 2>/dev/null
}
# get: read both copies into $W/cur.p and $W/cur.b.
get() {
	local dev
	[ -e $XP/forget ] && echo 1 >$XP/forget
	dev=$(pmem_t raw $RNS) || return 1
	dd if="$dev" of=$W/cur.p bs=4096 skip=1 count=1 2>/dev/null &&
		dd if="$dev" of=$W/cur.b bs=4096 skip=2 count=1 2>/dev/null
}
stub_calls() {
	grep -E '^pmem_(calls|ok|identical) ' $STUB/counters | tr '\n' ' '
}

t_check "read the blocks pmem_1_main wrote (raw session)" get || exit 1
cp $W/cur.p $W/orig.p
cp $W/cur.b $W/orig.b
t_eq "primary and backup identical" "$(md5sum <$W/orig.p)" \
	"$(md5sum <$W/orig.b)"
t_eq "checksum valid (independent Fletcher-64)" ok "$(pmem_t csum $W/orig.p)"
uuid_a=$(pmem_t get $W/orig.p uuid | cut -d' ' -f2)
rspa=$(cat $NSD/region0/resource)
rsize=$(cat $NSD/region0/size)
nsspa=$(cat $NSD/$RNS/resource)
fmt_uuid() {
	echo "$1" | sed 's/^\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)/\1-\2-\3-\4-/'
}

# ---- both copies bad, module loaded afterwards ------------------------------
cp $W/orig.p $W/bad.p
cp $W/orig.b $W/bad.b
pmem_t set $W/bad.p --keep-csum byte@0x200=0x5a
pmem_t set $W/bad.b --keep-csum byte@0x300=0xa5
t_check "write two bad copies" put $W/bad.p $W/bad.b
t_check "leave the namespace unbound" pmem_t release $RNS
t_insmod xen_pmem || exit 1
t_eq "both bad: claimed but invalid" invalid "$(cat $X/state)"
t_eq "both bad: EBADMSG" -74 "$(cat $X/last_error)"
t_eq "both bad: the reason names both copies" \
	"info block refused: primary: checksum mismatch; backup: checksum mismatch" \
	"$(cat $X/reason)"
t_dmesg_has "both bad: one kernel line" \
	"namespace0.0: info block refused: primary: checksum mismatch; backup: checksum mismatch \(-74\): nothing fenced, nothing reported"
t_errno "both bad: no reserved range in sysfs" ENXIO cat $X/reserved_spa
t_eq "both bad: nothing fenced" 0 "$(grep -c 'Xen pmem reserved' /proc/iomem)"
t_eq "both bad: nothing reported (only the module's op probe)" \
	"reports 0 pmem_calls 1 pmem_ok 0 pmem_identical 0 " \
	"$(tail -n 1 $STUB/pmem) $(stub_calls)"
t_eq "both bad: module not pinned" 0 "$(cat /sys/module/xen_pmem/refcnt)"
ndctl-xen reserve -r region0 >$W/refused.json 2>$W/refused.err
t_eq "reserve, both bad: exit 1, the JSON still says why, per copy" \
	"1 checksum mismatch checksum mismatch refused namespace0.0" \
	"$? $(jget $W/refused.json primary) $(jget $W/refused.json backup) $(jget $W/refused.json action) $(jget $W/refused.json dev)"
t_check "reserve, both bad: the error names the namespace and --force" \
	grep -q "namespace0.0: both info block copies are invalid.*--force rewrites them" \
	$W/refused.err
t_eq "reserve, both bad: handed back to xen_pmem as found, still invalid" \
	"xen_pmem invalid" \
	"$(basename "$(readlink $NSD/$RNS/driver)") $(cat $X/state)"

# ---- crafted geometries: valid checksums, both copies alike ------------------
# craft DESC ERRNO REASON FIELD=VALUE...
craft() {
	local desc=$1 err=$2 why=$3
	shift 3
	cp $W/orig.p $W/c.p
	pmem_t set $W/c.p "$@" || return 1
	cp $W/c.p $W/c.b
	t_dmesg_mark "$desc"
	put $W/c.p $W/c.b && pmem_t claim $RNS
	t_eq "$desc: refused with $err, for its reason" \
		"invalid $err info block refused: primary: $why; backup: $why" \
		"$(cat $X/state) $(cat $X/last_error) $(cat $X/reason)"
	t_dmesg_has "$desc: one kernel line" \
		"namespace0.0: info block refused: primary: $(printf '%s' "$why" | sed 's/[][\\.*^$+?(){}|]/\\&/g')"
	t_eq "$desc: nothing fenced, nothing reported" \
		"0 reports 0 pmem_calls 1 pmem_ok 0 pmem_identical 0 " \
		"$(grep -c 'Xen pmem reserved' /proc/iomem) $(tail -n 1 $STUB/pmem) $(stub_calls)"
}
craft "reserved area over the info blocks" -22 \
	"reserved area overlaps the info blocks" rsv_off=0
craft "covered range wrapping past 2^64" -75 \
	"base + size wraps around 2^64" covered_spa=0xffffffffffe00000
craft "reserved size wrapping past 2^64" -75 \
	"base + size wraps around 2^64" rsv_size=0xffffffffffe00000
craft "covered range not 2 MiB aligned" -22 \
	"covered or reserved range not 2 MiB aligned" \
	covered_spa=$((rspa + 4096))
craft "reserved area short of the namespace end" -22 \
	"reserved area does not run to the namespace end" rsv_size=$((12 << 20))
craft "reserved area too small" -28 \
	"reserved area smaller than Xen needs" rsv_off=$((4 << 20)) \
	rsv_size=$((12 << 20))
craft "wrong parent uuid" -116 \
	"written for another namespace (parent uuid)" \
	parent_uuid=00112233445566778899aabbccddeeff
craft "namespace moved" -6 \
	"namespace moved or resized since the block was written" \
	ns_spa=$((nsspa + (16 << 20)))
craft "covered range beyond the region" -6 \
	"covered range not inside the region" \
	covered_size=$((rsize + (2 << 20)))
craft "unknown major version" -95 "unknown major version" version_major=2
craft "a libnvdimm PFN block" -16 \
	"namespace holds a libnvdimm PFN/DAX/BTT block" \
	signature=NVDIMM_PFN_INFO
t_eq "refusals never pin the module" 0 "$(cat /sys/module/xen_pmem/refcnt)"

# A valid block whose covered range is just the namespace: no data area.
cp $W/orig.p $W/c.p
pmem_t set $W/c.p covered_size=$(cat $NSD/$RNS/size)
t_dmesg_mark "no data area"
put $W/c.p $W/c.p && pmem_t claim $RNS
t_eq "no data area: invalid, ENOSPC, said why" \
	"invalid -28 no data area left in the covered range primary" \
	"$(cat $X/state) $(cat $X/last_error) $(cat $X/reason) $(cat $X/info_block)"
t_errno "no data area: reserved_spa reads ENXIO, not zeros" ENXIO \
	cat $X/reserved_spa
t_errno "no data area: data_size reads ENXIO" ENXIO cat $X/data_size
t_eq "no data area: the uuid is known" "$(fmt_uuid $uuid_a)" "$(cat $X/uuid)"
t_eq "no data area: nothing fenced, nothing reported" \
	"0 reports 0" \
	"$(grep -c 'Xen pmem reserved' /proc/iomem) $(tail -n 1 $STUB/pmem)"

# ---- one copy bad: repaired from the other, reported -------------------------
t_check "restore the original blocks" put $W/orig.p $W/orig.b
t_check "claim" pmem_t claim $RNS
t_eq "restored: reported, first report" "reported
reports 1" "$(cat $X/state; tail -n 1 $STUB/pmem)"
report=$(head -n 1 $STUB/pmem)

t_dmesg_mark "primary bad"
t_check "write a bad primary" put $W/bad.p $W/orig.b
t_check "claim" pmem_t claim $RNS
t_eq "primary bad: reported from the backup, primary repaired" \
	"reported backup primary" \
	"$(cat $X/state) $(cat $X/info_block) $(cat $X/repaired)"
t_dmesg_has "primary bad: the repair is logged" \
	"namespace0.0: primary info block checksum mismatch \(invalid\): rewritten from the backup copy"
t_eq "primary bad: same report, still one record" "$report
reports 1" "$(cat $STUB/pmem)"
t_check "read back" get
t_eq "primary bad: the primary on media is the original again" \
	"$(md5sum <$W/orig.p)" "$(md5sum <$W/cur.p)"

t_dmesg_mark "backup bad"
t_check "write a bad backup" put $W/orig.p $W/bad.b
t_check "claim" pmem_t claim $RNS
t_eq "backup bad: reported from the primary, backup repaired" \
	"reported primary backup" \
	"$(cat $X/state) $(cat $X/info_block) $(cat $X/repaired)"
t_check "read back" get
t_eq "backup bad: the backup on media is the original again" \
	"$(md5sum <$W/orig.b)" "$(md5sum <$W/cur.b)"
t_eq "one copy bad twice: still one record, re-reports identical" \
	"$report
reports 1" "$(cat $STUB/pmem)"

# ---- unreadable copies (media errors) ------------------------------------------
t_log "QEMU's NVDIMM: $(ndctl inject-error --block=1 --count=1 $RNS 2>&1 | tail -n 1)"
echo 1 >$XP/forget
t_dmesg_mark "primary unreadable"
t_check "arm: the next claim cannot read the primary" \
	sh -c "echo 1 >$XP/inject_eio"
t_check "claim" pmem_t claim $RNS
t_eq "primary unreadable: reported from the backup, primary rewritten" \
	"reported backup primary" \
	"$(cat $X/state) $(cat $X/info_block) $(cat $X/repaired)"
t_dmesg_has "primary unreadable: said so" \
	"namespace0.0: info block primary unreadable \(media error\): treated as bad"
t_dmesg_has "primary unreadable: the rewrite is logged" \
	"namespace0.0: primary info block unreadable \(media error\) \(invalid\): rewritten from the backup copy"
t_eq "primary unreadable: same report, still one record" "$report
reports 1" "$(cat $STUB/pmem)"
t_eq "stats: one unreadable copy" "unreadable 1" "$(grep unreadable $XP/stats)"
echo 1 >$XP/forget
t_check "arm: the next claim cannot read the backup" \
	sh -c "echo 2 >$XP/inject_eio"
t_check "claim" pmem_t claim $RNS
t_eq "backup unreadable: reported from the primary, backup rewritten" \
	"reported primary backup" \
	"$(cat $X/state) $(cat $X/info_block) $(cat $X/repaired)"
echo 1 >$XP/forget
t_check "arm: the next claim can read neither copy" \
	sh -c "echo 3 >$XP/inject_eio"
t_check "claim" pmem_t claim $RNS
t_eq "both unreadable: invalid, EIO, nothing fenced or reported" \
	"invalid -5 info block refused: primary: unreadable (media error); backup: unreadable (media error) 0" \
	"$(cat $X/state) $(cat $X/last_error) $(cat $X/reason) $(grep -c 'Xen pmem reserved' /proc/iomem)"
t_check "read back" get
t_eq "unreadable copies: both copies on media are the original" \
	"$(md5sum <$W/orig.p) $(md5sum <$W/orig.b)" \
	"$(md5sum <$W/cur.p) $(md5sum <$W/cur.b)"
t_errno "inject_eio: unknown bits refused" EINVAL \
	sh -c "echo 4 >$XP/inject_eio"

# ---- crash points of rewriting the block with a new uuid ---------------------
# The writer writes the backup (8 sectors), then the primary (8 sectors),
# each durable before the next.  A crash after k sectors leaves
# k <= 8: backup partly new, primary old -> old; k >= 9: backup new,
# primary partly new -> new.  Either way both copies end up equal.
uuid_b=0123456789abcdeffedcba9876543210
cp $W/orig.p $W/new
pmem_t set $W/new uuid=$uuid_b
k=0
bad=0
while [ $k -le 16 ]; do
	cp $W/orig.b $W/mb
	cp $W/orig.p $W/mp
	nb=$k
	[ $nb -gt 8 ] && nb=8
	np=$((k - 8))
	[ $np -lt 0 ] && np=0
	[ $nb -gt 0 ] && dd if=$W/new of=$W/mb bs=512 count=$nb conv=notrunc 2>/dev/null
	[ $np -gt 0 ] && dd if=$W/new of=$W/mp bs=512 count=$np conv=notrunc 2>/dev/null
	want=$uuid_a
	[ $k -ge 9 ] && want=$uuid_b
	put $W/mp $W/mb && pmem_t claim $RNS
	got="$(cat $X/state) $(cat $X/uuid)"
	get
	if [ "$got" != "reported $(fmt_uuid $want)" ] ||
	   ! cmp -s $W/cur.p $W/cur.b; then
		t_log "crash after $k sectors: got '$got', copies equal: $(cmp -s $W/cur.p $W/cur.b && echo yes || echo no)"
		bad=$((bad + 1))
	fi
	k=$((k + 1))
done
t_eq "17 crash points: each recovered to old (k<=8) or new (k>=9), copies equal" \
	0 "$bad"
t_eq "crash points: the geometry never changed: still one record" "$report
reports 1" "$(cat $STUB/pmem)"

t_check "restore the original blocks" put $W/orig.p $W/orig.b
t_check "claim" pmem_t claim $RNS
t_eq "restored: reported with the original uuid" \
	"reported $(fmt_uuid $uuid_a)" "$(cat $X/state) $(cat $X/uuid)"
t_check "forget (stub backend)" sh -c "echo 1 >$XP/forget"
t_rmmod xen_pmem
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
