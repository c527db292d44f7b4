# SPDX-License-Identifier: GPL-2.0-only
# core_nostub: without Xen and without the stub, xen_pvcore loads (it is
# only the backend table) and both drivers refuse with ENODEV and one
# clear line; nothing of ours but pvcore stays loaded.
# kernels: all
# needs:
# timeout: 60

# xen_pmem is an nd driver: libnvdimm first, as modprobe would.
t_modprobe libnvdimm
t_insmod xen_pvcore || exit 1

for drv in xen_pviommu xen_pmem; do
	t_errno "$drv refuses without Xen or stub" ENODEV \
		xpv_mod load /xpv/modules/$drv.ko
	t_dmesg_has "$drv says why" \
		"xen:$drv: not a Xen PV domain and xen_hvstub is not loaded"
	t_eq "$drv printed exactly one line" 1 \
		"$(t_dmesg | grep -c "xen:$drv:")"
done

t_eq "only xen_pvcore of ours is loaded" xen_pvcore "$(t_our_modules)"
t_check "no xen_pviommu debugfs directory" \
	test ! -e /sys/kernel/debug/xen_pviommu
t_check "no xen_pmem debugfs directory" test ! -e /sys/kernel/debug/xen_pmem

t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
t_dmesg_lacks "no error lines from our modules" \
	"xen:xen_[a-z]+: .*(error|fail)"
exit 0
