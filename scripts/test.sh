#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test.sh - the whole test suite, from a fresh Debian 12 machine:
#   deps -> static checks (both kernels) -> DKMS -> unit -> ndctl-xen ->
#   allocator benchmark -> fuzz smoke -> QEMU tier (stock 6.1 and 6.12
#   with the stub hypervisor, real Xen 4.17 with both as PV Dom0, the perf
#   boots under -icount, the debug kernel (built once, cached) with KASAN,
#   lockdep, DMA-API debug, kmemleak and UBSAN, harness self-test)
#
# Each stage ends with its own "N passed, N failed" line; this script sums
# them and ends with one "N passed, N failed" line.  A stage that dies
# without its line counts as one failure.  Logs: build/test-logs/.
#
# Usage: scripts/test.sh [--quick]   (--quick: skip the QEMU tier)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=$top/build/test-logs
mkdir -p "$logs"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

total_pass=0 total_fail=0
summary=()

stage() {	# stage NAME CMD...
	local name=$1 log=$logs/$1.log line p f t0 t1
	shift
	echo "=== $name: $*"
	t0=$(date +%s)
	"$@" 2>&1 | tee "$log"
	t1=$(date +%s)
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		p=0 f=1
		line="no result line (counted as 1 failure)"
	else
		p=$(sed -E 's/.*(^|: |[^0-9])([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
		f=$(sed -E 's/.*(^|: |[^0-9])([0-9]+) passed, ([0-9]+) failed.*/\3/' <<<"$line")
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$(printf '%-8s %4d passed %4d failed  %4ds' "$name" "$p" "$f" $((t1 - t0)))")
}

# ndctl-xen's own tests: its unit program ("N checks, N failed") and its
# command-line checks ("cli: N passed, N failed"), summed in one line.
tool_tests() {
	local out rc up uf cp cf
	out=$(make -s -C tools/ndctl-ext test 2>&1)
	rc=$?
	printf '%s\n' "$out"
	read -r up uf < <(sed -nE 's/.*unit: ([0-9]+) checks, ([0-9]+) failed.*/\1 \2/p' <<<"$out")
	read -r cp cf < <(sed -nE 's/^cli: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' <<<"$out")
	[ -n "$up" ] && [ -n "$cp" ] || { echo "tool: 0 passed, 1 failed"; return 1; }
	up=$((up - uf))
	[ $rc -ne 0 ] && [ $((uf + cf)) -eq 0 ] && cf=1
	echo "tool: $((up + cp)) passed, $((uf + cf)) failed"
}

# The debug tier's kernel (KASAN, lockdep, ...): built once, then cached
# outside the checkout; the QEMU stage boots it beside the stock kernels.
debug_kernel() {
	if scripts/debug-kernel.sh; then
		echo "debug-kernel: 1 passed, 0 failed"
	else
		echo "debug-kernel: 0 passed, 1 failed"
	fi
}

if ! scripts/deps.sh; then
	echo "deps: could not install the packages the suite needs"
	echo "0 passed, 1 failed"
	exit 1
fi

stage check scripts/check.sh
stage dkms scripts/dkms-check.sh
stage unit make -s -C tests/unit run
stage tool tool_tests
stage bench make -s -C tests/bench run
[ -f tests/fuzz/Makefile ] && stage fuzz make -s -C tests/fuzz smoke
[ "$quick" -eq 0 ] && stage dkernel debug_kernel
[ "$quick" -eq 0 ] && stage qemu tests/qemu/run --kernel all

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
