# bench/ — the load generator, the raw-TCP baseline and `make bench`.
# See bench/README.md for what they measure and how to read the charts.
BENCH_OBJS := \
	$(B)/bench/histogram.o \
	$(B)/bench/wire.o

# Lesson 08 swaps the histogram for the student's (which sits in lessons/,
# far from bench/histogram.h: hence -Ibench).
HISTOGRAM_SRC ?= bench/histogram.c
$(B)/bench/histogram.o: CPPFLAGS += -Ibench
$(B)/bench/histogram.o: $(HISTOGRAM_SRC)
	$(COMPILE)

PROGRAMS += \
	$(BIN)/loadgen \
	$(BIN)/baseline

# loadgen in parts (bench/loadgen.h says which does what).
LOADGEN_OBJS := \
	$(B)/bench/loadgen.o \
	$(B)/bench/lg_client.o \
	$(B)/bench/lg_technique.o \
	$(B)/bench/lg_publisher.o \
	$(B)/bench/lg_proc.o \
	$(B)/bench/lg_report.o

# zlib: -z inflates permessage-deflate messages (lg_technique.c).
$(BIN)/loadgen: LDLIBS += -lz
$(BIN)/loadgen: $(LOADGEN_OBJS) $(BENCH_OBJS)
	$(LINK)
$(BIN)/baseline: $(B)/bench/baseline.o
	$(LINK)

UNIT_TESTS += \
	$(BIN)/tests/test_histogram \
	$(BIN)/tests/test_wire

$(B)/tests/unit/test_histogram.o: CPPFLAGS += -Ibench
$(BIN)/tests/test_histogram: $(B)/tests/unit/test_histogram.o $(B)/bench/histogram.o
	$(LINK_TEST)
# loadgen's parsers, byte by byte (the suite lives in bench/ beside them).
$(BIN)/tests/test_wire: $(B)/bench/test_wire.o $(B)/bench/wire.o
	$(LINK_TEST)

# loadgen checked against known answers: exact delivery counts, a 200 ms
# server stall that must show in p99/max (coordinated omission), a run
# that loses deliveries and must say so, and -z really negotiating and
# inflating permessage-deflate.
E2E_TESTS += \
	tests/e2e/bench_baseline.sh \
	tests/e2e/bench_omission.sh \
	tests/e2e/bench_loss.sh \
	tests/e2e/bench_deflate.sh

# The whole bench pipeline on a short sweep (charts, summary.md).
SLOW_TESTS += \
	tests/e2e/bench_smoke.sh

# make bench [QUICK=1]: sweep techniques × clients × rates and draw the
# charts into bench/results/latest/ (bench/run.sh says what runs, and where
# the results are). PEERS=1: then our servers beside the peers', by
# bench/peers/run.sh (which installs and builds what it needs).
# make bench [QUICK=1]   the sweep: techniques x clients x rates (bench/run.sh)
#   PEERS=1              then the same loadgen against nginx, libwebsockets and
#                        node ws beside ours (bench/peers/)
#   NET=PROFILE          instead: the techniques across an impaired link between
#                        two network namespaces (clean, rtt50, loss1, jitter, all;
#                        needs root; bench/net/)
#   DEFLATE=1            then WebSocket with and without permessage-deflate, a
#                        small and a 2 KB JSON event: bytes and CPU (bench/deflate/)
#   SCALE=1              instead: as many idle subscribers as the machine allows,
#                        up to 100 000, memory per connection (bench/scale/)
#   CLUSTER=1            instead: one process against two behind Redis (latency,
#                        deliveries per CPU-s), 100 000 subscribers over several
#                        processes (bench/cluster/)
bench: deps-bench all
ifneq ($(NET),)
	@bench/net/deps.sh && QUICK=$(QUICK) BIN=$(BIN) bench/net/run.sh $(NET)
else ifeq ($(SCALE),1)
	@QUICK=$(QUICK) BIN=$(BIN) bench/scale/run.sh
else ifeq ($(CLUSTER),1)
	@scripts/deps.sh cluster && QUICK=$(QUICK) BIN=$(BIN) bench/cluster/run.sh
else
	@QUICK=$(QUICK) BIN=$(BIN) bench/run.sh
	@if [ "$(PEERS)" = 1 ]; then \
	    bench/peers/deps.sh && QUICK=$(QUICK) BIN=$(BIN) bench/peers/run.sh; \
	fi
	@if [ "$(DEFLATE)" = 1 ]; then QUICK=$(QUICK) BIN=$(BIN) bench/deflate/run.sh; fi
endif
