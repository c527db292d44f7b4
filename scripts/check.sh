#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh - static checks: sparse (C=2) + W=1 build on every target kernel,
# checkpatch.pl --strict and kernel-doc -Wall on all kernel sources.
#
# checkpatch.pl comes from Debian's linux-source-6.1 tarball; only scripts/
# is extracted, into a cache outside the checkout keyed by the tarball's
# version.  Prints one line per check and "check: N passed, N failed".
#
# Usage: scripts/check.sh [KDIR...]   (default: every supported kernel found)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. scripts/kernels.sh

pass=0 fail=0
result() {	# result NAME RC LOG
	if [ "$2" -eq 0 ]; then
		echo "ok - $1"
		pass=$((pass + 1))
	else
		echo "not ok - $1 (see $3)"
		sed 's/^/    /' "$3" | head -40
		fail=$((fail + 1))
	fi
}

logs=$top/build/check
mkdir -p "$logs"

# Kernel sources: the modules and the test-only kernel modules.
mapfile -t ksrc < <(git ls-files -co --exclude-standard -- \
	'drivers/*.[ch]' 'include/*.h' 'tests/qemu/modules/*.[ch]' | sort)

# --- sparse + W=1, per kernel, in a copy of the tree ---------------------
kdirs=("$@")
[ ${#kdirs[@]} -gt 0 ] || mapfile -t kdirs < <(xpv_kernel_headers)
for kdir in "${kdirs[@]}"; do
	kver=$(basename "$kdir" | sed 's/^linux-headers-//')
	out=$top/build/check-$kver
	rm -rf "$out" && mkdir -p "$out"
	cp -r Kbuild include drivers "$out"/
	log=$logs/sparse-$kver.log
	make -s -C "$kdir" M="$out" W=1 C=2 modules >"$log" 2>&1
	rc=$?
	# Any compiler or sparse diagnostic fails the check.
	if grep -E '(warning|error):' "$log" >/dev/null; then rc=1; fi
	result "W=1 + sparse C=2 build, $kver" $rc "$log"
done

# --- checkpatch --strict ----------------------------------------------------
src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/xen-pviommu/linux-source-6.1-$src_ver
cp_pl=$cache/linux-source-6.1/scripts/checkpatch.pl
if [ ! -x "$cp_pl" ]; then
	mkdir -p "$cache"
	tar -C "$cache" -xJf /usr/src/linux-source-6.1.tar.xz \
		--wildcards 'linux-source-6.1/scripts/*'
fi
# Ignored everywhere, on purpose (also listed in Documentation/process.rst):
#  LINUX_VERSION_CODE - version tests are the purpose of compat.h, the only
#                       file that has them.
#  FILE_PATH_CHANGES  - meaningless outside a kernel tree.
#  ENOSYS             - -ENOSYS is the Xen hypercall ABI's "no such
#                       hypercall"; the stub must return it like Xen does.
# Ignored in some files only:
#  include/xpv/abi/*  - hypervisor ABI headers in Xen's public-header style
#                       (MIT, no kernel macros): BIT_MACRO, NEW_TYPEDEFS,
#                       MACRO_ARG_REUSE (layout-check macros take a macro).
#  include/xpv/compat.h - CONSTANT_COMPARISON (LINUX_VERSION_CODE < ...).
#  drivers/hv/exports.c - EXPORT_SYMBOL: it exports pure-logic functions,
#                       whose files must stay free of kernel macros.
#  */trace.h          - PARENTHESIS_ALIGNMENT, OPEN_ENDED_LINE: the
#                       TRACE_EVENT() layout every kernel trace header uses.
ignore=LINUX_VERSION_CODE,FILE_PATH_CHANGES,ENOSYS
checkpatch() {	# checkpatch EXTRA_IGNORES FILES...
	local extra=$1
	shift
	[ $# -gt 0 ] || return 0
	"$cp_pl" --no-tree --strict --quiet --show-types \
		--ignore "$ignore${extra:+,$extra}" -f "$@"
}
abi=() compat=() exports=() traces=() rest=()
for f in "${ksrc[@]}"; do
	case "$f" in
	include/xpv/abi/*) abi+=("$f") ;;
	include/xpv/compat.h) compat+=("$f") ;;
	drivers/hv/exports.c) exports+=("$f") ;;
	*/trace.h) traces+=("$f") ;;
	*) rest+=("$f") ;;
	esac
done
log=$logs/checkpatch.log
{
	checkpatch BIT_MACRO,NEW_TYPEDEFS,MACRO_ARG_REUSE "${abi[@]}" &&
	checkpatch CONSTANT_COMPARISON "${compat[@]}" &&
	checkpatch EXPORT_SYMBOL "${exports[@]}" &&
	checkpatch PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE "${traces[@]}" &&
	checkpatch "" "${rest[@]}"
} >"$log" 2>&1
rc=$?
[ -s "$log" ] && rc=1
result "checkpatch.pl --strict (${#ksrc[@]} files)" $rc "$log"

# --- kernel-doc -Wall ---------------------------------------------------------
kd=$(ls -d /usr/src/linux-headers-*-common/scripts/kernel-doc 2>/dev/null | tail -1)
log=$logs/kernel-doc.log
perl "$kd" -none -Wall "${ksrc[@]}" >"$log" 2>&1
rc=$?
[ -s "$log" ] && rc=1
result "kernel-doc -none -Wall (${#ksrc[@]} files)" $rc "$log"

echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
