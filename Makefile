# slzmalloc - make: build everything; make test: run the whole suite.

CC      ?= cc
CFLAGS  ?= -O2 -g
# project flags, kept apart so that a user's CFLAGS adds rather than replaces
SLZ_CFLAGS = -std=gnu11 -Wall -Wextra -Wshadow -fno-builtin-malloc -Iinclude -Isrc
PIC_FLAGS  = -fPIC -fvisibility=hidden -DSLZ_EXPORT= -ftls-model=initial-exec

CORE_SRC  = $(wildcard src/*.c)
SHIM_SRC  = $(wildcard preload/*.c)
CORE_HDR  = include/slz.h src/chunk.h

BUILD     = build
CORE_OBJ  = $(CORE_SRC:src/%.c=$(BUILD)/core/%.o)
PIC_OBJ   = $(CORE_SRC:src/%.c=$(BUILD)/pic/%.o) $(SHIM_SRC:preload/%.c=$(BUILD)/pic/%.o)

# Programs the tests need; the fragments below add to it.
TEST_PROGS =

.PHONY: all test clean
all: libslzmalloc.so $(BUILD)/libslz.a

libslzmalloc.so: $(PIC_OBJ)
	$(CC) -shared $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpthread -ldl

$(BUILD)/libslz.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/core/%.o: src/%.c $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: src/%.c $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) $(PIC_FLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: preload/%.c preload/shim.h preload/size.h $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(SLZ_CFLAGS) $(PIC_FLAGS) $(CFLAGS) -c -o $@ $<

# Each area keeps its own rules beside its files.
include $(wildcard tests/*.mk tests/*/*.mk scripts/*.mk)

# make test: build everything, then run every bats file in tests/.
test: all $(TEST_PROGS)
	bats $(BATS_FLAGS) tests/

clean:
	rm -rf $(BUILD) libslzmalloc.so
