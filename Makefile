# kargo-webhooks: one plain GNU Makefile with pkg-config.
#   make            release build, ./kargo-webhooks
#   make run        build and serve the bundled examples/
#   make check      unit tests, fuzz corpus replays and integration tests,
#                   all under ASan+UBSan
#   make check-tsan unit and integration tests under ThreadSanitizer
#   make check-valgrind  the integration tests under valgrind (slow)
#   make check-image the Dockerfile's runtime stage, by debootstrap + chroot
#                   (root and Debian's mirror; not part of make check)
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make bench      the benchmark (docs/performance.md)
#   make install    the binary, docs and the systemd unit under
#                   $(DESTDIR)$(PREFIX) (PREFIX defaults to /usr/local)
# The first target run as root installs missing Debian build dependencies.

CC ?= cc
CLANG ?= clang
PKGS := libmicrohttpd libcjson yaml-0.1 sqlite3 libpcre2-8 openssl libcurl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wpointer-arith -Wundef -Werror
DEFS := -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -D_GNU_SOURCE
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS_release := -O2 -g
CFLAGS_asan := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
CFLAGS_tsan := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
CFLAGS_fuzz := -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

LIB_SRCS := $(sort $(filter-out src/main.c,$(wildcard src/*.c src/receivers/*.c)))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRCS))
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

DEPS_STAMP := build/.deps

.PHONY: all run check check-unit check-fuzz check-integration fuzz bench bench-kinds clean deps \
	install uninstall

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
$(eval $(call FLAVOUR,tsan,$(CC)))
$(eval $(call FLAVOUR,fuzz,$(CLANG)))

kargo-webhooks: build/release/kargo-webhooks
	cp $< $@.tmp && mv -f $@.tmp $@

# $(1) flavour: the unit test programs built with it
define UNIT_TESTS
build/$(1)/tests/%: tests/unit/%.c tests/unit/*.h build/$(1)/libkw.a
	@mkdir -p $$(@D)
	$(CC) $(WARN) -Wno-missing-prototypes $(DEFS) $$(CFLAGS_$(1)) $$(PKG_CFLAGS) -Isrc -Itests/unit \
		-o $$@ $$< build/$(1)/libkw.a $$(PKG_LIBS)
endef

$(eval $(call UNIT_TESTS,asan))
$(eval $(call UNIT_TESTS,tsan))

build/asan/replay/%: fuzz/fuzz_%.c fuzz/replay.c build/asan/libkw.a
	@mkdir -p $(@D)
	$(CC) $(WARN) -Wno-missing-prototypes $(DEFS) $(CFLAGS_asan) $(PKG_CFLAGS) -Isrc \
		-o $@ $< fuzz/replay.c build/asan/libkw.a $(PKG_LIBS)

build/fuzz/bin/%: fuzz/fuzz_%.c build/fuzz/libkw.a
	@mkdir -p $(@D)
	$(CLANG) $(WARN) -Wno-missing-prototypes $(DEFS) -O1 -g -fsanitize=fuzzer,address,undefined \
		$(PKG_CFLAGS) -Isrc -o $@ $< build/fuzz/libkw.a $(PKG_LIBS)

# The release binary too: the install tests run `make install`, and two of
# them building it at once (the integration tests run in parallel) would
# race on its temporary file.
CHECK_BINS := kargo-webhooks build/asan/kargo-webhooks $(addprefix build/asan/tests/,$(UNIT_NAMES)) \
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

# make check-image: the Dockerfile's runtime stage checked without a
# container engine (tests/image/run.sh: debootstrap + chroot; root and
# Debian's mirror needed, so not part of make check).
.PHONY: check-image
check-image: kargo-webhooks
	@sh tests/image/run.sh

# make bench-kinds: each receiver kind's parse cost (bench/kinds_parse.c).
bench-kinds: build/release/libkw.a
	@mkdir -p build/bench
	$(CC) $(WARN) -Wno-missing-prototypes $(DEFS) $(CFLAGS_release) $(PKG_CFLAGS) -Isrc \
		-o build/bench/kinds_parse bench/kinds_parse.c build/release/libkw.a $(PKG_LIBS)
	build/bench/kinds_parse

# make install: the release binary, the docs and examples, and the
# embedded-mode systemd unit with its sysusers.d entry (dist/). The unit
# names the binary and the docs by their installed paths. DESTDIR stages
# the tree for a package; nothing here runs systemctl or creates users.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DOCDIR ?= $(PREFIX)/share/doc/kargo-webhooks
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

install: kargo-webhooks
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR)/examples/manifests \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 kargo-webhooks $(DESTDIR)$(BINDIR)/kargo-webhooks
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/
	install -d $(DESTDIR)$(DOCDIR)/docs/receivers
	install -m 0644 docs/receivers/*.md $(DESTDIR)$(DOCDIR)/docs/receivers/
	install -m 0644 examples/push.json $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 examples/manifests/* $(DESTDIR)$(DOCDIR)/examples/manifests/
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/kargo-webhooks|$(DOCDIR)|g' \
		dist/kargo-webhooks.service > $(DESTDIR)$(UNITDIR)/kargo-webhooks.service.tmp
	mv -f $(DESTDIR)$(UNITDIR)/kargo-webhooks.service.tmp $(DESTDIR)$(UNITDIR)/kargo-webhooks.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/kargo-webhooks.service
	install -m 0644 dist/kargo-webhooks.sysusers $(DESTDIR)$(SYSUSERSDIR)/kargo-webhooks.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kargo-webhooks $(DESTDIR)$(UNITDIR)/kargo-webhooks.service \
		$(DESTDIR)$(SYSUSERSDIR)/kargo-webhooks.conf
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build/release build/asan build/tsan build/fuzz build/debug build/bench kargo-webhooks

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

# make check-tsan: the unit tests and the integration suite against a
# ThreadSanitizer build (not part of `make check`: see README for how long
# it takes). tests/tsan.supp lists what is suppressed and why; any other
# report fails the target (the integration tests fail on a report in a
# server's log, tests/run.sh on a unit test's non-zero exit).
.PHONY: check-tsan
check-tsan: kargo-webhooks build/tsan/kargo-webhooks $(addprefix build/tsan/tests/,$(UNIT_NAMES))
	@TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
		KW_FLAVOUR=tsan KW_SLOW=4 sh tests/run.sh
