# bench/ — the load generator, the raw-TCP baseline and `make bench`.
BENCH_OBJS := \
	$(B)/bench/histogram.o

PROGRAMS += \
	$(BIN)/loadgen \
	$(BIN)/baseline

$(BIN)/loadgen: $(B)/bench/loadgen.o $(BENCH_OBJS)
	$(LINK)
$(BIN)/baseline: $(B)/bench/baseline.o
	$(LINK)

UNIT_TESTS += \
	$(BIN)/tests/test_histogram

$(B)/tests/unit/test_histogram.o: CPPFLAGS += -Ibench
$(BIN)/tests/test_histogram: $(B)/tests/unit/test_histogram.o $(B)/bench/histogram.o
	$(LINK_TEST)
