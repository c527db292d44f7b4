#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bounded libFuzzer run of each target from its seed corpus.  A target
# passes when libFuzzer exits 0 (no crash, leak, timeout or failed
# invariant).  Prints the tail of each run and "fuzz: N passed, N failed".
pass=0 fail=0
for t in "$@"; do
	name=$(basename "$t")
	work=bin/work/$name
	mkdir -p "$work" "corpus/$name"
	echo "== $name (runs ${RUNS:-200000}, at most ${TIME:-20} s)"
	out=$("$t" -runs="${RUNS:-200000}" -max_total_time="${TIME:-20}" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="bin/work/crash-$name-" \
		"$work" "corpus/$name" 2>&1)
	rc=$?
	grep -E '^INFO: Seed:|^#[0-9]+ *DONE|^Done |stat::number_of_executed_units|ERROR|invariant failed|SUMMARY' <<<"$out" | tail -8
	if [ "$rc" -eq 0 ]; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "$out" | tail -30
		echo "not ok $name (exit $rc)"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
