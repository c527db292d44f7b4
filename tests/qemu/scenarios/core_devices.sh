# SPDX-License-Identifier: GPL-2.0-only
# core_devices: the harness's devices and stock modules work on the stock
# kernel alone (no module of ours): NVMe and virtio-blk (iommu_platform)
# move data both ways, edu and e1000e bind, the NVDIMM shows up in ndctl.
# Later scenarios rely on all of this.
# kernels: all
# needs: nvme virtio-blk edu nvdimm e1000e
# timeout: 120

t_modprobe nvme
t_modprobe virtio_pci
t_modprobe virtio_blk
t_modprobe e1000e
t_modprobe nfit
t_modprobe nd_pmem

# Probing is asynchronous for some drivers: wait up to 10 s for the nodes.
i=0
while [ $i -lt 20 ] && ! { [ -b /dev/nvme0n1 ] && [ -b /dev/vda ] &&
	[ -e /sys/bus/nd/devices/nmem0 ]; }; do
	sleep 0.5
	i=$((i + 1))
done

t_eq "nvme0n1 is 64 MiB" 131072 "$(cat /sys/block/nvme0n1/size)"
t_eq "vda is 64 MiB" 131072 "$(cat /sys/block/vda/size)"
t_roundtrip nvme /dev/nvme0n1 256
t_roundtrip virtio-blk /dev/vda 256
t_check "virtio-blk negotiated VIRTIO_F_ACCESS_PLATFORM (feature bit 33)" \
	sh -c 'cut -c34 /sys/block/vda/device/features | grep -qx 1'

edu=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device |
	while read -r f; do
		d=${f%/device}
		grep -qx 0x1234 "$d/vendor" && echo "${d##*/}"
	done)
t_check "edu device present (1234:11e8)" test -n "$edu"
t_check "e1000e bound to its device" \
	sh -c 'ls /sys/bus/pci/drivers/e1000e | grep -q "^0000:"'

t_check "ndctl runs (shared libraries present)" ndctl --version
t_check "ndctl lists the NVDIMM" sh -c 'ndctl list -D | grep -q "\"dev\":\"nmem0\""'
# QEMU keeps the 128 KiB label area at the end of the 1 GiB backend; the
# region is what is left, aligned down to the backend's 2 MiB: 1022 MiB.
t_eq "NVDIMM region is 1 GiB less the 2 MiB-aligned label area" 1071644672 \
	"$(cat /sys/bus/nd/devices/region0/size)"
if command -v daxctl >/dev/null; then
	t_check "daxctl runs" daxctl --version
else
	t_skip "daxctl runs" "daxctl not installed on the host"
fi
exit 0
