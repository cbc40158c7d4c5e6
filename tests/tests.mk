# tests/tests.mk - C programs for exact behaviour, built into build/tests/.
# Each tests/c/NAME.c becomes build/tests/NAME, linked with the core library.

TEST_C_SRC = $(wildcard tests/c/*.c)
TEST_C_BIN = $(TEST_C_SRC:tests/c/%.c=$(BUILD)/tests/%)
TEST_PROGS += $(TEST_C_BIN)

$(BUILD)/tests/%: tests/c/%.c $(BUILD)/libslz.a $(wildcard tests/c/*.h) preload/size.h
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) -Ipreload $(CFLAGS) -o $@ $< $(BUILD)/libslz.a -lpthread
