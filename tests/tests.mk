# tests/tests.mk - C programs for exact behaviour, built into build/tests/.
# Each tests/c/NAME.c becomes build/tests/NAME, linked with the core library
# (its headers are tracked through build/tests/NAME.d, see Makefile).

TEST_C_SRC = $(wildcard tests/c/*.c)
TEST_C_BIN = $(TEST_C_SRC:tests/c/%.c=$(BUILD)/tests/%)
TEST_PROGS += $(TEST_C_BIN)

$(BUILD)/tests/%: tests/c/%.c $(BUILD)/libslz.a
	@mkdir -p $(@D)
	$(COMPILE) -Ipreload $(CFLAGS) -o $@ $< $(BUILD)/libslz.a -lpthread
