# polling/ — the short-polling server and its tests.
PROGRAMS += $(BIN)/polling

$(BIN)/polling: $(B)/polling/polling.o $(CORE_OBJS)
	$(LINK)

NET_TESTS += $(BIN)/tests/test_polling_net
$(BIN)/tests/test_polling_net: $(B)/tests/integration/test_polling_net.o $(TEST_SUPPORT_OBJS)
	$(LINK_TEST)

E2E_TESTS += tests/e2e/polling_curl.sh
