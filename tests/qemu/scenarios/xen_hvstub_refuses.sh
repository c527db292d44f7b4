# SPDX-License-Identifier: GPL-2.0-only
# xen_hvstub_refuses: the stub hypervisor refuses to load in a real Xen
# domain (EPERM, one line) and loads only when forced (force=1, for the
# model tests); both unload cleanly.
# hypervisor: xen
# kernels: all
# timeout: 60

t_insmod xen_pvcore || exit 1
t_errno "xen_hvstub refuses in a real Xen domain with EPERM" EPERM \
	xpv_mod load /xpv/modules/xen_hvstub.ko
t_eq "xen_hvstub printed exactly one line" 1 \
	"$(t_dmesg | grep -c 'xen:xen_hvstub:')"
t_dmesg_has "the line says why" \
	"xen:xen_hvstub: refusing to load in a real Xen domain"
t_eq "only xen_pvcore of ours is loaded" xen_pvcore "$(t_our_modules)"

t_dmesg_mark forced
t_insmod xen_hvstub force=1 || exit 1
t_eq "force parameter reads back Y" Y \
	"$(cat /sys/module/xen_hvstub/parameters/force)"
t_dmesg_has "the forced stub says it is ready" \
	"xen:xen_hvstub: stub hypervisor ready"
t_dmesg_lacks "no refusal when forced" "xen:xen_hvstub: refusing"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
