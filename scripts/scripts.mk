# scripts/scripts.mk - the tools for watching the heap, and make install.
#
# build/slz-replay: replays a .rep trace through the slz core (scripts/slz-replay.c),
# linked with the core and the report layer (build/libslz.a, build/libslzreport.a:
# the heap map writer and the statistics printer the shim uses too), and the
# trace reader it shares with the benchmarks (scripts/rep.c). Nothing of the shim.

#
# slz-replay --html: the heap timeline (scripts/html.c), whose every call into
# the core is in scripts/html_core.c, and the page itself (scripts/timeline.html,
# compiled in; the data goes where its line <!--SLZ-DATA--> is).

REPLAY_SRC = scripts/slz-replay.c scripts/rep.c scripts/html.c scripts/html_core.c \
             scripts/outfile.c scripts/plot.c
REPLAY_OBJ = $(REPLAY_SRC:%.c=$(BUILD)/replay/%.o) $(BUILD)/replay/timeline.o

$(BUILD)/replay/%.o: %.c
	@mkdir -p $(@D)
	$(COMPILE) -Iscripts $(CFLAGS) -c -o $@ $<

# the page's bytes as a C array (od, sed: no tool beyond coreutils)
$(BUILD)/replay/timeline.c: scripts/timeline.html scripts/scripts.mk
	@mkdir -p $(@D)
	{ echo '/* generated from scripts/timeline.html by scripts/scripts.mk */'; \
	  echo 'const char timeline_page[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0};'; } >$@.tmp
	mv $@.tmp $@

$(BUILD)/replay/timeline.o: $(BUILD)/replay/timeline.c
	$(CC) $(CFLAGS) -c -o $@ $<

# (the link map beside it shows what went in: tests/layout.bats reads it)
$(BUILD)/slz-replay: $(REPLAY_OBJ) $(BUILD)/libslzreport.a $(BUILD)/libslz.a
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-Map,$@.map -o $@ $^

all: $(BUILD)/slz-replay
TEST_PROGS += $(BUILD)/slz-replay

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the preload library in
# $(PREFIX)/lib/slzmalloc/ (where slz-run looks for it, beside ../lib from its
# bin/), the core as a static library with its header, and the two tools.
PREFIX ?= /usr/local
INSTALL ?= install

.PHONY: install uninstall
install: all
	$(INSTALL) -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/include" \
		"$(DESTDIR)$(PREFIX)/lib/slzmalloc"
	$(INSTALL) -m 755 libslzmalloc.so "$(DESTDIR)$(PREFIX)/lib/slzmalloc/libslzmalloc.so"
	$(INSTALL) -m 644 $(BUILD)/libslz.a "$(DESTDIR)$(PREFIX)/lib/libslz.a"
	$(INSTALL) -m 644 include/slz.h "$(DESTDIR)$(PREFIX)/include/slz.h"
	$(INSTALL) -m 755 scripts/slz-run "$(DESTDIR)$(PREFIX)/bin/slz-run"
	$(INSTALL) -m 755 $(BUILD)/slz-replay "$(DESTDIR)$(PREFIX)/bin/slz-replay"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/lib/slzmalloc/libslzmalloc.so" "$(DESTDIR)$(PREFIX)/lib/libslz.a" \
		"$(DESTDIR)$(PREFIX)/include/slz.h" "$(DESTDIR)$(PREFIX)/bin/slz-run" \
		"$(DESTDIR)$(PREFIX)/bin/slz-replay"
	-rmdir "$(DESTDIR)$(PREFIX)/lib/slzmalloc"
