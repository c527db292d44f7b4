#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debug-kernel.sh - build (once) the debug tier's kernel: Debian's
# linux-source-6.1 with KASAN, lockdep, DMA-API debug, kmemleak, UBSAN
# and fault injection (tests/qemu/debug/debug-kernel.config).
#
# The result is cached outside the checkout, keyed by the source package
# version, the fragment and this script: $XPV_CACHE (default
# ~/.cache/xen-pviommu)/debug-kernel-<key>/ holds
#   bzImage            the kernel
#   root/lib/modules/  its modules (modules_install)
#   build/             the build tree (out-of-tree modules build against it)
#   kver               the kernel release
# A finished build is reused in seconds; a build takes ~20 min on 2 cores.
#
# Usage: scripts/debug-kernel.sh [--print-dir]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
frag=$top/tests/qemu/debug/debug-kernel.config
src_tar=/usr/src/linux-source-6.1.tar.xz
[ -f "$src_tar" ] || { echo "debug-kernel: $src_tar missing (scripts/deps.sh)" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$ver"; cat "$frag" "$0"; } | sha256sum | cut -c1-16)
cache=${XPV_CACHE:-$HOME/.cache/xen-pviommu}
dir=$cache/debug-kernel-$key

if [ "${1:-}" = "--print-dir" ]; then
	echo "$dir"
	exit 0
fi
if [ -f "$dir/done" ]; then
	echo "debug-kernel: cached $(cat "$dir/kver") in $dir"
	exit 0
fi

mkdir -p "$cache"
# Only one build at a time; a half-finished one is started over.
exec 9>"$cache/debug-kernel.lock"
flock 9
[ -f "$dir/done" ] && exit 0
rm -rf "$dir" "$cache"/debug-kernel-*.tmp
tmp=$dir.tmp
mkdir -p "$tmp"
echo "debug-kernel: unpacking $src_tar"
tar -C "$tmp" -xJf "$src_tar"
mv "$tmp/linux-source-6.1" "$tmp/build"
cd "$tmp/build"
jobs=$(nproc)
echo "debug-kernel: configuring (x86_64_defconfig + kvm_guest + xen + debug fragment)"
make -s x86_64_defconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config \
	kernel/configs/xen.config arch/x86/configs/xen.config "$frag" >/dev/null
make -s olddefconfig >/dev/null
# Every line of the fragment must have survived (a typo or a missing
# dependency would silently drop a checker).
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r line; do
	grep -qx "$line" .config || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "debug-kernel: options not taken:" $missing >&2
	exit 1
fi
echo "debug-kernel: building with $jobs jobs (log: $tmp/build.log)"
make -j"$jobs" bzImage modules >"$tmp/build.log" 2>&1 ||
	{ tail -30 "$tmp/build.log" >&2; exit 1; }
make -s INSTALL_MOD_PATH="$tmp/root" modules_install >/dev/null
cp arch/x86/boot/bzImage "$tmp/bzImage"
make -s kernelrelease >"$tmp/kver"
cd /
mv "$tmp" "$dir"
touch "$dir/done"
# Builds of other keys (an older fragment or source) are 2-3 GiB each.
for old in "$cache"/debug-kernel-*; do
	[ -d "$old" ] && [ "$old" != "$dir" ] && rm -rf "$old"
done
echo "debug-kernel: built $(cat "$dir/kver") in $dir"
