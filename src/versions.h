/*
 * versions.h - compiles the file SLZ_VERSIONED names once per line version
 * (lines.h): on x86-64 with the suffix _avx2 (VATTR: AVX2's target
 * attribute) and _sse2, elsewhere _plain; V(name) is name with the
 * version's suffix. Then line_max_default and ge_mask_default name the
 * baseline version's line operations (the ones every CPU of the
 * architecture has). index.c compiles the index's hot paths this way,
 * alloc.c malloc's pass, free.c free's. V_CLEAN_UPPER(): in the AVX2 version, the upper
 * halves of the vector registers cleared (vzeroupper) before legacy SSE
 * code runs: the AES rounds of the check word (chunk.h) are legacy SSE, and
 * after 256-bit code with dirty upper halves each costs a state transition
 * (measured: two thirds of malloc's time, perf). V_WRITE_USED(h, c, size):
 * chunk c's header written, in use with size bytes, and its check word
 * (write_header's); V_USED_OK(h, c, size): it reads so (header_ok's). The
 * AVX2 version runs only where the CPU has AES-NI too (index_pick_lines): it
 * keys with the AES function without asking the CPU, in VEX encoding
 * (keyed_aes_vex, chunk.h: no legacy SSE after 256-bit code, no
 * V_CLEAN_UPPER before it), and stores or compares the two words at once.
 */
#ifndef SLZ_VERSIONS_H
#define SLZ_VERSIONS_H
#include "lines.h"

#ifdef SLZ_LINES_X86
/* write_used_avx2: the header (size | U, check word) in one 16-byte store.
 * used_ok_avx2: the header the bits give, with its check word, against the
 * header read: one 16-byte compare, one branch. (The rounds wait for the
 * size, from the bits, not for the header's load: the same check, and as
 * soon.) Head size + SLZ_INUSE: size is a multiple of 16, and + is one lea.
 * The other versions call write_header and header_ok themselves. */
SLZ_AVX2 static inline void write_used_avx2(const slz_heap *h, slz_chunk *c, size_t size)
{
    _mm_store_si128((__m128i *)c, keyed_aes_vex_pair(h->rk, (uintptr_t)c, size + SLZ_INUSE));
}
SLZ_AVX2 static inline int used_ok_avx2(const slz_heap *h, const slz_chunk *c, size_t size)
{
    __m128i d = _mm_xor_si128(keyed_aes_vex_pair(h->rk, (uintptr_t)c, size + SLZ_INUSE),
                              _mm_load_si128((const __m128i *)c));
    return _mm_testz_si128(d, d);
}
#endif

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define V(name) CAT(name, SFX)
#ifdef SLZ_LINES_X86
#define SFX _avx2
#define VATTR SLZ_AVX2
#define V_CLEAN_UPPER() _mm256_zeroupper()
#define V_WRITE_USED(h, c, size) write_used_avx2(h, c, size)
#define V_USED_OK(h, c, size) used_ok_avx2(h, c, size)
#include SLZ_VERSIONED
#undef SFX
#undef VATTR
#undef V_CLEAN_UPPER
#undef V_WRITE_USED
#undef V_USED_OK
#define SFX _sse2
#define VATTR
#define V_CLEAN_UPPER() ((void)0)
#define V_WRITE_USED(h, c, size) write_header(h, c, size, 1)
#define V_USED_OK(h, c, size) header_ok(h, c, size, 1)
#include SLZ_VERSIONED
#define line_max_default line_max_sse2
#define ge_mask_default ge_mask_sse2
#else
#define SFX _plain
#define VATTR
#define V_CLEAN_UPPER() ((void)0)
#define V_WRITE_USED(h, c, size) write_header(h, c, size, 1)
#define V_USED_OK(h, c, size) header_ok(h, c, size, 1)
#include SLZ_VERSIONED
#define line_max_default line_max_plain
#define ge_mask_default ge_mask_plain
#endif

#endif /* SLZ_VERSIONS_H */
