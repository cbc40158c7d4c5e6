# tests/tests.mk - C programs for exact behaviour, built into build/tests/.
# Each tests/c/NAME.c becomes build/tests/NAME, linked with the core library
# (its headers are tracked through build/tests/NAME.d, see Makefile).

TEST_C_SRC = $(wildcard tests/c/*.c)
TEST_C_BIN = $(TEST_C_SRC:tests/c/%.c=$(BUILD)/tests/%)
TEST_PROGS += $(TEST_C_BIN)

$(BUILD)/tests/%: tests/c/%.c $(BUILD)/libslz.a
	@mkdir -p $(@D)
	$(COMPILE) -Ipreload $(CFLAGS) -o $@ $< $(BUILD)/libslz.a -lpthread

# hook_*: a race's window met deterministically. Such a program is linked
# with the core built with the test's hook compiled in (build/hook/: here
# SLZ_DRAIN_GAP, src/pending.h); this rule, not the one above, builds it.
HOOK_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/hook/%.o)
$(BUILD)/hook/%.o: src/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(CFLAGS) -DSLZ_DRAIN_GAP=drain_gap -c -o $@ $<

$(BUILD)/tests/hook_drain_gap: tests/c/hook_drain_gap.c $(HOOK_OBJ)
	@mkdir -p $(@D)
	$(COMPILE) -Ipreload $(CFLAGS) -o $@ $< $(HOOK_OBJ) -lpthread
