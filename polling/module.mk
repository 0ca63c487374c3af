# polling/ — the short-polling server, its batch encoder and their tests.
PROGRAMS += $(BIN)/polling

# The batch encoder is pure (its unit test links it alone); the answer made
# and sent from it is poll_answer.c. Long polling links both
# (longpoll/module.mk, by path: it is read first) and finds their headers
# through -Ipolling.
POLL_BATCH_OBJS := $(B)/polling/poll_batch.o
POLL_ANSWER_OBJS := $(B)/polling/poll_answer.o $(POLL_BATCH_OBJS)

$(BIN)/polling: $(B)/polling/polling.o $(POLL_ANSWER_OBJS) $(CORE_OBJS)
	$(LINK)

UNIT_TESTS += $(BIN)/tests/test_poll_batch
$(B)/tests/unit/test_poll_batch.o: CPPFLAGS += -Ipolling
$(BIN)/tests/test_poll_batch: $(B)/tests/unit/test_poll_batch.o $(POLL_BATCH_OBJS) \
		$(B)/core/feed.o $(B)/core/buf.o $(B)/core/json.o
	$(LINK_TEST)

NET_TESTS += $(BIN)/tests/test_polling_net
$(BIN)/tests/test_polling_net: $(B)/tests/integration/test_polling_net.o $(TEST_SUPPORT_OBJS)
	$(LINK_TEST)

E2E_TESTS += tests/e2e/polling_curl.sh
