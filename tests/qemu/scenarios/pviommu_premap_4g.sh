# SPDX-License-Identifier: GPL-2.0-only
# pviommu_premap_4g: pviommu_premap in a 4 GiB guest, whose RAM lies below
# the PCI hole and above 4 GiB: the minimum is met for orders 0, 9 and 18
# and two batch sizes there too.
# kernels: all
# debug: no
# memory: 4G
# boot: own
# timeout: 300

. /xpv/scenarios/pviommu_premap.sh
