# core/ — shared by the four servers. Objects one per line.
CORE_OBJS := \
	$(B)/core/buf.o \
	$(B)/core/conn.o \
	$(B)/core/endpoints.o \
	$(B)/core/feed.o \
	$(B)/core/guard.o \
	$(B)/core/http.o \
	$(B)/core/json.o \
	$(B)/core/net.o \
	$(B)/core/poll_batch.o \
	$(B)/core/request.o \
	$(B)/core/server.o \
	$(B)/core/static.o \
	$(B)/core/utf8.o

# Lesson-swappable units are compiled from the file the variable names.
$(B)/core/http.o: $(HTTP_SRC)
	$(COMPILE)
$(B)/core/feed.o: $(FEED_SRC)
	$(COMPILE)
$(B)/core/buf.o: $(BUF_SRC)
	$(COMPILE)

# The support library of the integration tests: start a server, talk raw sockets.
TEST_SUPPORT_OBJS := $(B)/tests/support/netclient.o

UNIT_TESTS += \
	$(BIN)/tests/test_buf \
	$(BIN)/tests/test_feed \
	$(BIN)/tests/test_http \
	$(BIN)/tests/test_json \
	$(BIN)/tests/test_static \
	$(BIN)/tests/test_utf8

$(BIN)/tests/test_buf: $(B)/tests/unit/test_buf.o $(B)/core/buf.o
	$(LINK_TEST)
$(BIN)/tests/test_feed: $(B)/tests/unit/test_feed.o $(B)/core/feed.o $(B)/core/buf.o $(B)/core/json.o
	$(LINK_TEST)
$(BIN)/tests/test_http: $(B)/tests/unit/test_http.o $(B)/core/http.o
	$(LINK_TEST)
$(BIN)/tests/test_json: $(B)/tests/unit/test_json.o $(B)/core/json.o
	$(LINK_TEST)
$(BIN)/tests/test_static: $(B)/tests/unit/test_static.o $(B)/core/static.o $(B)/core/buf.o
	$(LINK_TEST)
$(BIN)/tests/test_utf8: $(B)/tests/unit/test_utf8.o $(B)/core/utf8.o
	$(LINK_TEST)
