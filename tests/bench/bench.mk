# tests/bench/bench.mk - the benchmark suite: `make bench` builds and runs
# every benchmark and prints its tables (figures only, no assertions on time).
#   make bench                    full run (about 4 minutes on 2 cores, plus the workloads and memory cases,
#                                 plus 3 minutes of CPU for the callgrind counts, section 3b)
#   make bench BENCH_FLAGS=--quick  tiny inputs, a few seconds
#   make bench-build              build the programs only
#   make bench-summary            the figures of issues 16 and 17 against their targets, from the
#                                 last run's output (build/bench/last-run.txt): a markdown table
# tests/bench/RESULTS.md holds the recorded tables.

BENCH_DIR  = $(BUILD)/bench
BENCH_SRC  = tests/bench
BENCH_BIN  = $(BENCH_DIR)/replay $(BENCH_DIR)/scaling $(BENCH_DIR)/micro $(BENCH_DIR)/runstat \
             $(BENCH_DIR)/workloads $(BENCH_DIR)/memcases $(BENCH_DIR)/gen-traces $(BENCH_DIR)/memload
BENCH_BIN += $(BENCH_DIR)/microcore
BENCH_BIN += $(BENCH_DIR)/unchecked/libslzmalloc.so $(BENCH_DIR)/norelease/libslzmalloc.so
BENCH_FLAGS ?=
TEST_PROGS += $(BENCH_BIN)
# built for make bench only (memload.sh), not for make test
BENCH_ONLY = $(BENCH_DIR)/min32/libslzmalloc.so

.PHONY: bench bench-build bench-summary
bench-build: all $(BENCH_BIN) $(BENCH_ONLY)

bench: bench-build
	$(BENCH_SRC)/run.sh $(BENCH_FLAGS)

bench-summary:
	$(BENCH_SRC)/summary.sh $(BENCH_DIR)/last-run.txt

# headers: through the .d files every compile writes (see Makefile)
BENCH_COMPILE = $(COMPILE) -I$(BENCH_SRC) -Ipreload -Iscripts $(CFLAGS)

$(BENCH_DIR)/obj/%.o: $(BENCH_SRC)/%.c
	@mkdir -p $(@D)
	$(BENCH_COMPILE) -c -o $@ $<

# the trace reader is the tools' (scripts/rep.c): tests may use what the tools
# offer, never the other way round
$(BENCH_DIR)/obj/rep.o: scripts/rep.c
	@mkdir -p $(@D)
	$(BENCH_COMPILE) -c -o $@ $<

$(BENCH_DIR)/replay: $(BENCH_DIR)/obj/replay.o $(BENCH_DIR)/obj/rep.o $(BUILD)/libslz.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lm

$(BENCH_DIR)/scaling: $(BENCH_SRC)/scaling.c $(BUILD)/libslz.a
	@mkdir -p $(@D)
	$(BENCH_COMPILE) -o $@ $< $(BUILD)/libslz.a

# micro, workloads, memcases and runstat use only the system allocator: the
# shim comes in by LD_PRELOAD.
$(BENCH_DIR)/micro $(BENCH_DIR)/workloads $(BENCH_DIR)/memcases $(BENCH_DIR)/memload: $(BENCH_DIR)/%: $(BENCH_SRC)/%.c
	@mkdir -p $(@D)
	$(BENCH_COMPILE) -o $@ $< -lpthread

# micro's workloads on the core alone (build/libslz.a): instr.sh's core rows
$(BENCH_DIR)/microcore: $(BENCH_SRC)/microcore.c $(BUILD)/libslz.a
	@mkdir -p $(@D)
	$(BENCH_COMPILE) -o $@ $< $(BUILD)/libslz.a -lpthread

# the replay's own traces (run.sh writes them into build/bench/traces/)
$(BENCH_DIR)/gen-traces: $(BENCH_SRC)/gen-traces.c
	@mkdir -p $(@D)
	$(BENCH_COMPILE) -o $@ $<

$(BENCH_DIR)/runstat: $(BENCH_SRC)/runstat.c
	@mkdir -p $(@D)
	$(BENCH_COMPILE) -o $@ $<

# variants of the library, compiled apart: unchecked, with the in-band header
# and canary checks compiled out (SLZ_UNCHECKED, src/chunk.h: micro.sh's
# unchecked1G row shows what they cost); min32, with a 32-byte minimum chunk
# instead of the design's 64 (memload.sh's min32 column: what the minimum costs
# in peak RSS); norelease, with a release step of 2 GiB, more than any chunk
# of a 1G heap (no page goes back but by a trim: floor.sh's third table, what
# giving pages back costs issue 21's rows). Each linked from objects as
# libslzmalloc.so is (one compile a source: make runs them side by side, each
# writes its .d)
unchecked_FLAGS = -DSLZ_UNCHECKED
min32_FLAGS = -DSLZ_MIN_CHUNK=32
norelease_FLAGS = -DSLZ_RELEASE_STEP='(1u << 31)' -DSLZ_RELEASE_STEP_MAX='(1u << 31)'
define variant_rules
$(BENCH_DIR)/$(1)/obj/%.o: src/%.c
	@mkdir -p $$(@D)
	$$(COMPILE) $$(PIC_FLAGS) $$($(1)_FLAGS) $$(CFLAGS) -c -o $$@ $$<

$(BENCH_DIR)/$(1)/obj/%.o: preload/%.c
	@mkdir -p $$(@D)
	$$(COMPILE) $$(PIC_FLAGS) $$($(1)_FLAGS) $$(CFLAGS) -c -o $$@ $$<

$(BENCH_DIR)/$(1)/libslzmalloc.so: $$(PIC_OBJ:$$(BUILD)/pic/%=$(BENCH_DIR)/$(1)/obj/%)
	$$(CC) -shared $$(LTO) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ -lpthread -ldl
endef
$(foreach v,unchecked min32 norelease,$(eval $(call variant_rules,$(v))))
