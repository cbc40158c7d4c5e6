# slzmalloc - make: build everything; make test: run the whole suite.

CC      ?= cc
CFLAGS  ?= -O2 -g
# project flags, kept apart so that a user's CFLAGS adds rather than replaces
SLZ_CFLAGS = -std=gnu11 -Wall -Wextra -Wshadow -fno-builtin-malloc -Iinclude -Isrc
PIC_FLAGS  = -fPIC -fvisibility=hidden -DSLZ_EXPORT= -ftls-model=initial-exec $(LTO)
# the preloaded library is optimised across files (the core's small helpers
# inline into the entry points): about 3% fewer instructions a call
LTO        = -flto=auto
# header dependencies: every compile writes TARGET.d beside its output (-MMD,
# the headers it read; -MP, an empty rule for each, so that a header removed
# does not stop the build); the end of this file reads them all back. Nothing
# lists a header by hand. A compile with several sources in one command would
# write one .d for the last source only: every multi-file program is linked
# from objects.
DEPFLAGS   = -MMD -MP
# the one compile command of the project's own code (core, shim, tests, tools)
COMPILE    = $(CC) $(DEPFLAGS) $(SLZ_CFLAGS)

# three layers: the core (src/*.c, include/slz.h), the report layer that the
# shim and the tools share (src/report/, include/slz_report.h: it uses the
# core's public API only), the shim (preload/). The tools in scripts/ link
# the core and the report layer, never the shim.
CORE_SRC   = $(wildcard src/*.c)
REPORT_SRC = $(wildcard src/report/*.c)
SHIM_SRC   = $(wildcard preload/*.c)

BUILD      = build
CORE_OBJ   = $(CORE_SRC:src/%.c=$(BUILD)/core/%.o)
REPORT_OBJ = $(REPORT_SRC:src/report/%.c=$(BUILD)/report/%.o)
PIC_OBJ    = $(CORE_SRC:src/%.c=$(BUILD)/pic/%.o) $(REPORT_SRC:src/%.c=$(BUILD)/pic/%.o) \
             $(SHIM_SRC:preload/%.c=$(BUILD)/pic/%.o)

# Programs the tests need; the fragments below add to it.
TEST_PROGS =

.PHONY: all test test-progs clean print-flags
all: libslzmalloc.so $(BUILD)/libslz.a $(BUILD)/libslzreport.a

libslzmalloc.so: $(PIC_OBJ)
	$(CC) -shared $(LTO) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpthread -ldl

$(BUILD)/libslz.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/libslzreport.a: $(REPORT_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/report/%.o: src/report/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(CFLAGS) -c -o $@ $<

$(BUILD)/core/%.o: src/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: src/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(PIC_FLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: preload/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(PIC_FLAGS) $(CFLAGS) -c -o $@ $<

# Each area keeps its own rules beside its files.
include $(wildcard tests/*.mk tests/*/*.mk scripts/*.mk)

# make test: build everything, then run every bats file in tests/; both
# steps one job per core. The files run side by side, the slowest first (a
# list kept by hand: its order only balances the cores), each file's output
# printed whole when it ends (-O); every file runs (-k) and any failure fails
# make test, which ends by naming the files that failed. Each runs as from a
# shell (`bats tests/FILE.bats`): no make flags, so a make a test starts has
# no jobserver it cannot reach. (make test BATS_NAMES="fork shim": those
# files only.)
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
BATS_SLOW  = sanitize bench fork html cache threads stock quarantine random
BATS_NAMES = $(basename $(notdir $(wildcard tests/*.bats)))
BATS_RUNS  = $(addprefix bats-,$(foreach f,$(BATS_SLOW),$(filter $(f),$(BATS_NAMES))) \
             $(filter-out $(BATS_SLOW),$(BATS_NAMES)))
.PHONY: test-bats $(BATS_RUNS)
test:
	@$(MAKE) --no-print-directory -j$(JOBS) test-progs
	@rm -f $(BUILD)/bats-failed
	@$(MAKE) --no-print-directory -k -j$(JOBS) -Otarget test-bats || \
	    { echo "make test: failed: $$(cat $(BUILD)/bats-failed 2>/dev/null | tr '\n' ' ')"; exit 1; }
test-progs: all $(TEST_PROGS)
test-bats: $(BATS_RUNS)
$(BATS_RUNS): bats-%:
	@echo 'bats $(strip $(BATS_FLAGS) tests/$*.bats)'
	@env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL bats $(BATS_FLAGS) tests/$*.bats || \
	    { echo tests/$*.bats >>$(BUILD)/bats-failed; exit 1; }

# make print-flags: the compiler and flags every build uses, one per line
# (for scripts that compile outside make).
print-flags:
	@echo 'CC=$(CC)'
	@echo 'CFLAGS=$(CFLAGS)'
	@echo 'SLZ_CFLAGS=$(SLZ_CFLAGS)'
	@echo 'PIC_FLAGS=$(PIC_FLAGS)'
	@echo 'LTO=$(LTO)'
	@echo 'DEPFLAGS=$(DEPFLAGS)'

clean:
	rm -rf $(BUILD) libslzmalloc.so

# the dependency files of every build above (build/mutants/ holds copies
# of the tree built by tests/can_fail.sh, with their own)
-include $(shell find $(BUILD) -path $(BUILD)/mutants -prune -o -name '*.d' -print 2>/dev/null)
