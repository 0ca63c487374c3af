# core/ — shared by the four servers. Objects one per line.
CORE_OBJS := \
	$(B)/core/buf.o \
	$(B)/core/conn.o \
	$(B)/core/endpoints.o \
	$(B)/core/feed.o \
	$(B)/core/feed_redis.o \
	$(B)/core/guard.o \
	$(B)/core/http.o \
	$(B)/core/json.o \
	$(B)/core/net.o \
	$(B)/core/redis_cursor.o \
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
# Lesson 10's unit: the cursor arithmetic of the feed kept in Redis.
REDIS_CURSOR_SRC ?= core/redis_cursor.c
$(B)/core/redis_cursor.o: $(REDIS_CURSOR_SRC)
	$(COMPILE)

# -R redis://: the Redis feed is compiled in only when hiredis is installed
# (pkg-config, else its header), so `make`, `make run` and the lessons never
# need it; without it a server refuses -R with a clear line. The feed is
# always linked: its stub says why. $(B)/hiredis.flag holds what was found
# and changes only when that does, so a build made before hiredis was
# installed (`make run`, then `make test`, whose deps install it) rebuilds
# feed_redis.o, and the servers relink, by themselves.
HIREDIS_LIBS := $(shell pkg-config --libs hiredis 2>/dev/null)
ifeq ($(HIREDIS_LIBS),)
HIREDIS_LIBS := $(if $(wildcard /usr/include/hiredis/async.h),-lhiredis)
endif
# Its three working files (redis_link, redis_mirror, redis_publish: see
# core/redis_internal.h) are compiled only then.
ifneq ($(HIREDIS_LIBS),)
$(B)/core/feed_redis.o: CPPFLAGS += -DRTLAB_HIREDIS
CORE_OBJS += $(B)/core/redis_link.o $(B)/core/redis_mirror.o $(B)/core/redis_publish.o
LDLIBS += $(HIREDIS_LIBS)
endif
$(B)/core/feed_redis.o: $(B)/hiredis.flag
$(B)/hiredis.flag: FORCE
	@mkdir -p $(@D); echo 'hiredis: $(HIREDIS_LIBS)' | cmp -s - $@ || echo 'hiredis: $(HIREDIS_LIBS)' >$@
.PHONY: FORCE
FORCE:

# The support library of the integration tests: start a server, talk raw sockets.
TEST_SUPPORT_OBJS := $(B)/tests/support/netclient.o

UNIT_TESTS += \
	$(BIN)/tests/test_buf \
	$(BIN)/tests/test_feed \
	$(BIN)/tests/test_http \
	$(BIN)/tests/test_json \
	$(BIN)/tests/test_redis_cursor \
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
$(BIN)/tests/test_redis_cursor: $(B)/tests/unit/test_redis_cursor.o $(B)/core/redis_cursor.o \
                                $(B)/core/feed.o $(B)/core/buf.o $(B)/core/json.o
	$(LINK_TEST)

# The feed in Redis, end to end: a real redis-server, two instances of each
# streaming server, Redis killed and brought back (tests/e2e/redis_feed.py).
E2E_TESTS += tests/e2e/redis_feed.sh
