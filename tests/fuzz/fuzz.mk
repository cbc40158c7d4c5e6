# tests/fuzz/fuzz.mk - `make fuzz`: the libFuzzer target over the core.
#
#   make fuzz                 build build/fuzz/fuzz_core and fuzz for FUZZ_TIME s
#   make fuzz FUZZ_TIME=600   longer
# The corpus grows in build/fuzz/corpus; crashes land in build/fuzz/ as
# crash-<sha1> (replay one: build/fuzz/fuzz_core build/fuzz/crash-...).

FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_OPTS ?= -max_len=4096 -print_final_stats=1
FUZZ_DIR   = $(BUILD)/fuzz

.PHONY: fuzz
fuzz: $(FUZZ_DIR)/fuzz_core
	@mkdir -p $(FUZZ_DIR)/corpus
	cd $(FUZZ_DIR) && ./fuzz_core $(FUZZ_OPTS) -max_total_time=$(FUZZ_TIME) corpus

$(FUZZ_DIR)/fuzz_core: tests/fuzz/fuzz_core.c tests/c/ops.h $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-fno-builtin-malloc -Iinclude -Isrc -o $@ tests/fuzz/fuzz_core.c $(CORE_SRC)

# core_random shares the decoder: rebuild it when ops.h changes.
$(BUILD)/tests/core_random: tests/c/ops.h
