# portscope — build, test, deps.
#
#   make            build build/portscope (installs missing build deps first)
#   make test       build and run every test (cmocka unit + BPF test_run + e2e)
#   make deps       install build, demo and test dependencies from Debian's archive
#   make demo       the lab in network namespaces (root)
#   make bench      benchmarks, side by side (root): tests/bench/results.md
#   make soak       fuzzers, every-syscall fault sweep, long differential (root)
#   make asan       every suite with ASan + UBSan
#   make install    PREFIX=/usr/local DESTDIR=: binary, man page, bash completion
#   make vmtest     the suites on Debian's 6.1 and 6.12 kernels in qemu (root)
#   make vmlinux    regenerate vmlinux/vmlinux.h from the running kernel's BTF
#   make V=1        print full commands

BUILD    := build
.DEFAULT_GOAL := all
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CFLAGS   ?= -O2 -g
# the project's own flags, kept when CFLAGS is given on the command line
PS_CFLAGS := -Wall -Wextra -Wshadow -Wno-missing-field-initializers -std=gnu11 \
	    -Iinclude -I$(BUILD) -Iuser -MMD -MP
ALL_CFLAGS = $(CFLAGS) $(PS_CFLAGS)
LDLIBS   := -lbpf -lelf -lz -lpcap -lmnl -lmicrohttpd -lncursesw
BPF_CFLAGS = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra \
	      $(BPF_CPU) -Wno-unused-parameter -Ivmlinux -Iinclude -Ibpf -MMD -MP
BPF_CPU  := -mcpu=v3
# The observer and steering load with CAP_BPF + CAP_NET_ADMIN on Debian 12's
# 6.1 too, whose verifier refuses (without CAP_PERFMON) a store narrower
# than 8 bytes into a stack slot holding a spilled value: no 32-bit
# subregisters (their spills are 4-byte stores); the code writes keys and
# addresses whole (bpf/defs.bpf.h, put_words).
$(BUILD)/observe.bpf.o $(BUILD)/steer.bpf.o: BPF_CPU := -mcpu=v2

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all docs deps deps-list deps-check deps-build deps-demo deps-test deps-vm vmtest demo install uninstall test bench asan soak fuzzers vmlinux clean

# ---- dependencies ----------------------------------------------------------
# Debian packages, in three sets: `make` and `make install` need only the
# build set; `make demo` adds the demo set, `make test` the test set (e2e
# servers and tools: nginx and prometheus as programs the tests start in
# their own namespaces). Each target installs what is missing of its sets;
# `make deps` installs all three. "a|b" is satisfied by either package (the
# first is installed when neither is). "installed" is the status that
# counts: a removed package whose config files remain still answers
# `dpkg -s`.
DEPS_BUILD := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libpcap-dev libmnl-dev \
	      libmicrohttpd-dev libncurses-dev make gcc pkg-config
DEPS_DEMO  := iproute2 kmod
DEPS_TEST  := libcmocka-dev tshark tcpdump iproute2 curl socat python3 \
	      nginx-light|nginx-core|nginx-full|nginx-extras util-linux prometheus tmux \
	      nftables wrk strace valgrind libcap2-bin libclang-rt-dev procps man-db kmod \
	      iputils-ping python3-yaml
DEPS       := $(DEPS_BUILD) $(DEPS_DEMO) $(DEPS_TEST)
# make vmtest: qemu, and debootstrap to build the guests' Debian 12 root
DEPS_VM    := qemu-system-x86 debootstrap e2fsprogs
deps_missing = $(shell dpkg-query -W -f='$${Package} $${db:Status-Status}\n' $(subst |, ,$(1)) \
		 2>/dev/null | awk '$$2 == "installed" { ok[$$1] = 1 } END { \
		 n = split("$(strip $(1))", w, " "); for (i = 1; i <= n; i++) { \
		 m = split(w[i], alt, "|"); have = 0; for (j = 1; j <= m; j++) if (ok[alt[j]]) have = 1; \
		 if (!have) print alt[1] } }')

# Install what is missing of $(1). Packaged services are not started by the
# install (policy-rc.d, only when the host has none of its own: removed
# afterwards): the tests start their own servers. Nothing is stopped,
# disabled or killed.
define deps_install
	@missing="$(call deps_missing,$(1))"; \
	if [ -z "$$missing" ]; then echo "deps: all present"; exit 0; fi; \
	echo "deps: installing $$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	rcd=/usr/sbin/policy-rc.d; \
	if [ ! -e $$rcd ]; then \
		trap 'rm -f $$rcd' EXIT INT TERM; printf '#!/bin/sh\nexit 101\n' >$$rcd; chmod 755 $$rcd; \
	fi; \
	apt-get install -y -q --no-install-recommends $$missing || \
	{ apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; }
endef

deps:
	$(call deps_install,$(DEPS))

# The packages each set names (first alternatives), for tests/vm/mkroot.sh.
deps-list:
	@echo $(foreach d,$(DEPS),$(firstword $(subst |, ,$(d))))

# Order-only prerequisites: checked on each run (one dpkg-query), installing
# only when something is missing. Every compile has deps-check (build set);
# demo and test have their own sets.
deps-check:
	$(Q)[ -z "$(call deps_missing,$(DEPS_BUILD))" ] || $(MAKE) --no-print-directory deps-build
	$(Q)mkdir -p $(BUILD)
deps-build:
	$(call deps_install,$(DEPS_BUILD))
deps-demo:
	$(call deps_install,$(DEPS_BUILD) $(DEPS_DEMO))
deps-test:
	$(call deps_install,$(DEPS_BUILD) $(DEPS_TEST))
deps-vm:
	$(call deps_install,$(DEPS_BUILD) $(DEPS_VM))

# ---- build -----------------------------------------------------------------
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.bpf.o)
SKELS     := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.skel.h)
USER_SRCS := $(wildcard user/*/*.c)
USER_OBJS := $(USER_SRCS:user/%.c=$(BUILD)/user/%.o)
LIB_OBJS  := $(filter-out $(BUILD)/user/cli/main.o,$(USER_OBJS))

# the man page and the bash completion, generated from the option tables
# (defined before any rule names them: prerequisites expand as rules are read)
DOCS := $(BUILD)/portscope.8 $(BUILD)/portscope.bash-completion

all: $(BUILD)/portscope $(DOCS)

$(BUILD)/%.bpf.o: bpf/%.bpf.c vmlinux/vmlinux.h | deps-check
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(BUILD)/user/%.o: user/%.c $(SKELS) | deps-check
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/portscope: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

vmlinux: | deps-check
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# ---- tests -----------------------------------------------------------------
TEST_CFLAGS = $(ALL_CFLAGS) -Itests/lib -Wno-unused-parameter
TLIB_OBJS   := $(patsubst tests/lib/%.c,$(BUILD)/tests/lib/%.o,$(wildcard tests/lib/*.c))
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
BPFT_BINS   := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(wildcard tests/bpf/test_*.c))

$(BUILD)/tests/lib/%.o: tests/lib/%.c $(SKELS) | deps-check
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/unit/%.c $(SKELS) | deps-check deps-test
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/bpf/%.c $(SKELS) | deps-check deps-test
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TLIB_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# Test programs that stand in for servers and clients (plain C, no libbpf).
TOOL_BINS   := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
$(BUILD)/tests/tools/%: tests/tools/%.c | deps-check
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -Wall -Wextra -std=gnu11 -Iinclude $< $(LDLIBS) -o $@

# Fuzz targets (tests/fuzz/fuzz_*.c). make test runs each over its seeds and
# regression inputs with a plain driver; make soak runs them under libFuzzer.
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_RUNNERS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/%)
$(BUILD)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/driver.c $(LIB_OBJS) | deps-check
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $< tests/fuzz/driver.c $(LIB_OBJS) $(LDLIBS) -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJS) | deps-check
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -fsanitize=fuzzer $< $(LIB_OBJS) $(LDLIBS) -o $@

fuzzers: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

test: $(BUILD)/portscope $(DOCS) $(UNIT_BINS) $(BPFT_BINS) $(TOOL_BINS) $(FUZZ_RUNNERS) | deps-test
	@PS=$(abspath $(BUILD))/portscope bash tests/run-all.sh $(UNIT_BINS) $(BPFT_BINS)

# The kernel matrix (root): Debian's cloud kernels — bookworm's 6.1 LTS,
# trixie's 6.12 LTS — booted in qemu (KVM when it works, else TCG) on a
# Debian 12 root built from Debian's archive and cached under build/vm/
# (tests/vm/). Runs a subset of the suites in each and reports per kernel;
# VM_KERNELS, VM_TESTS (all: make test), VM_ROOT=minbase (the README's
# sudo make test on a debootstrap minbase root): see tests/vm/vmtest.sh.
# The host's own kernel is make test's.
vmtest: $(BUILD)/portscope $(DOCS) $(UNIT_BINS) $(BPFT_BINS) $(TOOL_BINS) $(FUZZ_RUNNERS) | deps-vm
	@bash tests/vm/vmtest.sh

# Long runs, bounded (~10 min): the fuzzers under libFuzzer with ASan and
# UBSan (build-fuzz/), the loader-fault sweep at every system call, a longer
# differential parse. FUZZ_SECS per fuzzer (default 60).
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
soak: $(BUILD)/portscope $(BPFT_BINS) $(TOOL_BINS)
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(CLANG) CFLAGS="$(FUZZ_CFLAGS)" fuzzers
	@PS=$(abspath $(BUILD))/portscope bash tests/soak.sh $(FUZZ_NAMES)

PREFIX  ?= /usr/local
SBINDIR := $(DESTDIR)$(PREFIX)/sbin
MANDIR  := $(DESTDIR)$(PREFIX)/share/man/man8
BASHDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions

# The man page's SYNOPSIS and COMMANDS, and the bash completion, come from
# the option tables (portscope docs): they list what the parser takes.
docs: $(DOCS)

$(BUILD)/portscope.8: docs/portscope.8.in $(BUILD)/portscope
	$(call msg,GEN,$@)
	$(Q)$(BUILD)/portscope docs man-synopsis > $@.syn
	$(Q)$(BUILD)/portscope docs man-commands > $@.cmd
	$(Q)sed -e '/^\.\\" @SYNOPSIS@$$/{r $@.syn' -e 'd}' \
		-e '/^\.\\" @COMMANDS@$$/{r $@.cmd' -e 'd}' $< > $@
	$(Q)rm -f $@.syn $@.cmd

$(BUILD)/portscope.bash-completion: $(BUILD)/portscope
	$(call msg,GEN,$@)
	$(Q)$(BUILD)/portscope docs bash-completion > $@

install: $(BUILD)/portscope $(DOCS)
	install -D -m 0755 $(BUILD)/portscope $(SBINDIR)/portscope
	install -D -m 0644 $(BUILD)/portscope.8 $(MANDIR)/portscope.8
	install -D -m 0644 $(BUILD)/portscope.bash-completion $(BASHDIR)/portscope

uninstall:
	rm -f $(SBINDIR)/portscope $(MANDIR)/portscope.8 $(BASHDIR)/portscope

# Benchmarks: ratios measured side by side in one run (never timed
# assertions in make test). Results: tests/bench/results.md and .json.
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/*.c))

$(BUILD)/tests/bench/%: tests/bench/%.c $(TLIB_OBJS) $(LIB_OBJS) | deps-check
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $< $(TLIB_OBJS) $(LIB_OBJS) $(LDLIBS) -o $@

bench: $(BUILD)/portscope $(BENCH_BINS) $(TOOL_BINS)
	@bash tests/bench/run.sh

# The lab in network namespaces (root): builds, installs deps when missing.
demo: $(BUILD)/portscope | deps-demo
	$(BUILD)/portscope demo

# Every suite again with AddressSanitizer and UBSan (its own build folder).
asan:
	$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		build-asan/portscope
	$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		test

clean:
	rm -rf $(BUILD) build-asan build-fuzz

# (build/vm: the test VM's roots, tests/vm/)
-include $(shell find $(BUILD) -path $(BUILD)/vm -prune -o -name '*.d' -type f -print 2>/dev/null)
