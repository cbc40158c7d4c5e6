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
 * (measured: two thirds of malloc's time, perf). V_CHECK(h, c, head): the
 * check word of chunk c in use with head (head_check's); the AVX2 version
 * runs only where the CPU has AES-NI too (index_pick_lines): it keys with
 * the AES function without asking the CPU, in VEX encoding (keyed_aes_vex,
 * chunk.h: no legacy SSE after 256-bit code, no V_CLEAN_UPPER before it).
 */
#ifndef SLZ_VERSIONS_H
#define SLZ_VERSIONS_H
#include "lines.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define V(name) CAT(name, SFX)
#ifdef SLZ_LINES_X86
#define SFX _avx2
#define VATTR SLZ_AVX2
#define V_CLEAN_UPPER() _mm256_zeroupper()
#define V_CHECK(h, c, head) ((uintptr_t)keyed_aes_vex((h)->rk, (uintptr_t)(c), (head)))
#include SLZ_VERSIONED
#undef SFX
#undef VATTR
#undef V_CLEAN_UPPER
#undef V_CHECK
#define SFX _sse2
#define VATTR
#define V_CLEAN_UPPER() ((void)0)
#define V_CHECK(h, c, head) head_check(h, c, head)
#include SLZ_VERSIONED
#define line_max_default line_max_sse2
#define ge_mask_default ge_mask_sse2
#else
#define SFX _plain
#define VATTR
#define V_CLEAN_UPPER() ((void)0)
#define V_CHECK(h, c, head) head_check(h, c, head)
#include SLZ_VERSIONED
#define line_max_default line_max_plain
#define ge_mask_default ge_mask_plain
#endif

#endif /* SLZ_VERSIONS_H */
