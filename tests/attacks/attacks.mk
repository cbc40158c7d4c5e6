# tests/attacks/attacks.mk - the heap-exploitation programs (tests/attacks.bats).
# Plain C programs linked with the C library only: attacks.bats runs each one
# under the shim (with a 1G and with the default heap) and bare, to put
# glibc's result beside slzmalloc's.

ATTACK_SRC = $(wildcard tests/attacks/*.c)
ATTACK_BIN = $(ATTACK_SRC:tests/attacks/%.c=$(BUILD)/attacks/%)
TEST_PROGS += $(ATTACK_BIN)

# -fno-builtin: the compiler must not drop, merge or reason about the calls
# being abused; -O1 keeps the accesses as written.
# Headers: through build/attacks/NAME.d (DEPFLAGS, see Makefile).
ATTACK_CFLAGS = -std=gnu11 -O1 -g -fno-builtin -pthread -Wall -Wno-use-after-free -Wno-free-nonheap-object \
                -Wno-alloc-size-larger-than -Wno-array-bounds -Wno-stringop-overflow
$(BUILD)/attacks/%: tests/attacks/%.c
	@mkdir -p $(@D)
	$(CC) $(DEPFLAGS) $(ATTACK_CFLAGS) -o $@ $< -pthread
