# sse/ — the Server-Sent Events server. Objects one per line.

# Lesson-swappable unit: the event-stream encoder (a lesson points this at
# the student's copy; the header stays sse/sse_encode.h).
SSE_ENCODE_SRC ?= sse/sse_encode.c

SSE_OBJS := \
	$(B)/sse/sse.o \
	$(B)/sse/sse_encode.o

$(B)/sse/sse_encode.o: $(SSE_ENCODE_SRC)
	$(COMPILE)

# Files that include sse_encode.h from outside sse/ (a student's copy too).
$(B)/sse/sse_encode.o $(B)/tests/unit/test_sse_encode.o: CPPFLAGS += -Isse

PROGRAMS += $(BIN)/sse

$(BIN)/sse: $(SSE_OBJS) $(CORE_OBJS)
	$(LINK)

UNIT_TESTS += $(BIN)/tests/test_sse_encode

$(BIN)/tests/test_sse_encode: $(B)/tests/unit/test_sse_encode.o $(B)/sse/sse_encode.o
	$(LINK_TEST)

NET_TESTS += $(BIN)/tests/test_sse_net

$(BIN)/tests/test_sse_net: $(B)/tests/integration/test_sse_net.o $(TEST_SUPPORT_OBJS)
	$(LINK_TEST)

E2E_TESTS += \
	tests/e2e/sse_curl.sh \
	tests/e2e/sse_chromium.sh
