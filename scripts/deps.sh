#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh - install every Debian package the build, the tests and the demo
# need.  Idempotent, and quick when everything is already there.
#
# Usage: scripts/deps.sh [--check]   (--check: only say what is missing)
set -euo pipefail

PKGS=(
	# build: both target kernels (headers + images for the QEMU tier)
	make gcc libc6-dev linux-headers-amd64 linux-image-amd64
	linux-headers-6.12-amd64 linux-image-6.12-amd64
	# static analysis: sparse, checkpatch/kernel-doc from the 6.1 source
	sparse linux-source-6.1 perl python3
	# unit and fuzz tiers
	clang llvm libclang-rt-14-dev afl++
	# QEMU tier (daxctl is its own package)
	qemu-system-x86 qemu-utils busybox-static cpio kmod xz-utils zstd socat
	e2fsprogs ndctl daxctl
	# ndctl-xen
	libndctl-dev libdaxctl-dev libjson-c-dev libkmod-dev uuid-dev pkg-config
	asciidoctor
	# real-Xen tier
	xen-hypervisor-4.17-amd64 xen-utils-4.17
	# debug tier: building linux-source-6.1 (scripts/debug-kernel.sh)
	flex bison bc libelf-dev libssl-dev
	# packaging
	dkms
)

missing=()
for p in "${PKGS[@]}"; do
	case "$p" in \#*) continue ;; esac
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "deps: missing: ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run as root (or with sudo)" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Kernel images are only booted under QEMU: no initramfs generation needed.
export INITRD=No
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
