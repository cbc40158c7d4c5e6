# scripts/demo.mk - make demo: the seed's demonstration routine
# (scripts/examples/demo.c), first fit walked through one call at a time on
# a one-page heap, through the public API only. tests/demo.bats compares its
# output with tests/data/demo.out.

$(BUILD)/demo: scripts/examples/demo.c $(BUILD)/libslz.a
	@mkdir -p $(@D)
	$(COMPILE) $(CFLAGS) -o $@ $< $(BUILD)/libslz.a -lpthread

TEST_PROGS += $(BUILD)/demo

.PHONY: demo
demo: $(BUILD)/demo
	@$(BUILD)/demo
