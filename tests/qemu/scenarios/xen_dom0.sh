# SPDX-License-Identifier: GPL-2.0-only
# xen_dom0: the ground truth of the Xen tier.  The guest is a real PV Dom0
# (control domain) on Debian's Xen 4.17; its PCI devices use Xen's swiotlb
# DMA ops (shown by the xpv_dmaops test module, which names the ops of
# every PCI device) and move data both ways behind Xen's emulated VT-d:
# NVMe and virtio-blk (iommu_platform, so it goes through the DMA API).
# hypervisor: xen
# kernels: all
# needs: nvme virtio-blk
# timeout: 120

# dmaops_of BDF: xpv_dmaops's line for a PCI device, without the address.
dmaops_of() {
	awk -v d="$1" '$1 == d { $1 = ""; sub(/^ /, ""); print }' \
		/sys/kernel/debug/xpv_dmaops/pci
}

t_eq "hypervisor type" xen "$(cat /sys/hypervisor/type)"
t_eq "Xen version 4.17" 4.17 \
	"$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)"
t_eq "the kernel detected a Xen PV guest" 1 \
	"$(dmesg | grep -c 'Hypervisor detected: Xen PV$')"
t_eq "/proc/xen/capabilities: control domain" control_d \
	"$(cat /proc/xen/capabilities)"
t_eq "Xen swiotlb set up once at boot" 1 \
	"$(dmesg | grep -c 'software IO TLB: mapped \[mem ')"

t_modprobe nvme
t_modprobe virtio_pci
t_modprobe virtio_blk
t_wait 100 test -b /dev/nvme0n1 -a -b /dev/vda
t_eq "nvme0n1 is 64 MiB" 131072 "$(cat /sys/block/nvme0n1/size)"
t_eq "vda is 64 MiB" 131072 "$(cat /sys/block/vda/size)"
nvme=$(basename "$(readlink -f /sys/block/nvme0n1/device/device)")
vblk=$(basename "$(readlink -f /sys/block/vda/device/..)")
t_log "nvme at $nvme, virtio-blk at $vblk"

t_insmod xpv_dmaops || exit 1
cat /sys/kernel/debug/xpv_dmaops/pci
t_eq "nvme uses xen_swiotlb_dma_ops" \
	"nvme ops=xen_swiotlb_dma_ops map_page=xen_swiotlb_map_page" \
	"$(dmaops_of "$nvme")"
t_eq "virtio-blk uses xen_swiotlb_dma_ops" \
	"virtio-pci ops=xen_swiotlb_dma_ops map_page=xen_swiotlb_map_page" \
	"$(dmaops_of "$vblk")"
t_eq "every PCI device uses xen_swiotlb_dma_ops" "" \
	"$(grep -v ' ops=xen_swiotlb_dma_ops ' /sys/kernel/debug/xpv_dmaops/pci)"

t_roundtrip nvme /dev/nvme0n1 256
t_roundtrip virtio-blk /dev/vda 256
t_check "virtio-blk negotiated VIRTIO_F_ACCESS_PLATFORM (feature bit 33)" \
	sh -c 'cut -c34 /sys/block/vda/device/features | grep -qx 1'

t_rmmod xpv_dmaops
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
