/*
 * free_pass.h - free's pass, compiled by free.c once per line version (as
 * malloc_pass.h by alloc.c, versions.h): the frees other threads left, the
 * block's checks, its header's check word by the version's V_CHECK (the
 * AVX2 version keys with AES-NI unasked, and shifts with BMI2), and its
 * release, merged with its neighbours (release_in, inlined). No include
 * guard: it is meant to be read more than once (versions.h). The check
 * word is keyed from the head word as read (seen), which must equal the
 * head the bits give (head) anyway: the same check, but its ten dependent
 * rounds (chunk.h) start at the header's load, beside the bits' tests,
 * not after them (the compiler, left to itself, keys with head).
 */
/* (free_op: op_begin, but h->op: set only on the ways to a report, which
 * alone read it, as malloc's pass does) */
VATTR static __attribute__((noinline)) void V(free_op)(slz_heap *h, void *p)
{
    busy(h);
    pend_taken(h, "free");
    uint32_t n, g = block_bits(h, p, "free", &n);
    slz_chunk *c = mem2chunk(p); /* (chunk_at(h, g): p passed; the header's load waits for p alone) */
    uintptr_t head = (size_t)n * SLZ_ALIGN | SLZ_INUSE, seen = c->head, want = V_CHECK(h, c, seen);
    __asm__("" : "+r"(want)); /* (keyed before the compare, so from seen) */
    if (!CHECKED(seen == head && c->check == want))
        bad_block(h, p, "free", g);
    release_in(h, g, n, "free");
    count_free(h);
    op_end(h);
}
