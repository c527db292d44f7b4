#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - the main job: install what is needed, build the modules, boot
# Debian's stock 6.12 under QEMU with the stub hypervisor and both
# drivers, move real data through NVMe and an NVDIMM, and print a report.
#
# The guest side is tests/qemu/scenarios/demo_main.sh (also run by the
# test suite).  Usage: scripts/demo.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

scripts/deps.sh || exit 1

echo "== building and booting (QEMU TCG, Debian 6.12, stub hypervisor) ..."
tests/qemu/run --kernel 6.12 --scenario demo_main >build/demo-run.log 2>&1
rc=$?

out=$(ls -t build/qemu-logs/*.demo.output.log 2>/dev/null | head -1)
echo
echo "================ xen-pviommu demo report ================"
if [ -n "$out" ]; then
	# The report lines, then every check with its result.
	sed -n 's/^| \{0,1\}//p' "$out"
	echo
	echo "checks:"
	grep -E '^(not )?ok [0-9]+ - ' "$out" | sed 's/^/  /'
else
	echo "(the guest produced no output; see build/demo-run.log)"
fi
echo "========================================================="
tail -1 build/demo-run.log
echo "full logs: build/demo-run.log, build/qemu-logs/"
exit $rc
