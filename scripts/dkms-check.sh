#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-check.sh - prove dkms.conf builds every module on every supported
# kernel: add the tree under a throw-away version, build per kernel, check
# the four .ko files exist, remove it again.  Prints "dkms: N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/kernels.sh"

ver=0.0.$$
src=/usr/src/xen-pviommu-$ver
trap 'dkms remove -m xen-pviommu -v $ver --all >/dev/null 2>&1; rm -rf "$src"' EXIT

rm -rf "$src" && mkdir -p "$src"
cp -r "$top"/{Kbuild,Makefile,dkms.conf,include,drivers} "$src"/
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" "$src/dkms.conf"
dkms add -m xen-pviommu -v "$ver" >/dev/null || { echo "dkms: 0 passed, 1 failed"; exit 1; }

pass=0 fail=0
for kdir in $(xpv_kernel_headers); do
	kver=${kdir#/usr/src/linux-headers-}
	log=$top/build/check/dkms-$kver.log
	mkdir -p "$(dirname "$log")"
	if dkms build -m xen-pviommu -v "$ver" -k "$kver" >"$log" 2>&1; then
		built=/var/lib/dkms/xen-pviommu/$ver/$kver/x86_64/module
		n=$(ls "$built" 2>/dev/null | grep -cE '^xen_(pvcore|pviommu|pmem|hvstub)\.ko')
		if [ "$n" -eq 4 ]; then
			echo "ok - dkms build, $kver (4 modules)"
			pass=$((pass + 1))
			continue
		fi
		echo "not ok - dkms build, $kver: $n of 4 modules in $built"
	else
		echo "not ok - dkms build, $kver (see $log)"
		tail -20 "$log" | sed 's/^/    /'
	fi
	fail=$((fail + 1))
done
echo "dkms: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
