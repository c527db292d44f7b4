# SPDX-License-Identifier: GPL-2.0-only
# xen_pviommu_declines: in a real PV Dom0 on Debian's Xen, which has no
# PV-IOMMU, xen_pviommu's query_caps hypercall returns -ENOSYS and the
# module declines: ENODEV and exactly one line; the devices keep Xen's
# swiotlb DMA ops and NVMe data is verified before, during (a write in
# flight while the module tries) and after.  Twice: with xen_pvcore's
# default hypercall number (56) and with iommu_op_nr=57.
# hypervisor: xen
# kernels: all
# needs: nvme
# timeout: 150

SWIOTLB="nvme ops=xen_swiotlb_dma_ops map_page=xen_swiotlb_map_page"

dmaops_of() {
	awk -v d="$1" '$1 == d { $1 = ""; sub(/^ /, ""); print }' \
		/sys/kernel/debug/xpv_dmaops/pci
}

# round NR [PARAM]: pvcore loaded with PARAM (none: the default), which
# must make its iommu_op number NR; xen_pviommu declines; pvcore unloaded.
round() {
	local nr=$1 bg rc
	shift
	t_dmesg_mark "iommu_op $nr"
	t_insmod xen_pvcore "$@" || return 1
	t_eq "iommu_op $nr: xen_pvcore's iommu_op_nr" "$nr" \
		"$(cat /sys/module/xen_pvcore/parameters/iommu_op_nr)"

	# 2 MiB written at 8 MiB while the module probes.
	dd if=/dev/urandom of=/tmp/inflight bs=65536 count=32 2>/dev/null
	dd if=/tmp/inflight of=/dev/nvme0n1 bs=65536 seek=128 count=32 \
		conv=fsync 2>/dev/null &
	bg=$!
	t_errno "iommu_op $nr: xen_pviommu declines with ENODEV" ENODEV \
		xpv_mod load /xpv/modules/xen_pviommu.ko
	wait $bg
	rc=$?
	t_eq "iommu_op $nr: the write in flight completed" 0 "$rc"
	echo 3 >/proc/sys/vm/drop_caches
	dd if=/dev/nvme0n1 of=/tmp/readback bs=65536 skip=128 count=32 \
		2>/dev/null
	t_eq "iommu_op $nr: the data written during the attempt reads back" \
		"$(md5sum </tmp/inflight)" "$(md5sum </tmp/readback)"

	t_eq "iommu_op $nr: xen_pviommu printed exactly one line" 1 \
		"$(t_dmesg | grep -c 'xen:xen_pviommu:')"
	t_dmesg_has "iommu_op $nr: the line says the real hypercall gave -ENOSYS" \
		"xen:xen_pviommu: xen backend: iommu_op $nr query_caps failed \(-38\)"
	t_eq "iommu_op $nr: xen_pviommu is not loaded" \
		"$(printf 'xen_pvcore\nxpv_dmaops')" "$(t_our_modules)"
	t_check "iommu_op $nr: no xen_pviommu debugfs directory" \
		test ! -e /sys/kernel/debug/xen_pviommu
	t_eq "iommu_op $nr: nvme still uses xen_swiotlb_dma_ops" "$SWIOTLB" \
		"$(dmaops_of "$nvme")"
	t_roundtrip "iommu_op $nr: after" /dev/nvme0n1 512
	t_rmmod xen_pvcore
}

t_modprobe nvme
t_wait 100 test -b /dev/nvme0n1
t_check "nvme0n1 present" test -b /dev/nvme0n1 || exit 1
nvme=$(basename "$(readlink -f /sys/block/nvme0n1/device/device)")
t_insmod xpv_dmaops || exit 1
t_eq "before: nvme uses xen_swiotlb_dma_ops" "$SWIOTLB" "$(dmaops_of "$nvme")"
t_roundtrip before /dev/nvme0n1 256

round 56 || exit 1
round 57 iommu_op_nr=57 || exit 1

t_rmmod xpv_dmaops
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
