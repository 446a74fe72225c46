# SPDX-License-Identifier: GPL-2.0
#
# ivshmem2-linux: IVSHMEM v2 drivers for Linux and their test bed.
#
#   make [KDIR=...]          build the modules against KDIR (default: the
#                            running kernel)
#   make modules_install     install them (INSTALL_MOD_PATH honoured)
#   make tools               build the userspace library and CLI
#   make check               set up the host, build everything and run all
#                            tests in QEMU guests (see README.md)
#   make check-debug         the guest tests on a debug kernel (KASAN,
#                            lockdep, kmemleak, ...; built once per machine)
#   make demo                boot guests on one link and show the drivers
#   make fuzz [FUZZ_TIME=s]  fuzz the virtio back-ends, FUZZ_TIME seconds
#                            per harness (default 60)
#   make bench [QUICK=1]     measure the drivers against the alternatives
#                            (report in build/bench-report/); bench-quick
#                            is the short mode
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
TB := tools/testing/ivshmem

all: modules

modules modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

tools:
	mkdir -p build/tools
	$(MAKE) -C tools/ivshmem OUT=$(CURDIR)/build/tools

check:
	$(TB)/check

check-debug:
	$(TB)/check-debug

demo:
	$(TB)/demo

FUZZ_TIME ?= 60
fuzz:
	$(TB)/setup-host.sh
	FUZZ_TIME=$(FUZZ_TIME) $(TB)/fuzz/run fuzz

bench:
	$(TB)/bench/bench $(if $(QUICK),-q)

bench-quick:
	$(TB)/bench/bench -q

clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

.PHONY: all modules modules_install tools check check-debug demo fuzz bench bench-quick clean
