# tests/fuzz/fuzz.mk - `make fuzz`: the libFuzzer targets over the core:
# fuzz_core (exact first fit, tests/c/ops.h's model) and fuzz_cache (the
# fast mode, SLZ_CACHE, against tests/c/core_cache.c's model, the input
# drawn as its random numbers), FUZZ_TIME seconds each.
#
#   make fuzz                 build both and fuzz each for FUZZ_TIME s
#   make fuzz FUZZ_TIME=600   longer
# The corpora grow in build/fuzz/corpus and build/fuzz/corpus-cache;
# crashes land in build/fuzz/ as crash-<sha1> (replay one: build/fuzz/fuzz_core
# build/fuzz/crash-..., or fuzz_cache for the second).

FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_OPTS ?= -max_len=4096 -print_final_stats=1
FUZZ_DIR   = $(BUILD)/fuzz

.PHONY: fuzz
fuzz: $(FUZZ_DIR)/fuzz_core $(FUZZ_DIR)/fuzz_cache
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/corpus-cache
	cd $(FUZZ_DIR) && ./fuzz_core $(FUZZ_OPTS) -max_total_time=$(FUZZ_TIME) corpus
	cd $(FUZZ_DIR) && ./fuzz_cache $(FUZZ_OPTS) -max_total_time=$(FUZZ_TIME) corpus-cache

# -fsanitize=fuzzer links libFuzzer's main: objects get fuzzer-no-link
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fno-sanitize-recover=undefined -fno-builtin-malloc -Iinclude -Isrc
FUZZ_SAN    = address,undefined
FUZZ_OBJ    = $(FUZZ_DIR)/obj/fuzz_core.o $(CORE_SRC:src/%.c=$(FUZZ_DIR)/obj/%.o)

# one object per source, so that each writes its own .d (see Makefile)
$(FUZZ_DIR)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(DEPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
$(FUZZ_DIR)/obj/fuzz_core.o: tests/fuzz/fuzz_core.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(DEPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_DIR)/fuzz_core: $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^

$(FUZZ_DIR)/obj/fuzz_cache.o: tests/c/core_cache.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(DEPFLAGS) $(FUZZ_CFLAGS) -DCORE_CACHE_FUZZ -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_DIR)/fuzz_cache: $(FUZZ_DIR)/obj/fuzz_cache.o $(CORE_SRC:src/%.c=$(FUZZ_DIR)/obj/%.o)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^
