# tests/sanitize.mk - the core's C tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer (core and test instrumented alike) into
# build/asan/; tests/sanitize.bats runs them, and the plain builds in
# build/tests/ under valgrind memcheck. The core's tests with threads are
# also built with ThreadSanitizer into build/tsan/.

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

# ThreadSanitizer: the tests whose threads share a heap (every protocol
# between threads has one)
TSAN_DIR   = $(BUILD)/tsan
# (TSan does not model fences: every access the protocols share is an
# atomic one, so it needs none to see them; -Wno-tsan quiets its warning)
TSAN_FLAGS = -O1 -g -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_BIN   = $(TSAN_DIR)/core_handover $(TSAN_DIR)/core_reports $(TSAN_DIR)/core_drain $(TSAN_DIR)/core_grow_threads
TEST_PROGS += $(TSAN_BIN)
TSAN_CORE  = $(CORE_SRC:src/%.c=$(TSAN_DIR)/obj/%.o)
TSAN_BIN  += $(TSAN_DIR)/core_cache_threads # (TEST_PROGS expands it when used)

$(TSAN_DIR)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(TSAN_FLAGS) -c -o $@ $<

$(TSAN_DIR)/%: tests/c/%.c $(TSAN_CORE)
	@mkdir -p $(@D)
	$(COMPILE) $(TSAN_FLAGS) -o $@ $< $(TSAN_CORE) -lpthread

.SECONDARY: $(TSAN_CORE)
