/*
 * quarantine.c - the secure profile (SLZ_SECURE): the fast mode's hold
 * (cache.h) used as a quarantine instead of a cache.
 *
 * A first-fit heap hands a freed block out again at once, often to the next
 * request of any size that fits: a stale free(p) after that frees the new
 * owner's block, and the new owner reads what the old one left there. In
 * the secure profile a freed block is cleared (its payload zeroed) and held
 * back in a FIFO ring, out of band, its cached bit set: it stays in use for
 * the core, which neither merges it nor hands it out, and every check of a
 * block pointer (free.c's block_grain) reports a free, realloc or usable
 * size of it as the double free it is. The oldest block leaves, with a real
 * free and merging, when the ring has no slot or the bound in bytes no room
 * (1/16 of the arena, at most SLZ_QUARANTINE_BYTES); all of them leave when
 * a request would fail (the caller asks again, as with the cache) and when
 * the heap is flushed or collected (thread exit: a heap another thread takes
 * over has nothing held back, and every block freed by slz_free on it was
 * cleared). Nothing is ever served from the ring: placement is exact first
 * fit, with the held blocks in use. A block larger than the bound is cleared
 * and freed at once.
 *
 * On leaving, the block's canary and zeros are checked: a write after free
 * is reported.
 *
 * Frees from other threads (slz_free_deferred: pending bits) are taken into
 * the ring by the owner before each malloc and free (collect, until none is
 * left: more may be marked while it takes). Only the owner drains, so the
 * ordering is pending_drain's (pending.h). One marked in the few instructions
 * between collect's last look and the core's own (heap_malloc, live_block),
 * or while the owner is in realloc or memalign, is taken by the core's
 * heap_collect, which frees it into the heap uncleared and without waiting
 * (tests/c/core_cache_threads.c counts such blocks: 0 in its plain runs,
 * 265 of 50,000 under ThreadSanitizer, whose slowness widens the window).
 * realloc's leftovers take the same ways (free.c, secure): the old place of
 * a block it moves is held like a freed block, the tail it cuts off is
 * cleared and freed.
 */
#include <errno.h>
#include <string.h>

#include "cache.h"

static _Noreturn __attribute__((noinline, cold)) void damaged(slz_heap *h, slz_chunk *ch, const char *what)
{
    slz_misuse(h->op, what, chunk2mem(ch));
}

/* payload_zero: the chunk's payload after its canary is all zero (its
 * first byte is, and every byte equals the one after it: memcmp's speed). */
static int payload_zero(const slz_heap *h, uint32_t g)
{
    const char *b = (const char *)chunk2mem(chunk_at(h, g)) + sizeof(uintptr_t);
    size_t n = (size_t)grains_of(h, g) * SLZ_ALIGN - SLZ_HDR - sizeof(uintptr_t);
    return b[0] == 0 && memcmp(b, b + 1, n - 1) == 0;
}

/* leave: the oldest held block is checked (its zeros, and its header and
 * the next one's as slz_free checks them) and freed into the heap. */
static void leave(slz_heap *h, struct slz_cache *c)
{
    uint32_t g = RING(c, c->qhead);
    slz_chunk *ch = chunk_at(h, g);
    c->qhead = (c->qhead + 1) % QUARANTINE_BLOCKS;
    c->qlen--;
    c->room += (size_t)grains_of(h, g) * SLZ_ALIGN;
    uint32_t k = grains_of(h, g), nx = g + k;
    cache_mark(c, g, 0);
    ch->head &= ~SLZ_CACHED; /* (held: K in its header, as a cached block's) */
    if (!CHECKED(canary_off(ch) == 0 && payload_zero(h, g)))
        damaged(h, ch, "freed block written in the quarantine (write after free?)");
    if (!header_ok(h, ch, (size_t)k * SLZ_ALIGN, 1)) /* the checks of free.c's checked_block */
        damaged(h, ch, "corrupted chunk header (write past the end of the block below?)");
    if (nx < h->grains && !header_ok(h, chunk_at(h, nx), (size_t)grains_of(h, nx) * SLZ_ALIGN, is_used(h, nx)) &&
        !cache_header_ok(h, nx)) /* (a held neighbour has K in its header) */
        damaged(h, ch, "corrupted next chunk (write past the end of a block?)");
    ch->canary = 0;
    release(h, g); /* (not live_block: it would take other threads' frees past the ring; its free was counted when it came in) */
}

void quarantine_flush(slz_heap *h)
{
    while (h->cache->qlen)
        leave(h, h->cache);
}

/* hold: the live block at g (checked) is cleared and joins the ring; the
 * oldest leave to make room. */
static void hold(slz_heap *h, uint32_t g)
{
    struct slz_cache *c = h->cache;
    size_t size = (size_t)grains_of(h, g) * SLZ_ALIGN;
    slz_chunk *ch = chunk_at(h, g);
    memset(chunk2mem(ch), 0, size - SLZ_HDR); /* no secret for the next owner */
    h->st.frees++;
    if (size > c->bound) {
        release(h, g);
        return;
    }
    while (c->qlen == QUARANTINE_BLOCKS || size > c->room)
        leave(h, c);
    RING(c, (c->qhead + c->qlen) % QUARANTINE_BLOCKS) = g;
    c->qlen++;
    c->room -= size;
    cache_mark(c, g, 1);
    ch->head |= SLZ_CACHED; /* a free of it fails block_grain's header compare: reported as double free */
    ch->canary = canary_of(h, ch);
}

/* take: the blocks another thread freed (slz_free_deferred; granules g +
 * the bits of w) join the ring as the owner's frees do, checked as free.c's
 * take_pending checks them. */
static void take(slz_heap *h, uint32_t g, uint64_t w, void *arg)
{
    (void)arg;
    for (; w; w &= w - 1)
        hold(h, live_block(h, chunk2mem(chunk_at(h, g + (uint32_t)__builtin_ctzll(w)))));
}
#define PENDING_TAKE take
#include "pending.h"

/* collect: the frees of other threads taken into the ring (the core's
 * heap_collect would free them into the heap uncleared). The owner calls it
 * before it checks or places a block; a free marked after this point is
 * taken by the core (see the head of this file). */
static void collect(slz_heap *h)
{
    while (__atomic_load_n(&h->pend_any, __ATOMIC_RELAXED)) /* (more may come while it takes) */
        pending_drain(h, NULL);
}

/* quarantine_free: block p, checked as slz_free checks it (a held block is a
 * double free), is held. */
void quarantine_free(slz_heap *h, void *p)
{
    collect(h);
    hold(h, live_block(h, p));
}

/* quarantine_malloc: first fit; if the heap refuses, the ring empties into
 * it and first fit is asked again. */
void *quarantine_malloc(slz_heap *h, size_t n)
{
    int e = errno;
    collect(h);
    void *p = heap_malloc(h, n);
    if (p == NULL && cache_refused(h, e))
        p = heap_malloc(h, n);
    return p;
}

/* quarantine_check: invariants Q1-Q3 (cache.h). */
size_t quarantine_check(const slz_heap *h, size_t cells, const char **first)
{
    const struct slz_cache *c = h->cache;
    size_t bad = 0, bytes = 0, set = 0;
    for (uint32_t i = 0; i < c->qlen; i++) {
        uint32_t g = RING(c, (c->qhead + i) % QUARANTINE_BLOCKS);
        if (g >= h->grains || !is_start(h, g) || !is_used(h, g) || !cache_holds(h, g)) {
            if (bad++ == 0)
                *first = "a quarantined block is not a used chunk with its cached bit";
            continue;
        }
        bytes += (size_t)grains_of(h, g) * SLZ_ALIGN;
        if ((canary_off(chunk_at(h, g)) != 0 || !payload_zero(h, g)) && bad++ == 0)
            *first = "a quarantined block's canary or zeros are damaged";
    }
    for (size_t w = 0; w < mark_words(cells); w++)
        set += (size_t)__builtin_popcountll(c->bits[w]);
    if ((bytes != cache_bytes(c) || c->room > c->bound || c->qlen > QUARANTINE_BLOCKS) && bad++ == 0)
        *first = "the quarantine's totals disagree with its ring";
    if (set != c->qlen && bad++ == 0)
        *first = "a cached bit without a quarantined block";
    return bad;
}

/* quarantine_hold: realloc moved the block at g (checked): its old place is
 * held as a freed block is. */
void quarantine_hold(slz_heap *h, uint32_t g) { hold(h, g); }
