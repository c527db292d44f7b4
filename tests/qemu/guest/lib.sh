# SPDX-License-Identifier: GPL-2.0-only
#
# lib.sh - the guest test library (busybox ash), sourced by /init's wrapper
# before every scenario.  Reference: tests/qemu/README.md.
#
# Every check prints exactly one line, TAP style, numbered from 1 in each
# scenario:
#     ok N - DESC
#     not ok N - DESC # why
#     ok N - DESC # SKIP why
# The line goes to the scenario's output (ttyS1) and, prefixed with
# "@@XPV ", to /dev/kmsg, which is what the host parses.  Check functions
# return 0 when the check passed and 1 when it did not, so a scenario can
# stop early:  t_insmod xen_pvcore || exit 1
#
# A scenario's exit status is its rc: make the last command succeed (or end
# with "exit 0").  Helpers that are not checks: t_dmesg, t_log, t_our_modules.

XPV_NAME=${XPV_NAME:-unnamed}
XPV_MODDIR=/xpv/modules
# The kernel series this boot runs ("6.1", "6.12", "debug"): a scenario
# may do fewer rounds on the debug kernel, whose checkers make it slow.
read -r XPV_SERIES _ </xpv/kernel 2>/dev/null
XPV_STATE=/tmp/xpv-t/$XPV_NAME
mkdir -p "$XPV_STATE"
echo 0 >"$XPV_STATE/n"
echo 0 >"$XPV_STATE/failed"

# _t_flat VAR TEXT...: VAR = TEXT as one line, no control characters, at
# most 400 bytes (a kmsg record).  No fork unless TEXT holds a newline, a
# CR or a tab: a fork costs much in a Xen PV guest under TCG.
_t_flat() {
	local _t_v=$1 _t_s
	shift
	_t_s=$*
	case $_t_s in
	*[$'\n\r\t']*) _t_s=$(printf '%s' "$_t_s" | tr '\n\r\t' '   ') ;;
	esac
	[ ${#_t_s} -le 400 ] || _t_s=${_t_s:0:400}
	eval "$_t_v=\$_t_s"
}

# _t_line TEXT: one result line to both channels.
_t_line() {
	printf '<6>@@XPV %s\n' "$1" >/dev/kmsg
	printf '%s\n' "$1"
}

# _t_result ok|not-ok|skip DESC [WHY]
_t_result() {
	local n f desc why
	read -r n <"$XPV_STATE/n"
	n=$((n + 1))
	echo "$n" >"$XPV_STATE/n"
	# " # " separates the description from the reason: keep it out of DESC.
	_t_flat desc "$2"
	desc=${desc//#/+}
	_t_flat why "$3"
	case $1 in
	ok)
		_t_line "ok $n - $desc"
		return 0 ;;
	skip)
		_t_line "ok $n - $desc # SKIP $why"
		return 0 ;;
	esac
	read -r f <"$XPV_STATE/failed"
	echo $((f + 1)) >"$XPV_STATE/failed"
	_t_line "not ok $n - $desc${why:+ # $why}"
	return 1
}

# At exit: the number of checks this scenario printed, so the host can tell
# a lost line from a missing check.
_t_exit() {
	local rc=$? n f
	read -r n <"$XPV_STATE/n"
	read -r f <"$XPV_STATE/failed"
	_t_line "PLAN $XPV_NAME checks=$n failed=$f rc=$rc"
}
trap _t_exit EXIT

# t_log TEXT...: a comment in the scenario's output (not parsed).
t_log() {
	printf '# %s\n' "$*"
}

# t_ok DESC
t_ok() {
	_t_result ok "$1"
}

# t_fail DESC [WHY]
t_fail() {
	_t_result not-ok "$1" "${2:-failed}"
}

# t_skip DESC WHY: counts neither as passed nor failed.
t_skip() {
	_t_result skip "$1" "${2:-skipped}"
}

# t_check DESC CMD...: ok when CMD exits 0.  CMD's output goes to the
# scenario's output; its last line is quoted when the check fails.
t_check() {
	local desc=$1 rc out
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out"
	[ $rc -eq 0 ] && { _t_result ok "$desc"; return; }
	_t_result not-ok "$desc" "rc=$rc: $*${out:+: $(printf '%s\n' "$out" | tail -n 1)}"
}

# t_eq DESC EXPECTED ACTUAL: string equality (multi-line values allowed).
t_eq() {
	[ "$2" = "$3" ] && { _t_result ok "$1"; return; }
	printf '# expected:\n%s\n# actual:\n%s\n' "$2" "$3"
	_t_result not-ok "$1" "expected '$2', got '$3'"
}

# _t_errno_num ENAME: the errno number of ENAME (from /xpv/errno.tab).
_t_errno_num() {
	awk -v n="$1" '$1 == n { print $2; exit }' /xpv/errno.tab
}

# t_errno DESC ENAME CMD...: ok when CMD fails with errno ENAME.  Matched
# on "errno=N" (printed by /xpv/bin programs such as xpv_mod) or on the
# strerror text ending a line, as busybox prints it ("...: No such device").
# Aliases work (EWOULDBLOCK = EAGAIN).
t_errno() {
	local desc=$1 ename=$2 num msg out rc
	shift 2
	num=$(_t_errno_num "$ename")
	if [ -z "$num" ]; then
		_t_result not-ok "$desc" "unknown errno name $ename"
		return
	fi
	msg=$(awk -v n="$num" '$2 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' /xpv/errno.tab)
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out"
	if [ $rc -eq 0 ]; then
		_t_result not-ok "$desc" "succeeded, expected $ename: $*"
		return
	fi
	if printf '%s\n' "$out" | awk -v num="$num" -v msg="$msg" '
		$0 ~ ("errno=" num "([^0-9]|$)") { f = 1 }
		{ i = index($0, msg); if (i && substr($0, i + length(msg)) ~ /^[)]?$/) f = 1 }
		END { exit !f }'; then
		_t_result ok "$desc"
		return
	fi
	_t_result not-ok "$desc" "expected $ename ($msg), got rc=$rc: $(printf '%s\n' "$out" | tail -n 1)"
}

# t_insmod NAME [PARAM=VALUE...]: load /xpv/modules/NAME.ko; a failure
# quotes the exact errno.
t_insmod() {
	local name=$1
	shift
	t_check "insmod $name${*:+ $*}" xpv_mod load "$XPV_MODDIR/$name.ko" "$@"
}

# t_rmmod NAME: unload a module; a failure quotes the exact errno.
t_rmmod() {
	t_check "rmmod $1" xpv_mod unload "$1"
}

# t_modprobe MOD: load a stock module of the booted kernel with its
# dependencies (resolved on the host: /xpv/stock/MOD.deps).
t_modprobe() {
	local deps=/xpv/stock/$1.deps ko m out rc=0
	if [ ! -f "$deps" ]; then
		_t_result not-ok "modprobe $1" "not in the initramfs: add it to '# stock:' in the scenario header"
		return
	fi
	while read -r ko; do
		[ "$ko" = builtin ] && continue
		m=${ko##*/}
		m=${m%.ko}
		m=${m//-/_}
		grep -q "^$m " /proc/modules && continue
		out=$(xpv_mod load "$ko" 2>&1) || { rc=1; break; }
	done <"$deps"
	[ $rc -eq 0 ] && { _t_result ok "modprobe $1"; return; }
	printf '%s\n' "$out"
	_t_result not-ok "modprobe $1" "$out"
}

# t_relay OUT NOTE CMD...: run CMD, a program that prints its own checks
# ("ok N - DESC", "not ok N - DESC # REASON"; hvstub_cases does), with
# its output kept in OUT for the caller and its errors in OUT.err; each of
# its checks becomes one of ours (NOTE, if not empty, added in
# parentheses), then one check of its exit status.
t_relay() {
	local out=$1 note=${2:+ ($2)} line d rc
	shift 2
	"$@" >"$out" 2>"$out.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) t_ok "${line#ok * - }$note" ;;
		"not ok "*)
			d=${line#not ok * - }
			t_fail "${d%% # *}$note" "${d#* # }" ;;
		esac
	done <"$out"
	t_eq "$* exit status$note" 0 "$rc" || cat "$out.err"
}

# Memory hotplug through the host (tests/qemu/run's "@@XPV HOST" lines).
# t_mem_blocks: the memory block directories, one per line.
# t_mem_plug MIB BEFORE: a MIB MiB DIMM in slot 1; waits (30 s at most)
# until all its blocks are there; prints the block directories not in
# BEFORE.  t_mem_unplug BEFORE: ejects it; waits until only BEFORE is left.
t_mem_blocks() {
	ls -d /sys/devices/system/memory/memory[0-9]* | sort
}
t_mem_plug() {
	local want new i=0
	want=$(($1 * 1048576 / 0x$(cat /sys/devices/system/memory/block_size_bytes)))
	printf '<6>@@XPV HOST %s mem-hotplug 1 %s\n' "$XPV_NAME" "$1" >/dev/kmsg
	while new=$(t_mem_blocks | grep -vxF "$2")
	      [ "$(printf '%s\n' "$new" | grep -c memory)" -lt $want ] &&
	      [ $i -lt 60 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	printf '%s\n' "$new"
}
t_mem_unplug() {
	local i=0
	printf '<6>@@XPV HOST %s mem-unplug 1\n' "$XPV_NAME" >/dev/kmsg
	while [ $i -lt 60 ] && [ -n "$(t_mem_blocks | grep -vxF "$1")" ]; do
		sleep 0.5
		i=$((i + 1))
	done
}

# PCI bindings.  Scenarios share a boot, and xen_pviommu only attaches with
# no DMA driver bound: t_pci_unbind_all prints what was bound (for
# t_pci_rebind) and unbinds it; t_pci_rebind LIST binds it again.  Helpers,
# not checks.
t_pci_bound() {
	local d
	for d in /sys/bus/pci/drivers/*/0000:*; do
		[ -e "$d" ] || continue
		case "${d%/*}" in */pcieport|*/shpchp) continue ;; esac
		echo "${d%/*}|${d##*/}"
	done
}
t_pci_unbind_all() {
	local b list
	list=$(t_pci_bound)
	for b in $list; do
		echo "${b#*|}" >"${b%|*}/unbind"
	done
	echo "$list"
}
t_pci_rebind() {
	local b
	for b in $1; do
		echo "${b#*|}" >"${b%|*}/bind" 2>/dev/null
	done
}

# t_pci_find VENDOR DEVICE: the address of the first such PCI device
# (e.g. 0x1234 0x11e8, QEMU's edu), or nothing.  A helper, not a check.
t_pci_find() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] &&
			[ "$(cat "$d/device")" = "$2" ] && { echo "${d##*/}"; return; }
	done
}

# t_dmabench ROUTE BDF BITS SIZE KEY BOUNCED [sg N]: one measurement with
# the xpv_dmabench module (2000 map/unmap pairs, a BITS-bit mask): checks
# "perf ROUTE.map.KEY = N" and "perf ROUTE.unmap.KEY = N" (what
# tests/qemu/run's perf report reads), and that the mapping was bounced
# (BOUNCED 1) or not (0); BOUNCED "-" reports it as "perf ROUTE.bounced.KEY".
t_dmabench() {
	local out run=/sys/kernel/debug/xpv_dmabench/run
	if ! echo "$2 $3 $4 2000 $7 $8" >$run; then
		t_fail "bench $1 $5: request accepted"
		return 1
	fi
	read -r out <$run
	set -- "$1" "$5" "$6" $out
	case "$5.$7.${11}" in
	*[!0-9.]* | .* | *. | *..*)
		t_fail "bench $1 $2: three counts in \"$out\""
		return 1
		;;
	esac
	t_ok "perf $1.map.$2 = $5"
	t_ok "perf $1.unmap.$2 = $7"
	if [ "$3" = - ]; then
		t_ok "perf $1.bounced.$2 = ${11}"
	else
		t_eq "$1 $2: bounced=$3" "$3" "${11}"
	fi
}

# t_xenstore: in a Xen boot, start the toolstack's minimum: the event
# channel, privcmd and grant devices, xenstored and xen-init-dom0, so that
# xl works.  Four checks.
t_xenstore() {
	local bin
	bin=$(ls -d /usr/lib/xen-4.*/bin 2>/dev/null | tail -n 1)
	t_modprobe xen_evtchn
	t_modprobe xen_privcmd
	t_modprobe xen_gntdev
	mkdir -p /var/run/xenstored /var/lib/xenstored /var/run/xen \
		/var/lib/xen /var/log/xen /etc/xen
	: >/etc/xen/xl.conf
	"$bin/xenstored" --pid-file /var/run/xenstored.pid &&
		"$bin/xen-init-dom0" >/dev/null
	t_check "xl sees Domain-0" sh -c "$bin/xl list | grep -q '^Domain-0 '"
}

# t_dmesg: kernel log lines since this scenario began, or since its last
# t_dmesg_mark (marker lines excluded; everything if the log was cleared).
t_dmesg() {
	dmesg | awk '
		index($0, "@@XPV BEGIN ") || index($0, "@@XPV MARK ") { c = 0; next }
		!index($0, "@@XPV ") { l[++c] = $0 }
		END { for (i = 1; i <= c; i++) print l[i] }'
}

# t_dmesg_mark [TEXT]: start a new t_dmesg window (e.g. between two rounds
# of a scenario).
t_dmesg_mark() {
	local text
	_t_flat text "$*"
	printf '<6>@@XPV MARK %s %s\n' "$XPV_NAME" "$text" >/dev/kmsg
}

# t_dmesg_has DESC REGEX: a kernel line since this scenario began matches
# the extended regular expression.
t_dmesg_has() {
	t_dmesg | grep -qE -e "$2" && { _t_result ok "$1"; return; }
	_t_result not-ok "$1" "no kernel line matching /$2/ since the scenario began"
}

# t_dmesg_lacks DESC REGEX: no kernel line since this scenario began
# matches.
t_dmesg_lacks() {
	local hit
	hit=$(t_dmesg | grep -E -e "$2" | head -n 1)
	[ -z "$hit" ] && { _t_result ok "$1"; return; }
	_t_result not-ok "$1" "unexpected: $hit"
}

# t_our_modules: names of our (and test) modules now loaded, one per line,
# sorted.
t_our_modules() {
	awk '{ print $1 }' /proc/modules | grep -xF -f /xpv/modules.list | sort
}

# t_wait TENTHS CMD...: run CMD every 0.1 s until it succeeds, at most
# TENTHS times; returns CMD's last status.  Not a check: for device nodes
# that appear asynchronously (check the outcome afterwards).
t_wait() {
	local n=$1
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# t_disks DEV...: one check: every DEV is a block device, waiting 60 s at
# most (probing is asynchronous, and slow on the debug kernel).  A write to
# a disk that is not there yet would create a plain file in /dev that
# "reads back" fine, so every disk test starts here.
_t_all_blk() {
	local d
	for d in "$@"; do
		[ -b "$d" ] || return 1
	done
}
t_disks() {
	t_check "block device(s) present: $*" t_wait 600 _t_all_blk "$@"
}

# t_roundtrip DESC DEV BLOCK [COUNT]: two checks.  COUNT (default 64) 4 KiB
# blocks of random data written to block device DEV at 4 KiB block BLOCK
# (fsync'd), read back past the page cache and compared.
t_roundtrip() {
	local desc=$1 dev=$2 at=$3 count=${4:-64} f=$XPV_STATE/roundtrip
	if [ ! -b "$dev" ]; then
		t_fail "$desc: $dev is a block device" "not there"
		return 1
	fi
	dd if=/dev/urandom of="$f.w" bs=4096 count="$count" 2>/dev/null
	t_check "$desc: write $((count * 4)) KiB to $dev" \
		dd if="$f.w" of="$dev" bs=4096 seek="$at" count="$count" conv=fsync
	echo 3 >/proc/sys/vm/drop_caches
	dd if="$dev" of="$f.r" bs=4096 skip="$at" count="$count" 2>/dev/null
	t_eq "$desc: data read back from $dev equals data written" \
		"$(md5sum <"$f.w")" "$(md5sum <"$f.r")"
}
