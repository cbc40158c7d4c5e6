# tests/misuse/misuse.mk - the deliberate-misuse programs (tests/misuse.bats).
# Plain C programs linked with the C library only: misuse.bats runs each one
# under the shim and bare, to put glibc's behaviour beside slzmalloc's.

MISUSE_SRC = $(wildcard tests/misuse/*.c)
MISUSE_BIN = $(MISUSE_SRC:tests/misuse/%.c=$(BUILD)/misuse/%)
TEST_PROGS += $(MISUSE_BIN)

# -fno-builtin: the compiler must not drop or merge the calls being misused.
# Headers: through build/misuse/NAME.d (DEPFLAGS, see Makefile).
MISUSE_CFLAGS = -std=gnu11 -O1 -g -fno-builtin -Wall -Wno-use-after-free -Wno-free-nonheap-object \
                -Wno-alloc-size-larger-than
$(BUILD)/misuse/%: tests/misuse/%.c
	@mkdir -p $(@D)
	$(CC) $(DEPFLAGS) $(MISUSE_CFLAGS) -o $@ $<
