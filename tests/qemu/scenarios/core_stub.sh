# SPDX-License-Identifier: GPL-2.0-only
# core_stub: with the stub hypervisor, both drivers load and report what
# the stub offers; debugfs caps mirror the stub's module parameters; the
# stub stays pinned while drivers hold it; everything unloads cleanly.
# Done twice: default stub parameters, then max_order=0 map_cap=0.
# kernels: all
# needs:
# timeout: 90

# The stub's parameters as the drivers should decode them: bool params
# read back as Y/N.
stub_param() {
	v=$(cat /sys/module/xen_hvstub/parameters/$1)
	case $v in
	Y) echo 1 ;;
	N) echo 0 ;;
	*) echo "$v" ;;
	esac
}

# Like XenServer's Xen (DESIGN.md 2b), a stub without map_cap reports
# flags 0: no map_all_gfns and order 0 either.
expected_caps() {
	local cap=$(stub_param map_cap)
	printf 'backend\tstub\n'
	printf 'map_cap\t%s\n' "$cap"
	if [ "$cap" = 1 ]; then
		printf 'map_all_gfns\t%s\n' "$(stub_param map_all_gfns)"
		printf 'max_order\t%s\n' "$(stub_param max_order)"
	else
		printf 'map_all_gfns\t0\nmax_order\t0\n'
	fi
	printf 'foreign_offset\t0x%x\n' "$(stub_param foreign_offset)"
}

# round LABEL MAP_CAP MAX_ORDER [STUB_PARAMS...]
round() {
	local label=$1 cap=$2 order=$3 caps
	shift 3

	t_modprobe libnvdimm
	t_insmod xen_pvcore || return 1
	t_insmod xen_hvstub "$@" || return 1
	# attach=0: only the backend and capabilities are under test here
	# (pviommu_* scenarios cover the 1:1 map and the DMA ops).
	t_insmod xen_pviommu attach=0 || return 1
	t_insmod xen_pmem || return 1

	t_dmesg_has "$label: pviommu reports the stub's caps" \
		"xen:xen_pviommu: stub backend: map_cap=$cap map_all_gfns=$cap max_order=$order "
	t_eq "$label: pviommu printed exactly one line" 1 \
		"$(t_dmesg | grep -c 'xen:xen_pviommu:')"
	t_dmesg_has "$label: pmem reports the stub's pmem op" \
		"xen:xen_pmem: stub backend: pmem report op 0x[0-9a-f]+ (available|unavailable)"
	t_eq "$label: pmem printed exactly one line" 1 \
		"$(t_dmesg | grep -c 'xen:xen_pmem:')"

	caps=$(cat /sys/kernel/debug/xen_pviommu/caps)
	t_eq "$label: debugfs caps equal the stub's parameters" \
		"$(expected_caps)" "$caps"
	t_eq "$label: stub max_order parameter" "$order" \
		"$(stub_param max_order)"
	t_eq "$label: stub map_cap parameter" "$cap" "$(stub_param map_cap)"

	t_errno "$label: stub cannot be removed while drivers hold it" EAGAIN \
		xpv_mod unload xen_hvstub
	t_check "$label: stub still loaded" grep -q '^xen_hvstub ' /proc/modules

	t_rmmod xen_pmem
	t_rmmod xen_pviommu
	t_rmmod xen_hvstub
	t_rmmod xen_pvcore
	t_eq "$label: nothing of ours is loaded" "" "$(t_our_modules)"
	t_eq "$label: no debugfs directory of ours is left" "" \
		"$(ls /sys/kernel/debug | grep '^xen_')"
}

round default 1 9
# The next round's kernel lines must not be confused with this one's.
t_dmesg_mark round 2
round "max_order=0 map_cap=0" 0 0 max_order=0 map_cap=0
exit 0
