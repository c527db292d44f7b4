# SPDX-License-Identifier: GPL-2.0-only
# kernels.sh - sourced: find the supported Debian kernels installed here.
#
# The ABI number in Debian's package names (6.1.0-NN, 6.12.NNN+deb12) moves
# with every point release, so nothing hard-codes it.

# xpv_kernel_headers: newest 6.1 and 6.12 amd64 header trees, one per line.
xpv_kernel_headers() {
	local series d
	for series in 6.1 6.12; do
		d=$(ls -d /usr/src/linux-headers-"$series".*-amd64 2>/dev/null |
			grep -vE -- '-(cloud|rt)-amd64$' | sort -V | tail -1)
		[ -n "$d" ] && echo "$d"
	done
}
