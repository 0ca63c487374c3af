# bench/ — the load generator, the raw-TCP baseline and `make bench`.
BENCH_OBJS := \
	$(B)/bench/histogram.o

UNIT_TESTS += \
	$(BIN)/tests/test_histogram

$(B)/tests/unit/test_histogram.o: CPPFLAGS += -Ibench
$(BIN)/tests/test_histogram: $(B)/tests/unit/test_histogram.o $(B)/bench/histogram.o
	$(LINK_TEST)
