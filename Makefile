# SPDX-License-Identifier: GPL-2.0-only
#
# Front door.  Object lists live in Kbuild.
#
#   make                 build the modules against KDIR
#   make KDIR=/path      ... against another kernel build tree
#   make install         modules to /lib/modules/$KVER/extra, then depmod
#   make check           sparse (C=2) + W=1 on both kernels, checkpatch
#                        --strict, kernel-doc
#   make unit            userspace unit tier (ASan + UBSan)
#   make test            the whole test suite (scripts/test.sh)
#   make demo            the main job: boot a guest, show what happens
#   make clean
#
# KDIR defaults to the running kernel's build tree when it exists, else the
# newest installed Debian linux-headers-*-amd64 tree.

KVER_RUNNING := $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER_RUNNING)/build) \
	  $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
ifeq ($(strip $(KDIR)),)
$(error no kernel build tree: install linux-headers-amd64 or pass KDIR=)
endif

PWD := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
W ?= 1

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) W=$(W) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
	$(MAKE) -C tests/unit clean

# The /lib/modules name of KDIR's kernel.  Debian's 6.1 headers report the
# upstream version (6.1.NNN) as kernelrelease, so derive it from the path.
KVER = $(or $(patsubst /lib/modules/%/build,%,$(filter /lib/modules/%/build,$(KDIR))), \
	    $(patsubst /usr/src/linux-headers-%,%,$(filter /usr/src/linux-headers-%,$(KDIR))), \
	    $(shell cat $(KDIR)/include/config/kernel.release))

# Modules are installed unsigned (Debian's headers carry no signing key);
# with Secure Boot, sign them through DKMS and MOK (see README).
install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) INSTALL_MOD_DIR=extra \
		KERNELRELEASE=$(KVER) CONFIG_MODULE_SIG_ALL= modules_install
	depmod -a $(KVER)

check:
	scripts/check.sh

unit:
	$(MAKE) -C tests/unit run

test:
	scripts/test.sh

demo:
	scripts/demo.sh

.PHONY: all modules clean install check unit test demo
