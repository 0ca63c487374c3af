# rtlab — the one entry point.
#
#   make            build every server and tool into bin/
#   make run        start the four servers and print the demo's URL
#   make cluster    redis + 2 x 4 servers + nginx (TLS, HTTP/2), one origin (cluster/)
#   make test       every test: unit, integration, real clients, lessons, bench smoke
#   make bench      the comparison charts (QUICK=1 for a one-minute run)
#   make lesson N=01  grade a student's lesson
#   make fuzz       run the fuzzers for a while
#   make clean
#
# Options: SAN=1 (AddressSanitizer + UndefinedBehaviorSanitizer),
#          PORTABLE=1 (POSIX only: the fallbacks macOS and FreeBSD use),
#          CI=true (warnings are errors; no test may skip).
#
# Each folder lists its own objects, binaries and tests in its module.mk,
# included below, so that the folder reads on its own and the root stays
# short. Lesson builds swap whole source files through the *_SRC variables.

CC      ?= cc
OPT     ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -pedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(CI),true)
WARN    += -Werror
endif
# PORTABLE=1 builds with POSIX alone (no _GNU_SOURCE) and takes the
# fallbacks a Linux build does not need: accept + fcntl for accept4 and
# SOCK_NONBLOCK (core/net.c), argv[0] for /proc/self/exe (core/server.c).
# That is how the servers build on macOS and FreeBSD, proven here on Linux.
ifeq ($(PORTABLE),1)
CPPFLAGS := -DPORTABLE -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Icore -MMD -MP
else
CPPFLAGS := -D_GNU_SOURCE -Icore -MMD -MP
endif
LDLIBS  := -lev -lm

# Each variant builds into its own directories: build/san, bin/san, ...
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
VARIANT := san
endif
ifeq ($(PORTABLE),1)
VARIANT := $(if $(VARIANT),$(VARIANT)-portable,portable)
endif
B       ?= build/$(if $(VARIANT),$(VARIANT),release)
BIN     ?= bin$(if $(VARIANT),/$(VARIANT))

CFLAGS  ?=
LDFLAGS ?=
ALL_CFLAGS = $(OPT) $(WARN) $(CPPFLAGS) $(CFLAGS)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -pthread)

COMPILE = @mkdir -p $(@D); echo "  CC      $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<
LINK    = @mkdir -p $(@D); echo "  LD      $@"; $(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
LINK_TEST = @mkdir -p $(@D); echo "  LD      $@"; $(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

# Units a lesson may swap for the student's own file.
HTTP_SRC       ?= core/http.c
FEED_SRC       ?= core/feed.c
BUF_SRC        ?= core/buf.c

PROGRAMS   :=   # bin/polling ... (each module.mk adds its own)
UNIT_TESTS :=   # Check binaries: pure units, no network
NET_TESTS  :=   # Check binaries: start a real server on port 0, talk raw sockets
E2E_TESTS  :=   # scripts: real clients (curl, python websockets, Chromium)
SLOW_TESTS :=   # scripts run last (bench smoke, lessons)
PORTABLE_TESTS := # scripts run only under PORTABLE=1
TEST_DEPS  :=   # what the scripts above need built besides PROGRAMS

.PHONY: all run test check-tests bench lesson fuzz clean deps deps-test deps-bench

# `all` is the first target, so plain `make` builds everything; its
# prerequisites are added after the module.mk files have listed them.
all: deps

$(B)/%.o: %.c
	$(COMPILE)
# The tests and the bench tools are not what PORTABLE=1 proves: they keep
# glibc's GNU extensions (memmem, strcasestr; BSD libcs have them anyway).
$(B)/tests/%.o $(B)/bench/%.o: CPPFLAGS += -D_GNU_SOURCE

include core/module.mk
include $(filter-out core/module.mk,$(wildcard */module.mk))

all: $(PROGRAMS)

# ---- set-up: install what this machine lacks (scripts/deps.sh says what) ----
deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test
deps-bench:
	@scripts/deps.sh bench

# ---- the live demo ----
PORT_BASE ?= 8000
run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-demo.sh $(PORT_BASE)

# ---- tests ----
# Builds everything first, then runs each suite through scripts/run-tests.sh,
# which prints one line per suite and the total "N passed, N failed".
# Under SAN=1 the bench smoke and lesson checks are left out (they measure
# and grade; sanitizers would only slow them), and the run says so.
# Under PORTABLE=1 only the unit and net suites run, on the portable
# binaries (the real-client scripts test the same servers once more).
ifeq ($(PORTABLE),1)
TEST_SET = $(UNIT_TESTS) $(NET_TESTS) $(PORTABLE_TESTS)
else ifeq ($(SAN),1)
TEST_SET = $(UNIT_TESTS) $(NET_TESTS) $(E2E_TESTS)
else
TEST_SET = $(UNIT_TESTS) $(NET_TESTS) $(E2E_TESTS) $(SLOW_TESTS)
endif
test: deps-test
	@$(MAKE) --no-print-directory $(PROGRAMS) $(UNIT_TESTS) $(NET_TESTS) $(TEST_DEPS)
	@$(if $(filter 1,$(PORTABLE)),echo "PORTABLE=1: POSIX-only binaries in $(BIN); not run here: $(E2E_TESTS) $(SLOW_TESTS)",$(if $(filter 1,$(SAN)),echo "SAN=1: sanitized binaries in $(BIN); not run here: $(SLOW_TESTS)"))
	@RTLAB_BIN=$(BIN) scripts/run-tests.sh $(TEST_SET)

# Only this build's dependency lists: lesson and mutant builds keep their own
# under build/, and reading them all made every make slow.
-include $(shell find $(B) -name '*.d' 2>/dev/null)

clean:
	rm -rf build bin tests/out
