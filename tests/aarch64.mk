# tests/aarch64.mk - make test-aarch64: the core, its C tests and the shim
# cross-compiled for aarch64 with Debian's gcc-aarch64-linux-gnu into
# build/aarch64/ (src/index.c's line operations in plain C: no SSE2 there),
# then run under qemu-user (tests/aarch64.sh). Not part of make test: it
# needs the cross compiler and qemu-aarch64.

A64_CC    = aarch64-linux-gnu-gcc
A64_DIR   = $(BUILD)/aarch64
A64_CORE  = $(CORE_SRC:src/%.c=$(A64_DIR)/core/%.o)
A64_PIC   = $(CORE_SRC:src/%.c=$(A64_DIR)/pic/%.o) $(REPORT_SRC:src/%.c=$(A64_DIR)/pic/%.o) \
            $(SHIM_SRC:preload/%.c=$(A64_DIR)/pic/%.o)
# every core test, and the shim tests that run under tests/aarch64.sh
A64_TESTS = $(patsubst tests/c/%.c,$(A64_DIR)/tests/%,$(wildcard tests/c/core_*.c tests/c/hook_*.c)) \
            $(addprefix $(A64_DIR)/tests/,shim_errno shim_align shim_calloc shim_threads shim_glibc_places)
A64_COMPILE = $(A64_CC) $(DEPFLAGS) $(SLZ_CFLAGS)

.PHONY: test-aarch64 aarch64-build
test-aarch64: aarch64-build
	tests/aarch64.sh $(A64_DIR)
aarch64-build: $(A64_TESTS) $(A64_DIR)/libslzmalloc.so

$(A64_DIR)/core/%.o: src/%.c
	@mkdir -p $(@D)
	$(A64_COMPILE) $(CFLAGS) -c -o $@ $<

$(A64_DIR)/pic/%.o: src/%.c
	@mkdir -p $(@D)
	$(A64_COMPILE) $(PIC_FLAGS) $(CFLAGS) -c -o $@ $<

$(A64_DIR)/pic/%.o: preload/%.c
	@mkdir -p $(@D)
	$(A64_COMPILE) $(PIC_FLAGS) $(CFLAGS) -c -o $@ $<

$(A64_DIR)/libslzmalloc.so: $(A64_PIC)
	$(A64_CC) -shared $(LTO) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpthread -ldl

# linked with the core's objects (no archive: the host's ar does not index
# aarch64 objects)
A64_LINK  = $(A64_CORE)
$(A64_DIR)/tests/%: tests/c/%.c $(A64_CORE)
	@mkdir -p $(@D)
	$(A64_COMPILE) -Ipreload $(CFLAGS) -o $@ $< $(A64_LINK) -lpthread

# hook_drain_gap: linked with the core built with its hook instead (as in
# tests/tests.mk)
A64_HOOK  = $(CORE_SRC:src/%.c=$(A64_DIR)/hook/%.o)
$(A64_DIR)/hook/%.o: src/%.c
	@mkdir -p $(@D)
	$(A64_COMPILE) $(CFLAGS) -DSLZ_DRAIN_GAP=drain_gap -c -o $@ $<
$(A64_DIR)/tests/hook_drain_gap: $(A64_HOOK)
$(A64_DIR)/tests/hook_drain_gap: A64_LINK = $(A64_HOOK)
