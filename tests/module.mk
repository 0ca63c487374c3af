# tests/module.mk — the hardening suites: hostile HTTP against all
# four servers, adversarial clients, the fuzzers and the valgrind run.
# tests/README.md says what each proves and how to run it alone. The suites
# of each server are listed in that server's own module.mk.

# ---- the READMEs' hand-run blocks, run as written (free ports, bounded) ----
E2E_TESTS += tests/e2e/readme_blocks.sh

# ---- hostile HTTP: Check, raw sockets, every server that exists ----
NET_TESTS += $(BIN)/tests/test_hostile_net
$(BIN)/tests/test_hostile_net: $(B)/tests/integration/test_hostile_net.o $(B)/tests/adversarial/adv.o \
                               $(TEST_SUPPORT_OBJS)
	$(LINK_TEST)

# ---- fuzzing: libFuzzer harnesses (clang), tests/fuzz/ ----
# `make fuzz` runs each target for FUZZ_SECONDS; `make test` runs each for
# 10 s (a slow test, so not again under SAN=1: the harnesses are built with
# ASan + UBSan anyway). Without clang and its libFuzzer runtime the harnesses
# are not built and the script skips (a failure under CI=true).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := http ws_frame utf8 sse static ws_deflate
FUZZ_BINS    := $(FUZZ_TARGETS:%=bin/fuzz/fuzz_%)
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                $(WARN) -D_GNU_SOURCE -Icore -Iwebsocket -Isse
FUZZ_LINK     = @mkdir -p $(@D); echo "  FUZZ    $@"; $(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)
HAVE_FUZZER  := $(and $(shell command -v $(FUZZ_CC) 2>/dev/null),\
                      $(wildcard /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a))

bin/fuzz/fuzz_http: tests/fuzz/fuzz_http.c $(HTTP_SRC) core/http.h
	$(FUZZ_LINK)
# websocket/module.mk is read after this file: $(or) gives its default here.
bin/fuzz/fuzz_ws_frame: tests/fuzz/fuzz_ws_frame.c $(or $(WS_FRAME_SRC),websocket/ws_frame.c) websocket/ws_frame.h
	$(FUZZ_LINK)
bin/fuzz/fuzz_ws_deflate: tests/fuzz/fuzz_ws_deflate.c websocket/ws_deflate.c websocket/ws_deflate.h \
                          $(or $(WS_FRAME_SRC),websocket/ws_frame.c) $(HTTP_SRC) core/buf.c
	$(FUZZ_LINK) -lz
bin/fuzz/fuzz_utf8: tests/fuzz/fuzz_utf8.c core/utf8.c core/utf8.h
	$(FUZZ_LINK)
bin/fuzz/fuzz_sse: tests/fuzz/fuzz_sse.c $(or $(SSE_ENCODE_SRC),sse/sse_encode.c) sse/sse_encode.h
	$(FUZZ_LINK)
bin/fuzz/fuzz_static: tests/fuzz/fuzz_static.c core/static.c core/buf.c core/static.h
	$(FUZZ_LINK)

SLOW_TESTS += tests/fuzz/run-fuzz.sh
ifneq ($(SAN),1)
ifneq ($(HAVE_FUZZER),)
TEST_DEPS += $(FUZZ_BINS)
endif
endif

.PHONY: deps-fuzz
deps-fuzz:
	@scripts/deps.sh fuzz
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- adversarial clients: one program each, printing the figure it proves ----
ADV_OBJS := $(B)/tests/adversarial/adv.o $(TEST_SUPPORT_OBJS)
ADV_TESTS := \
	$(BIN)/tests/adv_slowloris \
	$(BIN)/tests/adv_fd_exhaustion \
	$(BIN)/tests/adv_vanishing \
	$(BIN)/tests/adv_slow_readers \
	$(BIN)/tests/adv_reconnect_storm \
	$(BIN)/tests/adv_chaos \
	$(BIN)/tests/adv_half_close \
	$(BIN)/tests/adv_backlog \
	$(BIN)/tests/adv_memory \
	$(BIN)/tests/adv_gate

NET_TESTS += $(ADV_TESTS)
$(BIN)/tests/adv_%: $(B)/tests/adversarial/%.o $(ADV_OBJS)
	$(LINK)
$(BIN)/tests/adv_chaos: $(B)/tests/adversarial/chaos.o $(ADV_OBJS) $(B)/core/utf8.o
	$(LINK)

# ---- valgrind: the servers under memcheck while hostile and vanishing
# clients drive them (not under SAN=1: sanitized binaries cannot run there) ----
SLOW_TESTS += tests/valgrind/run-valgrind.sh

# ---- PORTABLE=1 only: the portable servers take the POSIX fallbacks ----
PORTABLE_TESTS += tests/e2e/portable_check.sh
