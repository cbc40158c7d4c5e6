/* core_keyed.c - the keyed function of the check words and canaries
 * (keyed() in src/chunk.h), both of its forms: SipHash-1-3 (everywhere)
 * and the AES rounds (x86-64 with AES-NI, when this CPU has it). Each must
 * be a function of the key and of both words in full: flipping any one
 * bit of the address, the value or the key flips about half of the 64
 * output bits (at least 28 and at most 36 on average over 2,000 inputs,
 * for every one of the 256 bits), and the same inputs give the same word.
 * Prints "<form>: ok" per form tested, then the check count. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "chunk.h"

typedef uint64_t (*form)(uint64_t k0, uint64_t k1, uint64_t a, uint64_t b);

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* flip: bit i of the four inputs (a, b, k0, k1 in that order). */
static uint64_t run_flipped(form f, const uint64_t in[4], int i)
{
    uint64_t v[4] = {in[0], in[1], in[2], in[3]};
    v[i / 64] ^= 1ull << (i % 64);
    return f(v[2], v[3], v[0], v[1]);
}

static void test_form(const char *name, form f)
{
    static double sum[256];
    memset(sum, 0, sizeof sum);
    int trials = 2000, stable = 1;
    for (int t = 0; t < trials; t++) {
        uint64_t in[4] = {next() & ~15ull, next(), next(), next()};
        uint64_t out = f(in[2], in[3], in[0], in[1]);
        stable &= out == f(in[2], in[3], in[0], in[1]);
        for (int i = 0; i < 256; i++)
            sum[i] += __builtin_popcountll(out ^ run_flipped(f, in, i));
    }
    double lo = 64, hi = 0;
    for (int i = 0; i < 256; i++) {
        double m = sum[i] / trials;
        lo = m < lo ? m : lo;
        hi = m > hi ? m : hi;
    }
    CHECK(name, stable);
    CHECK(name, lo >= 28 && hi <= 36);
    printf("%s: %s (bits flipped per input bit: %.1f..%.1f)\n", name, lo >= 28 && hi <= 36 && stable ? "ok" : "FAIL",
           lo, hi);
}

int main(void)
{
    test_form("siphash-1-3", keyed_sip);
#if defined(__x86_64__) && defined(__GNUC__)
    if (slz_aes())
        test_form("aes", keyed_aes);
    else
        printf("aes: not on this CPU\n");
#endif
    /* keyed() itself is one of the two, keyed by the heap's two words */
    slz_heap h;
    memset(&h, 0, sizeof h);
    keys_set(&h, next(), next());
    uint64_t want = SLZ_KEYED_AES(h.key[0], h.key[1], 0x7f0000001230ull, 0x41);
    CHECK("keyed() is the form chosen", keyed(&h, 0x7f0000001230ull, 0x41) == want);
    return CHECK_DONE();
}
