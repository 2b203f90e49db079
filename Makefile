# kargo-webhooks: one plain GNU Makefile with pkg-config.
#   make            release build, ./kargo-webhooks
#   make run        build and serve the bundled examples/
#   make check      unit tests, fuzz corpus replays and integration tests,
#                   all under ASan+UBSan
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make bench      the benchmark (docs/performance.md)
# The first target run as root installs missing Debian build dependencies.

CC ?= cc
CLANG ?= clang
PKGS := libmicrohttpd libcjson yaml-0.1 sqlite3 libpcre2-8 openssl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wpointer-arith -Wundef -Werror
DEFS := -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -D_GNU_SOURCE
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS_release := -O2 -g
CFLAGS_asan := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
CFLAGS_fuzz := -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

LIB_SRCS := $(sort $(filter-out src/main.c,$(wildcard src/*.c src/receivers/*.c)))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRCS))
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

DEPS_STAMP := build/.deps

.PHONY: all run check check-unit check-fuzz check-integration fuzz bench clean deps format

all: kargo-webhooks

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@sh scripts/deps.sh build
	@mkdir -p build && touch $@

# $(1) flavour, $(2) compiler
define FLAVOUR
build/$(1)/obj/%.o: src/%.c src/*.h $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$(2) $(WARN) $(DEFS) -DKW_VERSION='"$(VERSION)"' $$(CFLAGS_$(1)) $$(PKG_CFLAGS) -Isrc -c $$< -o $$@

build/$(1)/libkw.a: $(patsubst src/%.c,build/$(1)/obj/%.o,$(LIB_SRCS))
	@rm -f $$@
	ar qcs $$@ $$^

build/$(1)/kargo-webhooks: build/$(1)/obj/main.o build/$(1)/libkw.a
	$(2) $$(CFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS)
endef

$(eval $(call FLAVOUR,release,$(CC)))
$(eval $(call FLAVOUR,asan,$(CC)))
$(eval $(call FLAVOUR,fuzz,$(CLANG)))

kargo-webhooks: build/release/kargo-webhooks
	cp $< $@.tmp && mv -f $@.tmp $@

build/asan/tests/%: tests/unit/%.c tests/unit/*.h build/asan/libkw.a
	@mkdir -p $(@D)
	$(CC) $(WARN) -Wno-missing-prototypes $(DEFS) $(CFLAGS_asan) $(PKG_CFLAGS) -Isrc -Itests/unit \
		-o $@ $< build/asan/libkw.a $(PKG_LIBS)

build/asan/replay/%: fuzz/fuzz_%.c fuzz/replay.c build/asan/libkw.a
	@mkdir -p $(@D)
	$(CC) $(WARN) -Wno-missing-prototypes $(DEFS) $(CFLAGS_asan) $(PKG_CFLAGS) -Isrc \
		-o $@ $< fuzz/replay.c build/asan/libkw.a $(PKG_LIBS)

build/fuzz/bin/%: fuzz/fuzz_%.c build/fuzz/libkw.a
	@mkdir -p $(@D)
	$(CLANG) $(WARN) -Wno-missing-prototypes $(DEFS) -O1 -g -fsanitize=fuzzer,address,undefined \
		$(PKG_CFLAGS) -Isrc -o $@ $< build/fuzz/libkw.a $(PKG_LIBS)

CHECK_BINS := build/asan/kargo-webhooks $(addprefix build/asan/tests/,$(UNIT_NAMES)) \
	$(addprefix build/asan/replay/,$(FUZZ_NAMES))

check: $(CHECK_BINS)
	@sh tests/run.sh

run: kargo-webhooks
	@sh scripts/run-example.sh

fuzz: $(addprefix build/fuzz/bin/,$(FUZZ_NAMES))
	@for t in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$t; \
		echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
		build/fuzz/bin/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			build/fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

bench: kargo-webhooks
	@sh bench/run.sh

format:
	clang-format -i src/*.c src/*.h src/receivers/*.c tests/unit/*.c fuzz/*.c

clean:
	rm -rf build/release build/asan build/fuzz build/debug build/bench kargo-webhooks

# make check-valgrind: the integration suite against a sanitizer-free debug
# build run under valgrind (memcheck). A wrapper script stands in for the
# binary; every process it starts writes build/debug/vg/<pid>.log, and a
# log with a non-zero "ERROR SUMMARY" fails the target (a process killed
# with SIGKILL writes no summary). KW_VALGRIND=1
# makes the suites skip the tests that measure time.
CFLAGS_debug := -O0 -g
$(eval $(call FLAVOUR,debug,$(CC)))
VALGRIND_FLAGS := --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --num-callers=30

.PHONY: check-valgrind
check-valgrind: build/debug/kargo-webhooks
	@command -v valgrind >/dev/null || { echo "check-valgrind: apt-get install valgrind"; exit 1; }
	@rm -rf build/debug/vg && mkdir -p build/debug/vg
	@printf '#!/bin/sh\nexec valgrind $(VALGRIND_FLAGS) --log-file=%s/build/debug/vg/%%p.log %s/build/debug/kargo-webhooks "$$@"\n' \
		"$(CURDIR)" "$(CURDIR)" > build/debug/kargo-webhooks-vg
	@chmod +x build/debug/kargo-webhooks-vg
	@KW_VALGRIND=1 python3 tests/integration/run.py build/debug/kargo-webhooks-vg; st=$$?; \
	bad=$$(grep -l -E 'ERROR SUMMARY: [1-9]' build/debug/vg/*.log); \
	if [ -n "$$bad" ]; then echo "check-valgrind: errors in"; for f in $$bad; do \
		echo "== $$f"; grep -A25 -m3 -E 'Invalid|uninitialised|definitely lost|Mismatched' $$f; done; exit 1; fi; \
	echo "check-valgrind: $$(ls build/debug/vg | wc -l) processes, 0 valgrind errors"; exit $$st
