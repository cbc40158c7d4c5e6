# tests/sanitize.mk - the core's C tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer (core and test instrumented alike) into
# build/asan/; tests/sanitize.bats runs them, and the plain builds in
# build/tests/ under valgrind memcheck.

ASAN_DIR   = $(BUILD)/asan
SAN_FLAGS  = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CORE_TESTS = $(wildcard tests/c/core_*.c)
ASAN_BIN   = $(CORE_TESTS:tests/c/%.c=$(ASAN_DIR)/%)
TEST_PROGS += $(ASAN_BIN)

ASAN_CORE  = $(CORE_SRC:src/%.c=$(ASAN_DIR)/obj/%.o)

# the core as objects (each compile writes its own .d, see Makefile)
$(ASAN_DIR)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(SAN_FLAGS) -c -o $@ $<

$(ASAN_DIR)/%: tests/c/%.c $(ASAN_CORE)
	@mkdir -p $(@D)
	$(COMPILE) $(SAN_FLAGS) -o $@ $< $(ASAN_CORE) -lpthread

# the objects are kept (not intermediate files make deletes after the build):
# the next make would rebuild them, and the programs after them, every time
.SECONDARY: $(ASAN_CORE)
