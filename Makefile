# rdmanet - CNI plugin for RDMA secondary networks.
# make [WERROR=1] [SANITIZER=address,undefined]; make check; make bench; make install

PREFIX   ?= /opt/cni
BINDIR   ?= $(PREFIX)/bin
DESTDIR  ?=
STRIP    ?= strip

CC       ?= cc
PKG_CONFIG ?= pkg-config
# A build folder remembers the options it was made with ($(BUILD)/build.mk), so that a later
# `make BUILD=build-san install` (tests/vm/run.sh, test_install) builds with the same ones.
ifneq ($(BUILD),)
ifeq ($(origin SANITIZER),undefined)
-include $(BUILD)/build.mk
endif
endif
SANITIZER ?=

ifneq ($(SANITIZER),)
BUILD    ?= build-san
else
BUILD    ?= build
endif

# Libraries Debian ships no static archive of (libcurl as rdmanet-ipam needs it, cJSON), built
# from Debian's source packages pinned in third_party/sources.lock (scripts/third-party.sh), once
# for every build directory. Everything else is Debian's own static archive, so both binaries need
# nothing on a node but glibc (README: host compatibility).
DEPS     ?= build-deps
DEPS_STAMP := $(DEPS)/.built
NL_CFLAGS   := -I$(DEPS)/include $(shell $(PKG_CONFIG) --cflags libnl-3.0 yaml-0.1)
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
            -Wno-missing-field-initializers
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) $(HARDEN) -Iinclude $(NL_CFLAGS) -MMD -MP
LDFLAGS  += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
ifeq ($(WERROR),1)
CFLAGS   += -Werror
endif
# The test build: the fault hooks of rdmanet/testhook.h (RDMANET_TEST_FAIL_STEP, ..._KILL_STEP,
# RDMANET_IPAM_LOCK_DIR) are compiled in only here. The sanitizer build is the test build; the
# plain build is the release (what `make install` ships carries none of them).
TESTING  ?= $(if $(SANITIZER),1,)
ifeq ($(TESTING),1)
CFLAGS   += -DRDMANET_TESTING
endif
ifneq ($(SANITIZER),)
CFLAGS   += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZER)
endif

CJSON_LIBS  := $(DEPS)/lib/libcjson.a
PLUGIN_LIBS := -Wl,-Bstatic -lnl-3 -Wl,-Bdynamic $(CJSON_LIBS) -lpthread

# A folder of src/ per part. Both binaries: base (errors, logging, sysfs, small shared helpers),
# cni (protocol, config, the entry, IPAM delegation); rdmanet alone: plugin (the CNI commands),
# net (namespaces, rtnetlink, links per kind, addresses, rules), rdma, doctor.
LIB_PARTS := base cni plugin net rdma doctor
LIB_SRCS := $(sort $(foreach p,$(LIB_PARTS),$(wildcard src/$(p)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# rdmanet-ipam alone: ipam (ranges, config, store, allocation, commands, reconcile), k8s
# (credentials, the API client on libcurl) and metrics (the reconciler's /metrics). Never linked
# into rdmanet, whose start-up must not pay libcurl's loader time.
IPAM_PARTS := ipam k8s metrics
IPAM_SRCS := $(sort $(foreach p,$(IPAM_PARTS),$(wildcard src/$(p)/*.c)))
IPAM_OBJS := $(IPAM_SRCS:%.c=$(BUILD)/%.o)
# libyaml (yamltree.c), libcurl with OpenSSL (libssl-dev's archives) and zlib, libmicrohttpd
# (metrics_http.c), all static; in rdmanet-ipam only: rdmanet never links them.
IPAM_LIBS := -Wl,-Bstatic $(shell $(PKG_CONFIG) --libs yaml-0.1) -Wl,-Bdynamic \
             $(DEPS)/lib/libmicrohttpd.a \
             $(DEPS)/lib/libcurl.a -Wl,-Bstatic -lssl -lcrypto -lz -Wl,-Bdynamic -lpthread
# What rdmanet_ipam_build_info reports: VERSION (the image tag of deploy/) and the git revision
# built (make VERSION=... REVISION=... where there is no .git, as in deploy/Dockerfile).
VERSION  ?= 0.1
REVISION ?= $(or $(shell git rev-parse --short=12 HEAD 2>/dev/null),unknown)
$(BUILD)/src/metrics/metrics.o: CFLAGS += -DRDMANET_VERSION='"$(VERSION)"' -DRDMANET_REVISION='"$(REVISION)"'
$(BUILD)/src/metrics/metrics.o: $(BUILD)/version.stamp
# rewritten only when VERSION or REVISION changed, so metrics.o is rebuilt then and only then
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION) $(REVISION)' | cmp -s - $@ || echo '$(VERSION) $(REVISION)' >$@
FORCE:
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/rdmanet $(BUILD)/rdmanet-ipam

$(DEPS_STAMP): third_party/sources.lock scripts/third-party.sh
	scripts/third-party.sh build $(DEPS)

$(BUILD)/%.o: %.c $(BUILD)/build.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# rewritten only when the options change, so that objects are rebuilt then and only then
$(BUILD)/build.mk: FORCE
	@mkdir -p $(dir $@)
	@printf 'SANITIZER := %s\nTESTING := %s\n' '$(SANITIZER)' '$(TESTING)' | cmp -s - $@ || \
		printf 'SANITIZER := %s\nTESTING := %s\n' '$(SANITIZER)' '$(TESTING)' >$@

$(BUILD)/librdmanet.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/librdmanet-ipam.a: $(IPAM_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/rdmanet-ipam: $(BUILD)/cmd/rdmanet-ipam/main.o $(BUILD)/librdmanet-ipam.a $(BUILD)/librdmanet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CJSON_LIBS) $(IPAM_LIBS)

$(BUILD)/rdmanet: $(BUILD)/cmd/rdmanet/main.o $(BUILD)/librdmanet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PLUGIN_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/librdmanet-ipam.a $(BUILD)/librdmanet.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/librdmanet-ipam.a \
		$(BUILD)/librdmanet.a $(PLUGIN_LIBS) $(IPAM_LIBS)

tests: $(UNIT_BINS)

# The Kubernetes client's driver for tests/integ/test_k8s_client.sh.
$(BUILD)/tests/k8s-probe: tests/k8s/k8s_probe.c $(BUILD)/librdmanet-ipam.a $(BUILD)/librdmanet.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/librdmanet-ipam.a $(BUILD)/librdmanet.a \
		$(PLUGIN_LIBS) $(IPAM_LIBS)
tests: $(BUILD)/tests/k8s-probe
check: $(BUILD)/tests/k8s-probe

unit: $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

check: all $(UNIT_BINS)
	BUILD=$(BUILD) tests/run-all.sh

bench: all
	BUILD=$(BUILD) tests/bench/run.sh
	BUILD=$(BUILD) tests/bench/ipam.sh
	BUILD=$(BUILD) tests/bench/install.sh

bench-ipam: all
	BUILD=$(BUILD) tests/bench/ipam.sh

# The binaries, stripped (STRIP=: keeps the symbols; the build directory keeps them either way),
# each through a temporary name and a rename, so that a running kubelet never executes a
# half-written file. An rdmanet-lib/ folder left by an older version is removed afterwards.
install: all
	install -d $(DESTDIR)$(BINDIR)
	for b in rdmanet-ipam rdmanet; do \
		install -m 0755 $(BUILD)/$$b $(DESTDIR)$(BINDIR)/.$$b.tmp && \
		$(STRIP) $(DESTDIR)$(BINDIR)/.$$b.tmp && \
		mv -f $(DESTDIR)$(BINDIR)/.$$b.tmp $(DESTDIR)$(BINDIR)/$$b || exit 1; \
	done
	rm -rf $(DESTDIR)$(BINDIR)/rdmanet-lib

# Size of the install (against the 6 MB budget) and start-up of the installed binaries against
# an empty program and one linked with the system's libcurl; also part of `make bench`.
bench-install: all
	BUILD=$(BUILD) tests/bench/install.sh

clean:
	rm -rf build build-san build-bench

# also the third-party libraries (and their downloads)
distclean: clean
	rm -rf $(DEPS)

# Fuzzing. Each tests/fuzz/fuzz_<name>.c is a libFuzzer target with its corpus in
# tests/fuzz/corpus/<name>/. The corpora are replayed through the targets by plain drivers built
# with $(CC) (replay.c + one target each: $(BUILD)/tests/fuzz-replay-<name>), part of `tests` and
# `check`; `make fuzz` builds the libFuzzer binaries with clang into build-fuzz/, and
# `make fuzz-run [FUZZ_TIME=seconds each]` runs each over its corpus (new inputs go to
# build-fuzz/corpus/<name>/, crashes to build-fuzz/artifacts/<name>/).
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz-replay-%)
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 300
FUZZ_CFLAGS  := -g -O1 -std=gnu11 $(WARN) -DRDMANET_TESTING -Iinclude $(NL_CFLAGS) -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIBSRCS := src/base/err.c src/base/log.c src/base/strv.c src/base/cidr.c src/cni/cni.c \
                src/cni/config.c src/ipam/pool.c src/ipam/ipam_config.c src/base/secret.c \
                src/base/file.c src/k8s/base64.c src/k8s/yamltree.c src/k8s/kubeconfig.c \
                src/k8s/incluster.c
FUZZ_LIBOBJS := $(FUZZ_LIBSRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LDLIBS  := $(CJSON_LIBS) $(IPAM_LIBS)

$(BUILD)/tests/fuzz-replay-%: $(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/fuzz_%.o \
		$(BUILD)/librdmanet-ipam.a $(BUILD)/librdmanet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PLUGIN_LIBS) $(IPAM_LIBS)

tests: $(FUZZ_REPLAYS)
check: $(FUZZ_REPLAYS)

$(FUZZ_BUILD)/obj/%.o: %.c $(wildcard include/rdmanet/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# what a target needs beyond FUZZ_LIBSRCS (fuzz_ipam_k8s stands in for k8s.c itself)
$(FUZZ_BUILD)/fuzz_k8s_response: $(FUZZ_BUILD)/obj/src/k8s/k8s.o
$(FUZZ_BUILD)/fuzz_ipam_k8s: $(FUZZ_BUILD)/obj/src/ipam/ipam_store.o $(FUZZ_BUILD)/obj/src/ipam/ipam_alloc.o \
		$(FUZZ_BUILD)/obj/src/ipam/ipam_k8s.o $(FUZZ_BUILD)/obj/src/ipam/ipam_reconcile.o \
		$(FUZZ_BUILD)/obj/src/ipam/ipam_usage.o $(FUZZ_BUILD)/obj/src/ipam/ipam_events.o

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIBOBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.o,$^) $(FUZZ_LDLIBS)

fuzz: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

fuzz-run: fuzz
	@for t in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t && \
		echo "=== fuzz_$$t for $(FUZZ_TIME) s" && \
		$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -max_len=4096 -timeout=10 \
			-print_final_stats=1 \
			$$(test -f tests/fuzz/$$t.dict && echo -dict=tests/fuzz/$$t.dict) \
			-artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
			>$(FUZZ_BUILD)/fuzz_$$t.log 2>&1; rc=$$?; \
		tail -n 12 $(FUZZ_BUILD)/fuzz_$$t.log; [ $$rc = 0 ] || exit 1; \
	done

clean-fuzz:
	rm -rf $(FUZZ_BUILD)

clean: clean-fuzz

.PHONY: fuzz fuzz-run clean-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

.PHONY: all tests unit check bench bench-ipam bench-install install clean distclean FORCE

# config-check: runs a network config through rdmanet's and rdmanet-ipam's own parsers, for
# tests/integ/test_manifests.sh (every NetworkAttachmentDefinition under conf-examples/).
$(BUILD)/tests/config-check: tests/tools/config_check.c $(BUILD)/librdmanet-ipam.a $(BUILD)/librdmanet.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/librdmanet-ipam.a $(BUILD)/librdmanet.a \
		$(PLUGIN_LIBS) $(IPAM_LIBS)
tests: $(BUILD)/tests/config-check
check: $(BUILD)/tests/config-check

# rdma-resolve: which RDMA device RDMA CM resolves an address to, run inside the qemu VM by
# tests/vm/test_rails.sh. librdmacm is for this test tool only, never for the plugins.
$(BUILD)/tests/rdma-resolve: tests/vm/rdma_resolve.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lrdmacm -libverbs
tests: $(BUILD)/tests/rdma-resolve
check: $(BUILD)/tests/rdma-resolve
