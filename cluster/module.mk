# cluster/ — `make cluster`: redis-server, two instances of each server and
# nginx in front (TLS, HTTP/2), all on private ports (cluster/README.md).
# Its tests start the same launcher on free ports: the six-connection limit
# (Chromium, HTTP/1.1 against HTTP/2) and failover (Chromium and loadgen,
# an instance killed mid-stream).

.PHONY: cluster deps-cluster
deps-cluster:
	@scripts/deps.sh cluster
# make cluster [TICK_MS=1000] [FEED=auto|redis|own] [CLUSTER_PORT=0]
cluster: deps-cluster
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 cluster/cluster.py --bin $(BIN) --tick $(or $(TICK_MS),1000) \
	    --feed $(or $(FEED),auto) --port $(or $(CLUSTER_PORT),0)

E2E_TESTS += \
	tests/e2e/cluster_six.sh \
	tests/e2e/cluster_failover.sh \
	tests/e2e/cluster_loadgen.sh

# bench/cluster/crowd: many idle SSE subscribers that time one event, for
# make bench CLUSTER=1 (bench/cluster/run.sh).
PROGRAMS += $(BIN)/crowd
$(BIN)/crowd: $(B)/bench/cluster/crowd.o
	$(LINK)
