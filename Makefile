# sitecheck - see README.md. `make demo` and `make check` install missing
# build dependencies (Debian packages) themselves.
CC      ?= cc
OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
# The version lives in VERSION only; the code gets it as SC_VERSION, and
# tests/test_cli.py checks that the man page's .TH line agrees.
VERSION := $(shell cat VERSION)
VERSION_FLAG = -DSC_VERSION=\"$(VERSION)\"
CFLAGS  += -std=c11 -D_GNU_SOURCE $(VERSION_FLAG) $(OPT) $(WARN) $(EXTRA_CFLAGS)
PKGS     = libcurl libuv openssl libcares jansson libxml-2.0 md4c zlib libmicrohttpd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lpthread -lm

SRCS     = $(wildcard src/*.c)
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
OBJS     = $(SRCS:src/%.c=build/obj/%.o)
ASAN_OBJS = $(SRCS:src/%.c=build/asan/%.o)
LIB_OBJS = $(LIB_SRCS:src/%.c=build/obj/%.o)
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
TSAN_OBJS = $(SRCS:src/%.c=build/tsan/%.o)
# libFuzzer targets (clang), each run for FUZZ_SECONDS from the seed corpus.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB = src/reader.c src/url.c src/util.c src/record.c src/redact.c src/term.c src/extract.c \
           src/extract_html.c src/extract_md.c src/extract_sitemap.c \
           src/input_kind.c
FUZZ_NAMES = reader record html sitemap markdown
FUZZERS = $(FUZZ_NAMES:%=build/fuzz/fuzz_%)

# make install: $(DESTDIR)$(PREFIX)/bin/sitecheck and the man page.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

# make lint: the C files held to .clang-format (make format rewrites them)
# and those clang-tidy and cppcheck read (headers through them), with the
# build's flags; LINT_JOBS files at a time.
FORMAT_SRCS = $(wildcard src/*.c src/*.h tests/*.c tests/unit/*.[ch] fuzz/*.c bench/peers/*.c)
TIDY_SRCS  = $(SRCS) $(wildcard tests/unit/*.c tests/*.c fuzz/*.c bench/peers/*.c)
TIDY_FLAGS = -std=c11 -D_GNU_SOURCE $(VERSION_FLAG) $(PKG_CFLAGS) -Isrc -Itests/unit
LINT_JOBS ?= 2

PYTEST  ?= /usr/bin/python3 -m pytest
# The integration suite runs once per model (event:2 = -m event --loops 2).
SITECHECK_MODELS ?= event,thread,process,serial,event:2
export SITECHECK_MODELS

.PHONY: all deps test-deps demo demo-picture check lint unit integration tsan-check valgrind-check fuzz clean format bench install uninstall

all: sitecheck

deps:
	@sh scripts/deps.sh

test-deps:
	@sh scripts/deps.sh test

sitecheck: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $(OBJS) $(LDFLAGS) $(LDLIBS)

# Every object is rebuilt when VERSION changes (SC_VERSION is a flag).
$(OBJS) $(ASAN_OBJS) $(TSAN_OBJS): VERSION

build/obj/%.o: src/%.c $(wildcard src/*.h) | build/obj
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/asan/%.o: src/%.c $(wildcard src/*.h) | build/asan
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/asan/sitecheck: $(ASAN_OBJS)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $(ASAN_OBJS) $(LDFLAGS) $(LDLIBS)

# The unit tests: every tests/unit/*.c, run by tests/unit/main.c.
UNIT_SRCS = $(wildcard tests/unit/*.c)
UNIT_DEPS = $(UNIT_SRCS) tests/unit/unit.h $(wildcard src/*.h)

build/unit: $(UNIT_DEPS) $(LIB_OBJS)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -iquote src -iquote tests/unit -o $@ $(UNIT_SRCS) $(LIB_OBJS) $(LDFLAGS) $(LDLIBS)

build/asan/unit: $(UNIT_DEPS) $(LIB_SRCS:src/%.c=build/asan/%.o)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -iquote src -iquote tests/unit -o $@ $(UNIT_SRCS) $(LIB_SRCS:src/%.c=build/asan/%.o) $(LDFLAGS) $(LDLIBS)

build/tsan/%.o: src/%.c $(wildcard src/*.h) | build/tsan
	$(CC) $(CFLAGS) $(TSAN_FLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/tsan/sitecheck: $(TSAN_OBJS)
	$(CC) $(CFLAGS) $(TSAN_FLAGS) -o $@ $(TSAN_OBJS) $(LDFLAGS) $(LDLIBS)

build/fuzz/%: fuzz/%.c $(FUZZ_LIB) $(wildcard src/*.h) | build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -iquote src -o $@ $< $(FUZZ_LIB) $(PKG_LIBS)

# The c-ares resolver's own test, run against a private dnsmasq.
RESOLVER_SRCS = src/resolver.c src/dnscache.c src/util.c src/htab.c
# bench's floor yardsticks, built here too so that their warnings fail check.
build/floor: bench/peers/floor.c | build/obj
	$(CC) $(CFLAGS) -pthread -o $@ bench/peers/floor.c

build/curlfloor: bench/peers/curlfloor.c | build/obj
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libcurl) -pthread -o $@ bench/peers/curlfloor.c $(shell pkg-config --libs libcurl)

LIBFLOOR_PKGS = libcurl libxml-2.0 libuv libcares
build/libfloor: bench/peers/libfloor.c | build/obj
	$(CC) $(CFLAGS) $(shell pkg-config --cflags $(LIBFLOOR_PKGS)) -o $@ bench/peers/libfloor.c $(shell pkg-config --libs $(LIBFLOOR_PKGS))

build/resolver_test: tests/resolver_test.c $(RESOLVER_SRCS) $(wildcard src/*.h) | build/obj
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -iquote src -o $@ tests/resolver_test.c $(RESOLVER_SRCS) $(LDFLAGS) $(LDLIBS)

build/obj build/asan build/tsan build/fuzz:
	mkdir -p $@

# Every fuzzer runs FUZZ_SECONDS from the committed seeds, all at once (the
# wall time is FUZZ_SECONDS, whatever their number); new inputs they find
# stay in build/fuzz/corpus-* (not committed).
fuzz: $(FUZZERS)
	@for t in $(FUZZ_NAMES); do \
	  mkdir -p build/fuzz/corpus-$$t; \
	  ( ./build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    build/fuzz/corpus-$$t fuzz/corpus/$$t > build/fuzz/$$t.log 2>&1; \
	    echo $$? > build/fuzz/$$t.rc ) & \
	done; wait; rc=0; \
	for t in $(FUZZ_NAMES); do \
	  echo "fuzz_$$t: $$(grep -E '^Done' build/fuzz/$$t.log)"; \
	  if [ "$$(cat build/fuzz/$$t.rc)" != 0 ]; then tail -40 build/fuzz/$$t.log; rc=1; fi; \
	done; exit $$rc

demo: deps
	$(MAKE) sitecheck
	./sitecheck demo

# docs/demo.png, README's picture: the demo at full scale (about a minute)
# with --report, screenshotted by headless Chromium (make test-deps
# installs it). DEMO_ARGS=--scale 0.1 makes a quick one.
DEMO_ARGS ?=
demo-picture: deps
	$(MAKE) sitecheck
	@command -v chromium > /dev/null || \
	  { echo "make demo-picture needs chromium (make test-deps)"; exit 1; }
	mkdir -p build/chromium-profile
	./sitecheck demo $(DEMO_ARGS) --report build/demo-picture.html
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
	  --user-data-dir=$(CURDIR)/build/chromium-profile \
	  --window-size=1000,1370 --screenshot=$(CURDIR)/docs/demo.png \
	  file://$(CURDIR)/build/demo-picture.html 2> build/chromium.log

# Every finding an error: formatting (clang-format --dry-run), clang-tidy
# with the checks in .clang-tidy (one process per file, LINT_JOBS at once),
# cppcheck's warnings. Output is only the findings; check runs it first.
lint: test-deps
	@echo "lint: clang-format, $(words $(FORMAT_SRCS)) files"
	@clang-format --dry-run -Werror $(FORMAT_SRCS)
	@echo "lint: clang-tidy, $(words $(TIDY_SRCS)) files"
	@printf '%s\n' $(TIDY_SRCS) | xargs -P$(LINT_JOBS) -n1 sh -c \
	  'out=$$(clang-tidy --quiet "$$0" -- $(TIDY_FLAGS) 2>&1); rc=$$?; \
	   printf "%s" "$$out" | grep -v "^[0-9]* warnings\{0,1\} generated\.$$"; exit $$rc'
	@echo "lint: cppcheck, $(words $(TIDY_SRCS)) files"
	@cppcheck -q -j$(LINT_JOBS) --std=c11 --library=posix --error-exitcode=1 \
	  --enable=warning,portability,performance --inline-suppr \
	  -D_GNU_SOURCE $(VERSION_FLAG) -Isrc -Itests/unit $(TIDY_SRCS)

# The whole suite, each step with a time limit: lint; unit tests; the
# integration tests against the real binary in every model; both again
# under AddressSanitizer + UBSan; the thread model and --loops under
# ThreadSanitizer; valgrind memcheck; then each fuzzer for FUZZ_SECONDS.
check: test-deps lint
	$(MAKE) sitecheck build/floor build/curlfloor build/libfloor build/unit build/asan/sitecheck build/asan/unit build/tsan/sitecheck build/resolver_test $(FUZZERS)
	timeout 120 ./build/unit
	timeout 120 ./build/asan/unit
	timeout 300 /usr/bin/python3 tests/dns_helper.py --names 10000 --ttl 1 --run ./build/resolver_test
	timeout 1800 $(PYTEST) -q tests
	SITECHECK_BIN=$(CURDIR)/build/asan/sitecheck timeout 2400 $(PYTEST) -q tests
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp" SITECHECK_BIN=$(CURDIR)/build/tsan/sitecheck \
	  SITECHECK_MODELS=thread,event:2 timeout 1200 $(PYTEST) -q tests
	timeout 600 sh tests/valgrind.sh
	$(MAKE) fuzz

unit: build/unit
	timeout 120 ./build/unit

integration: sitecheck
	$(PYTEST) -q tests

# The side-by-side benchmark (not part of check): installs nginx and the
# peers from Debian, runs every scenario, writes bench/results.md.
# The soak (bench/watch) runs last; BENCH_WATCH= leaves it out.
BENCH_WATCH ?= bench/watch
bench: sitecheck
	/usr/bin/python3 bench/run $(BENCH_ARGS)
	sh bench/dns
	$(if $(BENCH_WATCH),/usr/bin/python3 $(BENCH_WATCH))

# Rewrites the C files in the repository's style (.clang-format).
format:
	clang-format -i $(FORMAT_SRCS)

# Installs the binary and the man page under $(DESTDIR)$(PREFIX) (PREFIX
# /usr/local by default; DESTDIR for a staging tree, as packagers use).
install: sitecheck
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1"
	install -m 755 sitecheck "$(DESTDIR)$(BINDIR)/sitecheck"
	install -m 644 sitecheck.1 "$(DESTDIR)$(MANDIR)/man1/sitecheck.1"

# Removes what install put there (the same PREFIX and DESTDIR).
uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/sitecheck" "$(DESTDIR)$(MANDIR)/man1/sitecheck.1"

clean:
	rm -rf build sitecheck
