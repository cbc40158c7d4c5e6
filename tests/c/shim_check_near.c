/* shim_check_near: what SLZ_CHECK=1 names on a large heap, where each call
 * checks the chunks around its block and the whole heap is checked only
 * now and then (preload/shim.c, check_heap). A 2 MiB block first puts the
 * heap's high-water mark above the size that is checked whole every call.
 *   shim_check_near near   block a overflows by one byte into the header of
 *                          block b above it; then free(c), the block above
 *                          b (the core reads no header of a used block
 *                          below the one it frees)
 *   shim_check_near far    the same damage, then 20000 malloc/free pairs
 *                          away from it (c kept between), "calls N" written
 *                          every 500
 * The program writes "damaged" once the damage is done, "survived" at its
 * end (write(2): nothing allocates). Run with SLZ_HEAP_SIZE=1G. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

static void say(const char *s)
{
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    int far = strcmp(how, "far") == 0;
    if (!far && strcmp(how, "near") != 0) {
        ssize_t r = write(2, "usage: shim_check_near near|far\n", 32);
        (void)r;
        return 2;
    }
    char *big = opaque(malloc(2 << 20)), *a = opaque(malloc(100)), *b = opaque(malloc(100));
    char *c = opaque(malloc(100));
    memset(big, 1, 4096);
    memset(a, 'A', malloc_usable_size(a) + 1);
    say("damaged\n");
    if (!far) {
        free(c);
    } else {
        for (int i = 1; i <= 20000; i++) {
            free(opaque(malloc(100 + i % 200)));
            if (i % 500 == 0) {
                char line[] = "calls 00000\n";
                for (int k = 10, v = i; k > 5; k--, v /= 10)
                    line[k] = (char)('0' + v % 10);
                say(line);
            }
        }
    }
    (void)b;
    say("survived\n");
    return 0;
}
