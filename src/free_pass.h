/*
 * free_pass.h - free's pass, compiled by free.c once per line version (as
 * malloc_pass.h by alloc.c, versions.h): the frees other threads left, the
 * block's checks, its header by the version's V_USED_OK (the AVX2 version
 * keys with AES-NI unasked, compares the header's two words at once, and
 * shifts with BMI2), and its release, merged with its neighbours
 * (release_in, inlined). No include guard: it is meant to be read more
 * than once (versions.h). The check word is keyed from the head the bits
 * give, not from the head word as read (which must equal it anyway): so
 * the header the bits give and its check word are one 128-bit value,
 * compared with the header in one instruction, where keying from the word
 * read took one instruction more (its load apart, then put beside the
 * head) for rounds that begin before the bits' tests end.
 */
/* (free_op: op_begin, but h->op: set only on the ways to a report, which
 * alone read it, as malloc's pass does) */
VATTR static __attribute__((noinline)) void V(free_op)(slz_heap *h, void *p)
{
    busy(h);
    pend_taken(h, "free");
    uint32_t n, g = block_bits(h, p, "free", &n);
    slz_chunk *c = mem2chunk(p); /* (chunk_at(h, g): p passed; the header's load waits for p alone) */
    if (!CHECKED(V_USED_OK(h, c, (size_t)n * SLZ_ALIGN)))
        bad_block(h, p, "free", g);
    release_in(h, g, n, "free");
    count_free(h);
    op_end(h);
}
