# websocket/ — the WebSocket server (RFC 6455) and its pure units.
#
# SHA-1, base64, the frame header codec and the handshake values each sit in
# a file of their own, so a lesson can swap one for the student's copy:
#   make lesson ... SHA1_SRC=lessons/NN-sha1/sha1.c
SHA1_SRC         ?= websocket/sha1.c
BASE64_SRC       ?= websocket/base64.c
WS_FRAME_SRC     ?= websocket/ws_frame.c
WS_HANDSHAKE_SRC ?= websocket/ws_handshake.c

# Lesson files live elsewhere but include their headers from here.
WS_CFLAGS := -Iwebsocket

$(B)/websocket/sha1.o: $(SHA1_SRC)
	$(COMPILE) $(WS_CFLAGS)
$(B)/websocket/base64.o: $(BASE64_SRC)
	$(COMPILE) $(WS_CFLAGS)
$(B)/websocket/ws_frame.o: $(WS_FRAME_SRC)
	$(COMPILE) $(WS_CFLAGS)
$(B)/websocket/ws_handshake.o: $(WS_HANDSHAKE_SRC)
	$(COMPILE) $(WS_CFLAGS)

WS_UNIT_OBJS := \
	$(B)/websocket/sha1.o \
	$(B)/websocket/base64.o \
	$(B)/websocket/ws_frame.o \
	$(B)/websocket/ws_handshake.o

# A client's message from its frames (ws_message.c), and permessage-deflate
# (RFC 7692), which is zlib's DEFLATE: only the WebSocket server and these
# files' tests link -lz (Debian: zlib1g-dev).
WS_DEFLATE_OBJS := $(B)/websocket/ws_deflate.o
WS_MESSAGE_OBJS := $(B)/websocket/ws_message.o $(WS_DEFLATE_OBJS)

# The opening handshake as HTTP (ws_upgrade.c: the request's rules, the
# 101's head) and a close frame's payload (ws_close.c): pure, with suites.
WS_UPGRADE_OBJS := $(B)/websocket/ws_upgrade.o
WS_CLOSE_OBJS := $(B)/websocket/ws_close.o

PROGRAMS += $(BIN)/websocket

$(BIN)/websocket: LDLIBS += -lz
$(BIN)/websocket: $(B)/websocket/websocket.o $(WS_UNIT_OBJS) $(WS_UPGRADE_OBJS) $(WS_CLOSE_OBJS) \
                  $(WS_MESSAGE_OBJS) $(CORE_OBJS)
	$(LINK)

# The unit tests include the headers as "sha1.h", ...
$(B)/tests/unit/test_sha1.o: tests/unit/test_sha1.c
	$(COMPILE) $(WS_CFLAGS)
$(B)/tests/unit/test_base64.o: tests/unit/test_base64.c
	$(COMPILE) $(WS_CFLAGS)
$(B)/tests/unit/test_ws_frame.o: tests/unit/test_ws_frame.c
	$(COMPILE) $(WS_CFLAGS)
$(B)/tests/unit/test_ws_deflate.o: tests/unit/test_ws_deflate.c
	$(COMPILE) $(WS_CFLAGS)
$(B)/tests/unit/test_ws_message.o: tests/unit/test_ws_message.c
	$(COMPILE) $(WS_CFLAGS)
$(B)/tests/unit/test_ws_upgrade.o: tests/unit/test_ws_upgrade.c
	$(COMPILE) $(WS_CFLAGS)
$(B)/tests/unit/test_ws_close.o: tests/unit/test_ws_close.c
	$(COMPILE) $(WS_CFLAGS)

UNIT_TESTS += \
	$(BIN)/tests/test_sha1 \
	$(BIN)/tests/test_base64 \
	$(BIN)/tests/test_ws_frame \
	$(BIN)/tests/test_ws_deflate \
	$(BIN)/tests/test_ws_message \
	$(BIN)/tests/test_ws_upgrade \
	$(BIN)/tests/test_ws_close

$(BIN)/tests/test_sha1: $(B)/tests/unit/test_sha1.o $(B)/websocket/sha1.o
	$(LINK_TEST)
$(BIN)/tests/test_base64: $(B)/tests/unit/test_base64.o $(B)/websocket/base64.o
	$(LINK_TEST)
$(BIN)/tests/test_ws_frame: $(B)/tests/unit/test_ws_frame.o $(WS_UNIT_OBJS)
	$(LINK_TEST)
$(BIN)/tests/test_ws_deflate: LDLIBS += -lz
$(BIN)/tests/test_ws_deflate: $(B)/tests/unit/test_ws_deflate.o $(WS_DEFLATE_OBJS) \
                              $(B)/websocket/ws_frame.o $(B)/core/http.o $(B)/core/buf.o
	$(LINK_TEST)
$(BIN)/tests/test_ws_message: LDLIBS += -lz
$(BIN)/tests/test_ws_message: $(B)/tests/unit/test_ws_message.o $(WS_MESSAGE_OBJS) \
                              $(B)/websocket/ws_frame.o $(B)/core/utf8.o $(B)/core/http.o \
                              $(B)/core/buf.o
	$(LINK_TEST)

$(BIN)/tests/test_ws_upgrade: $(B)/tests/unit/test_ws_upgrade.o $(WS_UPGRADE_OBJS) $(WS_UNIT_OBJS) \
                              $(B)/core/http.o
	$(LINK_TEST)
$(BIN)/tests/test_ws_close: $(B)/tests/unit/test_ws_close.o $(WS_CLOSE_OBJS) $(B)/core/utf8.o
	$(LINK_TEST)

NET_TESTS += $(BIN)/tests/test_websocket_net

$(BIN)/tests/test_websocket_net: LDLIBS += -lz
$(BIN)/tests/test_websocket_net: $(B)/tests/integration/test_websocket_net.o $(TEST_SUPPORT_OBJS)
	$(LINK_TEST)

E2E_TESTS += \
	tests/e2e/websocket_python.sh \
	tests/e2e/websocket_chromium.sh
