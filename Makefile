# sitecheck - see README.md. `make demo` and `make check` install missing
# build dependencies (Debian packages) themselves.
CC      ?= cc
OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(EXTRA_CFLAGS)
PKGS     = libcurl libuv
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lpthread -lm

SRCS     = $(wildcard src/*.c)
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
OBJS     = $(SRCS:src/%.c=build/obj/%.o)
ASAN_OBJS = $(SRCS:src/%.c=build/asan/%.o)
LIB_OBJS = $(LIB_SRCS:src/%.c=build/obj/%.o)
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PYTEST  ?= /usr/bin/python3 -m pytest
# The integration suite runs once per model (event:2 = -m event --loops 2).
SITECHECK_MODELS ?= event,thread,process,serial,event:2
export SITECHECK_MODELS

.PHONY: all deps test-deps demo check unit integration asan-check clean format bench

all: sitecheck

deps:
	@sh scripts/deps.sh

test-deps:
	@sh scripts/deps.sh test

sitecheck: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $(OBJS) $(LDFLAGS) $(LDLIBS)

build/obj/%.o: src/%.c $(wildcard src/*.h) | build/obj
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/asan/%.o: src/%.c $(wildcard src/*.h) | build/asan
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/asan/sitecheck: $(ASAN_OBJS)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $(ASAN_OBJS) $(LDFLAGS) $(LDLIBS)

build/unit: tests/unit.c $(LIB_OBJS)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isrc -o $@ tests/unit.c $(LIB_OBJS) $(LDFLAGS) $(LDLIBS)

build/asan/unit: tests/unit.c $(LIB_SRCS:src/%.c=build/asan/%.o)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -Isrc -o $@ tests/unit.c $(LIB_SRCS:src/%.c=build/asan/%.o) $(LDFLAGS) $(LDLIBS)

build/obj build/asan:
	mkdir -p $@

demo: deps
	$(MAKE) sitecheck
	./sitecheck demo

# The whole suite: unit tests, then the integration tests against the real
# binary, then both again built with AddressSanitizer + UBSan.
check: test-deps
	$(MAKE) sitecheck build/unit build/asan/sitecheck build/asan/unit
	timeout 120 ./build/unit
	timeout 120 ./build/asan/unit
	$(PYTEST) -q tests
	SITECHECK_BIN=$(CURDIR)/build/asan/sitecheck $(PYTEST) -q tests

unit: build/unit
	timeout 120 ./build/unit

integration: sitecheck
	$(PYTEST) -q tests

format:
	clang-format -i src/*.c src/*.h tests/*.c

clean:
	rm -rf build sitecheck
