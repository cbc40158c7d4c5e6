/*
 * lines.h - the two operations on a line of the first-fit index (16 uint32
 * entries, one 64-byte cache line): the first entry >= need, and the
 * largest entry. Three versions:
 *
 *   sse2   x86-64's baseline: four 4-lane signed compares on entries whose
 *          sign bit is flipped (SSE2 has no unsigned compare or max)
 *   avx2   two 8-lane compares (signed: entries below 2^31) and an
 *          unsigned max; compiled with
 *          __attribute__((target("avx2"))) so that the library itself
 *          needs no -mavx2: index.c builds its hot functions once per
 *          version and picks one at load time (index.c, "Line versions")
 *   plain  any other machine: a loop the compiler may vectorise
 *
 * fit_mask: the walk's form of ge_mask: its lowest set bit is the first
 * entry >= need, and it has none below bit 16 when no entry is (ge_mask
 * itself in sse2 and plain).
 *
 * LINE_FN(name) names the version being compiled; index.c includes this
 * file's users twice on x86-64. Each first_ge/ge_mask/line_max is static
 * inline: it inlines into the walk that calls it, in that walk's version.
 */
#ifndef SLZ_LINES_H
#define SLZ_LINES_H

#include <stdint.h>

#if defined(__x86_64__) && !defined(SLZ_LINES_PLAIN) /* (SLZ_LINES_PLAIN: plain C on x86-64 too, for tests) */
#include <immintrin.h>
#define SLZ_LINES_X86 1
#endif

/* ---- plain C: every machine ---------------------------------------------- */
/* (unrolled: a loop's exit would mispredict on every call) */
static inline unsigned ge_mask_plain(const uint32_t *line, uint32_t need)
{
    unsigned m = 0;
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        m |= (unsigned)(line[i] >= need) << i;
    return m;
}
/* line_but: the line's largest entry but entry i (read before i is
 * stored: index_walk.h, fall_read); line_max: the largest of all (i 16). */
static inline uint32_t line_but_plain(const uint32_t *line, unsigned i)
{
    uint32_t m = 0;
#pragma GCC unroll 16
    for (unsigned j = 0; j < 16; j++)
        m = j != i && line[j] > m ? line[j] : m;
    return m;
}
static inline uint32_t line_max_plain(const uint32_t *line) { return line_but_plain(line, 16); }
static inline unsigned fit_mask_plain(const uint32_t *line, uint32_t need) { return ge_mask_plain(line, need); }

#ifdef SLZ_LINES_X86
/* ---- SSE2 ---------------------------------------------------------------- */
static inline unsigned ge_mask_sse2(const uint32_t *line, uint32_t need)
{
    const __m128i flip = _mm_set1_epi32((int)0x80000000u), lim = _mm_set1_epi32((int)((need - 1) ^ 0x80000000u));
    const __m128i *p = (const __m128i *)line;
    __m128i a = _mm_xor_si128(_mm_load_si128(p), flip), b = _mm_xor_si128(_mm_load_si128(p + 1), flip);
    __m128i c = _mm_xor_si128(_mm_load_si128(p + 2), flip), d = _mm_xor_si128(_mm_load_si128(p + 3), flip);
    __m128i lo = _mm_packs_epi32(_mm_cmpgt_epi32(a, lim), _mm_cmpgt_epi32(b, lim));
    __m128i hi = _mm_packs_epi32(_mm_cmpgt_epi32(c, lim), _mm_cmpgt_epi32(d, lim));
    return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(lo, hi));
}
static inline unsigned fit_mask_sse2(const uint32_t *line, uint32_t need) { return ge_mask_sse2(line, need); }
static inline __m128i vmax_sse2(__m128i a, __m128i b) /* signed lanes */
{
    __m128i gt = _mm_cmpgt_epi32(a, b);
    return _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
}
static inline uint32_t line_but_sse2(const uint32_t *line, unsigned i) { return line_but_plain(line, i); }
static inline uint32_t line_max_sse2(const uint32_t *line)
{
    const __m128i flip = _mm_set1_epi32((int)0x80000000u);
    const __m128i *p = (const __m128i *)line;
    __m128i m = vmax_sse2(vmax_sse2(_mm_xor_si128(_mm_load_si128(p), flip), _mm_xor_si128(_mm_load_si128(p + 1), flip)),
                          vmax_sse2(_mm_xor_si128(_mm_load_si128(p + 2), flip), _mm_xor_si128(_mm_load_si128(p + 3), flip)));
    m = vmax_sse2(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = vmax_sse2(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(m) ^ 0x80000000u;
}

/* ---- AVX2 ---------------------------------------------------------------- */
/* fit_mask_avx2 compares signed, one instruction a half line: every entry
 * and need lie below 2^31, as the version is chosen only for an arena of
 * fewer granules (index_pick_lines: a heap under 32 GiB). It finds the
 * entries below need (need > entry: the line is the compare's second
 * operand, read from memory by the compare itself), a mask lt, and adds
 * one: the carry runs through lt's trailing ones, the entries below need,
 * and stops at the first entry that is not (the halves' masks do not
 * overlap: one lea adds both and the one, where flipping lt took an
 * instruction more). (The walk's only: it is no ge_mask.) */
#define SLZ_AVX2 __attribute__((target("avx2,bmi,bmi2,lzcnt")))
SLZ_AVX2 static inline unsigned fit_mask_avx2(const uint32_t *line, uint32_t need)
{
    __m256i n = _mm256_set1_epi32((int)need);
    __m256i a = _mm256_load_si256((const __m256i *)line), b = _mm256_load_si256((const __m256i *)line + 1);
    __m256i la = _mm256_cmpgt_epi32(n, a), lb = _mm256_cmpgt_epi32(n, b);
    return (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(la)) +
           ((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(lb)) << 8) + 1;
}
/* (the largest of m's eight lanes) */
SLZ_AVX2 static inline uint32_t hmax_avx2(__m256i m)
{
    __m128i x = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    x = _mm_max_epu32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
    x = _mm_max_epu32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(x);
}
SLZ_AVX2 static inline uint32_t line_max_avx2(const uint32_t *line)
{
    return hmax_avx2(_mm256_max_epu32(_mm256_load_si256((const __m256i *)line), _mm256_load_si256((const __m256i *)line + 1)));
}
/* (as line_but_plain: a 32-byte half at a time, the lanes equal to i cleared) */
SLZ_AVX2 static inline uint32_t line_but_avx2(const uint32_t *line, unsigned i)
{
    const __m256i n = _mm256_set1_epi32((int)i), lo = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i hi = _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15);
    __m256i a = _mm256_andnot_si256(_mm256_cmpeq_epi32(lo, n), _mm256_load_si256((const __m256i *)line));
    __m256i b = _mm256_andnot_si256(_mm256_cmpeq_epi32(hi, n), _mm256_load_si256((const __m256i *)line + 1));
    return hmax_avx2(_mm256_max_epu32(a, b));
}
#endif /* SLZ_LINES_X86 */

#endif /* SLZ_LINES_H */
