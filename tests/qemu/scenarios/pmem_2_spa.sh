# SPDX-License-Identifier: GPL-2.0-only
# pmem_2_spa: "ndctl-xen spa" against what the kernel says.  The fsdax
# device /dev/pmem0.1: its range is its pfn device's resource and size,
# ends where /proc/iomem's namespace0.1 ends and lies inside the data area
# xen_pmem reported.  A file on the DAX-mounted filesystem: every page's
# SPA as /proc/self/pagemap shows it through a DAX mapping (pmem_t
# pagemap) equals the ranges the tool derives from FIEMAP.  Refused, with
# the reason: a file with holes, a file on a non-DAX mount, a file not on
# pmem, a non-pmem device.  Uses pmem_1_main's media.
# kernels: all
# needs: nvdimm
# boot: pmem
# timeout: 240

NSD=/sys/bus/nd/devices
X=$NSD/namespace0.0/xen_pmem
MNT=/mnt/pmem

jget() {
	sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" |
		head -n 1
}

# ranges FILE: the tool's JSON ranges as "OFFSET 0xSPA SIZE" lines.
ranges() {
	awk -F: '/"offset"/ { o = $2 } /"spa"/ { s = $2 }
		/"size"/ && o != "" { z = $2; gsub(/[",]/, "", o);
			gsub(/[", ]/, "", s); gsub(/[",]/, "", z);
			print o, s, z; o = "" }' "$1"
}

t_modprobe libnvdimm || exit 1
t_modprobe nfit || exit 1
t_modprobe nd_pmem || exit 1
t_modprobe ext4
t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_insmod xen_pmem || exit 1
t_eq "reservation claimed and reported" reported "$(cat $X/state)"
t_wait 100 test -b /dev/pmem0.1

# The device.
ndctl-xen spa /dev/pmem0.1 >/tmp/spa-dev.json
t_eq "spa /dev/pmem0.1: exit 0" 0 $? || exit 1
cat /tmp/spa-dev.json
res=$(($(cat /sys/block/pmem0.1/device/resource)))
size=$(cat /sys/block/pmem0.1/device/size)
t_eq "device: SPA and size = its pfn device's resource and size" \
	"$(printf '%#x' "$res") $size" \
	"$(jget /tmp/spa-dev.json spa) $(jget /tmp/spa-dev.json size)"
t_eq "device: held by the fsdax pfn device" \
	"$(basename "$(readlink -f /sys/block/pmem0.1/device)")" \
	"$(jget /tmp/spa-dev.json holder)"
ns=$(grep ' : namespace0.1$' /proc/iomem | sed 's/^ *//; s/ .*//')
ns_start=$((0x${ns%-*}))
ns_end=$((0x${ns#*-} + 1))
t_check "device: inside /proc/iomem's namespace0.1 ($ns)" \
	test "$res" -ge "$ns_start" -a $((res + size)) -le "$ns_end"
t_eq "device: ends where namespace0.1 ends" "$ns_end" $((res + size))
ds=$(cat $X/data_spa)
dz=$(cat $X/data_size)
t_check "device: inside the data area reported to Xen" \
	test "$res" -ge $((ds)) -a $((res + size)) -le $((ds + dz))

# A file on the DAX filesystem.
mkdir -p $MNT
t_check "mount -o dax" mount -t ext4 -o dax /dev/pmem0.1 $MNT || exit 1
t_eq "pmem_1_main's data intact" "$(md5sum </tmp/pmem-data.bin)" \
	"$(md5sum <$MNT/data.bin)"
dd if=/dev/urandom of=$MNT/guest.img bs=4096 count=1024 conv=fsync 2>/dev/null
# Fragment it: a second file between two appends.
dd if=/dev/urandom of=$MNT/spacer bs=4096 count=16 conv=fsync 2>/dev/null
dd if=/dev/urandom bs=4096 count=256 2>/dev/null >>$MNT/guest.img
sync
ndctl-xen spa $MNT/guest.img >/tmp/spa-file.json
t_eq "spa FILE: exit 0" 0 $? || exit 1
cat /tmp/spa-file.json
ranges /tmp/spa-file.json >/tmp/spa-tool
pmem_t pagemap $MNT/guest.img >/tmp/spa-kernel
t_check "pagemap of a DAX mapping gives every page's frame" test -s /tmp/spa-kernel
cat /tmp/spa-tool /tmp/spa-kernel
t_eq "file: the tool's ranges = the kernel's page frames, page for page" \
	"$(cat /tmp/spa-kernel)" "$(cat /tmp/spa-tool)"
t_check "file: more than one range (the spacer split it)" \
	test "$(wc -l </tmp/spa-tool)" -ge 2
t_eq "file: ranges cover its 5 MiB" 5242880 \
	"$(awk '{ s += $3 } END { print s }' /tmp/spa-tool)"
outside=0
while read -r o s z; do
	[ $((s)) -ge "$res" ] && [ $((s + z)) -le $((res + size)) ] ||
		outside=$((outside + 1))
done </tmp/spa-tool
t_eq "file: every range inside the device" 0 "$outside"
t_eq "file: its device start is the device's SPA" "$(printf '%#x' "$res")" \
	"$(jget /tmp/spa-file.json dev_spa)"

# Refusals.
truncate -s 1M $MNT/sparse
out=$(ndctl-xen spa $MNT/sparse 2>&1)
t_eq "sparse file: refused" 1 $?
t_check "sparse file: the error names the file and the hole" \
	sh -c "echo '$out' | grep -q '$MNT/sparse: hole at offset 0'"
out=$(ndctl-xen spa /tmp/pmem-data.bin 2>&1)
t_eq "file on tmpfs: refused" 1 $?
t_check "file on tmpfs: not on pmem" \
	sh -c "echo '$out' | grep -q 'its filesystem is not on pmem'"
t_check "umount" umount $MNT
t_check "mount without dax" mount -t ext4 /dev/pmem0.1 $MNT
out=$(ndctl-xen spa $MNT/guest.img 2>&1)
t_eq "non-DAX mount: refused" 1 $?
t_check "non-DAX mount: says so" \
	sh -c "echo '$out' | grep -q 'guest.img: not a DAX file'"
rm -f $MNT/guest.img $MNT/spacer $MNT/sparse
t_check "umount" umount $MNT
out=$(ndctl-xen spa /dev/null 2>&1)
t_eq "character device: refused" 1 $?

t_check "forget (stub backend)" sh -c "echo 1 >/sys/kernel/debug/xen_pmem/forget"
t_rmmod xen_pmem
t_rmmod xen_hvstub
t_rmmod xen_pvcore
exit 0
