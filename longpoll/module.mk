# longpoll/ — the long-polling server and its tests.
PROGRAMS += $(BIN)/longpoll

# Lesson 04 swaps the whole server file for the student's. It answers as
# short polling does (polling/poll_answer.c, polling/poll_batch.c), so it
# includes their headers from there and links their objects.
LONGPOLL_SRC ?= longpoll/longpoll.c
$(B)/longpoll/longpoll.o: $(LONGPOLL_SRC)
	$(COMPILE) -Ipolling

$(BIN)/longpoll: $(B)/longpoll/longpoll.o $(B)/polling/poll_answer.o $(B)/polling/poll_batch.o $(CORE_OBJS)
	$(LINK)

NET_TESTS += $(BIN)/tests/test_longpoll_net
$(BIN)/tests/test_longpoll_net: $(B)/tests/integration/test_longpoll_net.o $(TEST_SUPPORT_OBJS)
	$(LINK_TEST)
