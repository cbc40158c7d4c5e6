# tests/bench/bench.mk - the benchmark suite: `make bench` builds and runs
# every benchmark and prints its tables (figures only, no assertions on time).
#   make bench                    full run (about 4 minutes on 2 cores, plus the workloads and memory cases)
#   make bench BENCH_FLAGS=--quick  tiny inputs, a few seconds
#   make bench-build              build the programs only
# tests/bench/RESULTS.md holds the recorded tables.

BENCH_DIR  = $(BUILD)/bench
BENCH_SRC  = tests/bench
BENCH_BIN  = $(BENCH_DIR)/replay $(BENCH_DIR)/scaling $(BENCH_DIR)/micro $(BENCH_DIR)/runstat \
             $(BENCH_DIR)/workloads $(BENCH_DIR)/memcases
BENCH_FLAGS ?=
TEST_PROGS += $(BENCH_BIN)

.PHONY: bench bench-build
bench-build: all $(BENCH_BIN)

bench: bench-build
	$(BENCH_SRC)/run.sh $(BENCH_FLAGS)

$(BENCH_DIR)/replay: $(BENCH_SRC)/replay.c $(BENCH_SRC)/rep.c $(BENCH_SRC)/rep.h $(BENCH_SRC)/bench.h preload/size.h $(BUILD)/libslz.a
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) -I$(BENCH_SRC) -Ipreload $(CFLAGS) -o $@ $(BENCH_SRC)/replay.c $(BENCH_SRC)/rep.c $(BUILD)/libslz.a

$(BENCH_DIR)/scaling: $(BENCH_SRC)/scaling.c $(BENCH_SRC)/bench.h preload/size.h $(BUILD)/libslz.a
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) -I$(BENCH_SRC) -Ipreload $(CFLAGS) -o $@ $< $(BUILD)/libslz.a

# micro, workloads, memcases and runstat use only the system allocator: the
# shim comes in by LD_PRELOAD.
$(BENCH_DIR)/micro $(BENCH_DIR)/workloads $(BENCH_DIR)/memcases: $(BENCH_DIR)/%: $(BENCH_SRC)/%.c $(BENCH_SRC)/bench.h preload/size.h
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) -I$(BENCH_SRC) -Ipreload $(CFLAGS) -o $@ $< -lpthread

$(BENCH_DIR)/runstat: $(BENCH_SRC)/runstat.c
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) $(CFLAGS) -o $@ $<
