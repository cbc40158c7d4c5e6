/*
 * attacks.h - shared by the heap-exploitation programs in tests/attacks/.
 *
 * Each program tries one classic technique against whatever allocator serves
 * it: slzmalloc under LD_PRELOAD, glibc when run bare (attacks.bats puts the
 * two side by side). Each ends in one of three ways:
 *   - the allocator stops it: slzmalloc prints one "slzmalloc: ..." line and
 *     aborts (glibc prints its own message and aborts);
 *   - the goal is not reached: "goal not reached: <why>" on stdout, exit 0;
 *   - the goal is reached: "GOAL REACHED: <what>" on stdout, exit 1.
 * Nothing is printed before the end (stdio would allocate and move blocks):
 * the one line is formatted into a static buffer and written with write(2),
 * and the program leaves with _exit() so that no exit handler touches a
 * heap it has damaged.
 *
 * The programs aim with the placement rule of the allocator they attack: a
 * block allocated right after another lies directly after it. Where a
 * technique needs the chunk layout, the program learns it as an attacker
 * would, by reading the bytes just below two adjacent blocks (layout()).
 */
#ifndef SLZ_ATTACKS_H
#define SLZ_ATTACKS_H
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ATK_FN __attribute__((unused)) static

/* opaque: hide p from the optimiser so that every access really happens. */
ATK_FN inline void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

static char atk_line[512];

ATK_FN void atk_say(int fd, const char *prefix, const char *fmt, va_list ap)
{
    size_t n = strlen(prefix);
    memcpy(atk_line, prefix, n);
    int m = vsnprintf(atk_line + n, sizeof atk_line - n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    n += (size_t)m < sizeof atk_line - n - 1 ? (size_t)m : sizeof atk_line - n - 2;
    atk_line[n++] = '\n';
    ssize_t r = write(fd, atk_line, n);
    (void)r;
}

/* reached: the attacker's goal was reached. */
__attribute__((format(printf, 1, 2), noreturn)) ATK_FN void reached(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    atk_say(1, "GOAL REACHED: ", fmt, ap);
    va_end(ap);
    _exit(1);
}

/* not_reached: the attack ran to its end without reaching its goal. */
__attribute__((format(printf, 1, 2), noreturn)) ATK_FN void not_reached(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    atk_say(1, "goal not reached: ", fmt, ap);
    va_end(ap);
    _exit(0);
}

__attribute__((noreturn)) ATK_FN void usage(const char *text)
{
    ssize_t r = write(2, text, strlen(text));
    (void)r;
    _exit(2);
}

#define IS(s, lit) (!strcmp((s), (lit)))

/* overlap: whether [p, p + n) and [q, q + m) share a byte. */
ATK_FN int overlap(const void *p, size_t n, const void *q, size_t m)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)q;
    return a < b + m && b < a + n;
}

/* ---- The chunk layout, learnt from two adjacent blocks ------------------ */

/* The two layouts an attacker meets here:
 *   SLZ:   16-byte header before the payload: word 0 size|flags (4 flag
 *          bits), word 1 a keyed check word;
 *   GLIBC: the size|flags word (3 flag bits) just before the payload, the
 *          word before it the previous chunk's size (or its last data). */
enum atk_layout { LAYOUT_UNKNOWN, LAYOUT_SLZ, LAYOUT_GLIBC };

/* layout: which layout a and b (allocated one after the other, b directly
 * above a) show: the size word just below a says how far b is. */
ATK_FN enum atk_layout layout(const void *a, const void *b)
{
    const uintptr_t *w = a;
    uintptr_t d = (uintptr_t)b - (uintptr_t)a;
    if ((uintptr_t)b <= (uintptr_t)a)
        return LAYOUT_UNKNOWN;
    if ((w[-2] & ~(uintptr_t)15) == d)
        return LAYOUT_SLZ;
    if ((w[-1] & ~(uintptr_t)7) == d)
        return LAYOUT_GLIBC;
    return LAYOUT_UNKNOWN;
}

/* size_word: where the size|flags word of block p lies in layout l. */
ATK_FN uintptr_t *size_word(void *p, enum atk_layout l)
{
    return (uintptr_t *)p - (l == LAYOUT_SLZ ? 2 : 1);
}

ATK_FN uintptr_t flag_bits(enum atk_layout l) { return l == LAYOUT_SLZ ? 15 : 7; }

/* chunk_of: where block p's chunk begins (both layouts: 16 bytes below). */
ATK_FN char *chunk_of(void *p) { return (char *)p - 16; }

/* need_layout: the layout of a and b, or end the attack: if the blocks are
 * not adjacent the attacker cannot aim. */
ATK_FN enum atk_layout need_layout(const void *a, const void *b)
{
    enum atk_layout l = layout(a, b);
    if (l == LAYOUT_UNKNOWN)
        not_reached("cannot aim: blocks %p and %p are not adjacent chunks of a known layout", a, b);
    return l;
}

/* ---- /proc/self/maps, read without allocating ------------------------ */

struct atk_map {
    uintptr_t lo, hi;
    char perms[5];
};

static char atk_maps_text[1 << 17];
static struct atk_map atk_maps[1024];

/* read_maps: the process's mappings, in address order; returns the count. */
ATK_FN int read_maps(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0)
        return 0;
    size_t len = 0;
    ssize_t r;
    while (len < sizeof atk_maps_text - 1 && (r = read(fd, atk_maps_text + len, sizeof atk_maps_text - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    atk_maps_text[len] = 0;
    int n = 0;
    char *s = atk_maps_text;
    while (*s && n < (int)(sizeof atk_maps / sizeof atk_maps[0])) {
        struct atk_map *m = &atk_maps[n];
        m->lo = strtoull(s, &s, 16);
        if (*s == '-')
            s++;
        m->hi = strtoull(s, &s, 16);
        while (*s == ' ')
            s++;
        memcpy(m->perms, s, 4);
        m->perms[4] = 0;
        n++;
        while (*s && *s != '\n')
            s++;
        if (*s)
            s++;
    }
    return n;
}

/* map_index: the mapping (of the n read) holding address a, or -1. */
ATK_FN int map_index(int n, uintptr_t a)
{
    for (int i = 0; i < n; i++)
        if (atk_maps[i].lo <= a && a < atk_maps[i].hi)
            return i;
    return -1;
}

/* ---- Blocks glibc serves ---------------------------------------------- */

extern char end[]; /* the end of the program's image: glibc's main heap lies above */

/* from_glibc_heap: p lies in glibc's main heap (between the image and the
 * program break): glibc served it (in the main thread). */
ATK_FN int from_glibc_heap(const void *p) { return (const char *)p >= end && (const char *)p < (char *)sbrk(0); }

/* fill_heap: under the shim, fill the thread's slz heap so that small
 * requests go to glibc (as an attacker would, to reach glibc's weaker
 * lists): rounds of 16 blocks, each round's size a sixteenth of the one
 * before, from 64 MiB (the largest request a 1G heap serves) down to 16
 * bytes, until a probe of n bytes comes from glibc's main heap. Every block
 * is kept. Returns whether requests of n bytes now go to glibc (bare
 * glibc: at once). */
ATK_FN int fill_heap(size_t n)
{
    static const size_t sizes[] = {64 << 20, 4 << 20, 256 << 10, 16 << 10, 1024, 256, 64, 32, 16};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (from_glibc_heap(opaque(malloc(n))))
            return 1;
        for (int k = 0; k < 16; k++)
            opaque(malloc(sizes[i]));
    }
    return from_glibc_heap(opaque(malloc(n)));
}

#endif
