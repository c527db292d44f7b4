# SPDX-License-Identifier: GPL-2.0-only
# pviommu_dma: real DMA through xen_pviommu's ops against the stub: NVMe
# and virtio-blk (iommu_platform) move data both ways, raw and through an
# ext4-mounted file system written, remounted and verified; edu exercises the
# direct, bounced, coherent and sg paths with a 28-bit mask; the stub sees
# no hypercall and no flush during the I/O; unload is refused while a
# device is bound with our ops, and leaves the stub at its baseline.
# kernels: all
# needs: nvme virtio-blk edu
# timeout: 240

counter() {	# counter NAME: one value of the stub's counters
	sed -n "s/^$1 //p" /sys/kernel/debug/xen_hvstub/counters
}
premap() {	# premap NAME: one value of xen_pviommu's premap file
	sed -n "s/^$1\t//p" /sys/kernel/debug/xen_pviommu/premap
}

fileset() {	# fileset DESC DEV: ext2 with 24 files, remounted, verified
	local i sums bytes=2097152
	t_check "$1: mke2fs" mke2fs -q -b 4096 "$2"
	mkdir -p /mnt/fs
	t_check "$1: mount" mount -t ext4 "$2" /mnt/fs || return 1
	i=0
	while [ $i -lt 24 ]; do
		dd if=/dev/urandom of=/mnt/fs/f$i bs=4096 \
			count=$(( (i * 37) % 97 + 1 )) 2>/dev/null
		bytes=$((bytes + ((i * 37) % 97 + 1) * 4096))
		i=$((i + 1))
	done
	dd if=/dev/urandom of=/mnt/fs/big bs=65536 count=32 2>/dev/null
	t_eq "$1: 25 files written in full" $bytes \
		"$(cat /mnt/fs/f* /mnt/fs/big | wc -c)"
	sums=$(cd /mnt/fs && md5sum f* big)
	umount /mnt/fs
	echo 3 >/proc/sys/vm/drop_caches
	t_check "$1: mount again" mount -t ext4 "$2" /mnt/fs || return 1
	t_eq "$1: 25 files read back equal" "$sums" \
		"$(cd /mnt/fs && md5sum f* big)"
	umount /mnt/fs
}

saved=$(t_pci_unbind_all)

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1

# A DMA driver bound before the switch: refused, nothing left mapped.
t_modprobe nvme
nvme_dev=$(ls /sys/bus/pci/devices/*/class | while read -r c; do
	grep -qx 0x010802 "$c" && basename "${c%/class}"; done)
[ -e /sys/bus/pci/drivers/nvme/$nvme_dev ] ||
	echo "$nvme_dev" >/sys/bus/pci/drivers/nvme/bind
t_errno "load refused while nvme is bound" EBUSY \
	xpv_mod load /xpv/modules/xen_pviommu.ko
t_dmesg_has "refusal names the device and its driver" \
	'xen:xen_pviommu: [0-9a-f:.]+ is bound to nvme: load xen_pviommu before DMA drivers bind'
t_eq "stub: no mapping made by the refused load" "at_baseline: yes" \
	"$(grep '^at_baseline:' /sys/kernel/debug/xen_hvstub/audit)"
echo "$nvme_dev" >/sys/bus/pci/drivers/nvme/unbind
t_dmesg_mark
t_insmod xen_pviommu || exit 1
t_dmesg_has "one summary line: map built, ops switched" \
	'xen:xen_pviommu: stub backend: 1:1 map of [0-9]+ pages in [0-9]+ ops of order <= 9, ([0-9]+) hypercalls \(minimum \1\); DMA ops switched'
t_eq "premap: hypercalls equal the computed minimum" \
	"$(premap expected_hypercalls)" "$(premap boot_hypercalls)"

hc0=$(counter hypercalls) fl0=$(counter flushes)
t_modprobe virtio_pci
t_modprobe virtio_blk
t_pci_rebind "$saved"
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/driver" ] || echo "${d##*/}" >/sys/bus/pci/drivers_probe
done
t_disks /dev/nvme0n1 /dev/vda
t_roundtrip nvme /dev/nvme0n1 0 1024
t_roundtrip virtio-blk /dev/vda 0 1024
t_modprobe ext4
fileset nvme /dev/nvme0n1
fileset virtio-blk /dev/vda
# Bit 33 of the negotiated features: VIRTIO_F_ACCESS_PLATFORM, i.e. the
# device goes through the DMA API (and so through our ops).
vfeat=$(cat /sys/bus/virtio/devices/virtio*/features | head -1)
t_eq "virtio-blk negotiated VIRTIO_F_ACCESS_PLATFORM" 1 \
	"$(echo "$vfeat" | cut -c34)"

t_insmod xpv_edu rounds=4
res=/sys/kernel/debug/xpv_edu/results
t_eq "edu: 45 DMA checks, all passed" "# 45 checks, 0 failed" "$(tail -1 $res)"
grep '^not ok' $res
# 4 rounds x (two 2 KiB bounced transfers + two 1 KiB sg segments).
t_eq "edu: exactly the high-page transfers were bounced" 24576 \
	"$(premap bounced_bytes)"
t_eq "bounce pool: no slot left in use" 0 "$(premap bounce_used_slots)"
t_eq "stub: no hypercall during the I/O" "$hc0" "$(counter hypercalls)"
t_eq "stub: no IOTLB flush during the I/O" "$fl0" "$(counter flushes)"
t_eq "every bound device holds the module" "$(t_pci_bound | wc -l)" \
	"$(premap devices)"

t_errno "unload refused while devices are bound with our ops" EAGAIN \
	xpv_mod unload xen_pviommu
t_rmmod xpv_edu
t_pci_unbind_all >/dev/null
t_eq "no device holds the module" 0 "$(premap devices)"
t_rmmod xen_pviommu
audit=$(cat /sys/kernel/debug/xen_hvstub/audit)
t_eq "stub audit: clean" "verdict: clean" "$(echo "$audit" | grep '^verdict:')"
t_eq "stub audit: back at baseline" "at_baseline: yes" \
	"$(echo "$audit" | grep '^at_baseline:')"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_pci_rebind "$saved"
exit 0
