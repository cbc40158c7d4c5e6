# tests/registry.mk - the registry of glibc's blocks (preload/registry.c)
# under ThreadSanitizer: tests/c/registry_stress.c (which includes the
# registry's source; its plain build comes from tests.mk) into build/tsan/.

TSAN_DIR = $(BUILD)/tsan
TEST_PROGS += $(TSAN_DIR)/registry_stress

$(TSAN_DIR)/registry_stress: tests/c/registry_stress.c
	@mkdir -p $(@D)
	$(COMPILE) -Ipreload -O1 -g -fsanitize=thread -o $@ $< -lpthread
