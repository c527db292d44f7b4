#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run unit test programs and sum their "ok"/"not ok" lines.
pass=0 fail=0
for t in "$@"; do
	echo "== $(basename "$t")"
	out=$("$t")
	rc=$?
	echo "$out"
	p=$(grep -c '^ok ' <<<"$out")
	f=$(grep -c '^not ok ' <<<"$out")
	# A crash (sanitizer abort) loses the lines after it: count it as one.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok $(basename "$t") (exit $rc)"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
