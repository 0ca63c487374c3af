# tests/module.mk — the hardening suites (issue 8): hostile HTTP against all
# four servers, adversarial clients, the fuzzers and the valgrind run.
# tests/README.md says what each proves and how to run it alone. The suites
# of each server are listed in that server's own module.mk.

# ---- hostile HTTP: Check, raw sockets, every server that exists ----
NET_TESTS += $(BIN)/tests/test_hostile_net
$(BIN)/tests/test_hostile_net: $(B)/tests/integration/test_hostile_net.o $(TEST_SUPPORT_OBJS)
	$(LINK_TEST)
