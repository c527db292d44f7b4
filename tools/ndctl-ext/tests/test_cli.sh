#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# test_cli.sh - ndctl-xen's command line on a host without pmem: exit codes
# (0 ok, 1 failure, 2 usage), errors on stderr naming the object, JSON on
# stdout that parses.  NDCTL_XEN names the binary.  Prints one line per
# check and "cli: N passed, N failed"; exit 1 on any failure.

X=${NDCTL_XEN:-ndctl-xen}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect DESC RC ERR_REGEX -- ARGS...: exit status RC, stderr matching.
expect() {
	desc=$1 want=$2 re=$3
	shift 4
	"$X" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ] && { [ -z "$re" ] || grep -qE -- "$re" "$tmp/err"; }; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc (rc=$rc, stderr: $(head -c 300 "$tmp/err"))"
		fail=$((fail + 1))
	fi
}

# json DESC: the last command's stdout is JSON (python3 checks, if present).
json() {
	if ! command -v python3 >/dev/null; then
		echo "ok - $1 # SKIP no python3"
		return
	fi
	if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out"; then
		echo "ok - $1"
		pass=$((pass + 1))
	else
		echo "not ok - $1: $(head -c 300 "$tmp/out")"
		fail=$((fail + 1))
	fi
}

expect "--version" 0 "" -- --version
[ "$(cat "$tmp/out")" = 1.0 ] && pass=$((pass + 1)) && echo "ok - version is 1.0" ||
	{ fail=$((fail + 1)); echo "not ok - version is 1.0"; }
expect "no command: usage" 2 "usage: ndctl-xen" --
expect "unknown command: named" 2 "error: frobnicate: unknown command" -- frobnicate
expect "--help lists the commands" 0 "" -- --help
grep -q "create-namespace" "$tmp/out" && grep -q "spa" "$tmp/out" &&
	pass=$((pass + 1)) && echo "ok - help names create-namespace and spa" ||
	{ fail=$((fail + 1)); echo "not ok - help names create-namespace and spa"; }
expect "list: exit 0" 0 "" -- list
json "list: JSON"
[ "$(tr -d ' \n' <"$tmp/out")" = "[]" ] && pass=$((pass + 1)) &&
	echo "ok - list without pmem: an empty array" ||
	{ fail=$((fail + 1)); echo "not ok - list without pmem: an empty array"; }
expect "list -u -r region7: exit 0" 0 "" -- list -u -r region7
json "list -u: JSON"
expect "list --bogus: usage" 2 "list: see 'ndctl-xen help list'" -- list --bogus
expect "list extra argument: usage" 2 "list: unexpected argument 'foo'" -- list foo
expect "status without xen_pmem: exit 1, says so" 1 \
	"xen_pmem: not loaded" -- status
json "status: JSON"
grep -q '"module":"not loaded"' "$tmp/out" && pass=$((pass + 1)) &&
	echo "ok - status: module not loaded" ||
	{ fail=$((fail + 1)); echo "not ok - status: module not loaded"; }
expect "reserve --page-info-size=16: refused" 2 \
	"--page-info-size=16: expected 32..1024 bytes" -- reserve --page-info-size=16
expect "reserve --page-info-size=48x: refused" 2 "expected 32..1024" \
	-- reserve --page-info-size=48x
expect "reserve without pmem: no region" 1 "no pmem region matches" -- reserve
expect "release without -r: usage" 2 "release: name the region" -- release
expect "check without pmem: nothing matches" 1 \
	"no reservation namespace matches" -- check
expect "create-namespace --xen-reserve -e: refused" 2 \
	"reconfigure with ndctl create-namespace -e" \
	-- create-namespace --xen-reserve -e namespace0.0
expect "create-namespace -n xen-pagemap: refused" 2 \
	"the name 'xen-pagemap' is reserved" \
	-- create-namespace --xen-reserve -n xen-pagemap
expect "create-namespace --bogus: usage" 2 "create-namespace: see" \
	-- create-namespace --bogus
expect "create-namespace --xen-reserve without pmem: no region" 1 \
	"no pmem region is empty or already reserved" \
	-- create-namespace --xen-reserve --mode=fsdax
# Without --xen-reserve it is ndctl: its options go through as given.
cat >"$tmp/ndctl" <<'EOF'
#!/bin/sh
echo "{\"args\":\"$*\"}"
EOF
chmod +x "$tmp/ndctl"
NDCTL="$tmp/ndctl" expect "create-namespace without --xen-reserve runs ndctl" 0 "" \
	-- create-namespace -m fsdax -s 1G -r region1 -f
json "ndctl's JSON passed through"
grep -q '"args":"create-namespace --mode=fsdax --size=1G --force --region=region1"' \
	"$tmp/out" && pass=$((pass + 1)) && echo "ok - ndctl got the options, normalised" ||
	{ fail=$((fail + 1)); echo "not ok - ndctl got the options: $(cat "$tmp/out")"; }
expect "spa without argument: usage" 2 "spa: name a pmem block device" -- spa
expect "spa of a missing file: named" 1 "/nonexistent: No such file" -- spa /nonexistent
expect "spa of /dev/null: refused" 1 "/dev/null: neither a block device nor a regular file" \
	-- spa /dev/null
echo data >"$tmp/f"
expect "spa of a file not on pmem: refused" 1 "its filesystem is not on pmem" \
	-- spa "$tmp/f"
expect "help reserve (no man page installed is fine)" 0 "" -- help reserve
expect "help bogus: named" 2 "bogus: no such command" -- help bogus

# Bash completion: commands, then each command's options.
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_ndctl_xen; echo "${COMPREPLY[*]}"' _ \
		"$(dirname "$0")/../ndctl-xen.bash-completion" "$@"
}
if command -v bash >/dev/null; then
	for c in "res:reserve" "create-namespace --xen:--xen-reserve" \
		 "check --rep:--repair" "spa --h:--human" "help rel:release"; do
		words=${c%%:*} want=${c#*:}
		# shellcheck disable=SC2086
		got=$(comp ndctl-xen $words)
		if [ "$got" = "$want" ]; then
			echo "ok - completion: '$words' -> $want"
			pass=$((pass + 1))
		else
			echo "not ok - completion: '$words' -> '$got', expected $want"
			fail=$((fail + 1))
		fi
	done
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
