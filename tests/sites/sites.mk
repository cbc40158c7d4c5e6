# tests/sites/sites.mk - the programs of tests/sites.bats: plain C with debug
# information (-g -O0), so that slz-run --sites can name their functions
# and lines.

SITES_SRC = $(wildcard tests/sites/*.c)
SITES_BIN = $(SITES_SRC:tests/sites/%.c=$(BUILD)/sites/%)
TEST_PROGS += $(SITES_BIN)

# -fno-builtin: the compiler must not drop or merge the calls being misused.
$(BUILD)/sites/%: tests/sites/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O0 -g -fno-builtin -Wall -Wno-use-after-free -Wno-free-nonheap-object -o $@ $< -lpthread
