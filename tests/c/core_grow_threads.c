/* core_grow_threads: a heap that grows (SLZ_GROWS) while another thread
 * frees its blocks, through the core API. The owner allocates stamped
 * blocks and, whenever the heap refuses one, grows the arena by a page (up
 * to the plan; after that it collects the frees left to it); every block
 * goes through a mutex-guarded ring to a second thread, which checks each
 * stamp and frees every other block at once with slz_free_deferred, while
 * the owner goes on, and holds the others (so that the heap keeps growing)
 * until the owner finds the heap full, or to the end. So
 * that thread reads the arena's size (its range check) while the owner
 * raises it (src/grains.h argues the ordering), and frees blocks of the
 * granules each grow adds. At the end the owner collects: the heap is one
 * free chunk, every invariant holding, no stamp damaged. Built and run
 * under ThreadSanitizer too (tests/sanitize.mk).
 *
 *   core_grow_threads [BLOCKS]   default 20000 blocks */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "check.h"
#include "slz.h"

#define PLANNED (16u << 20)
#define RING 256
#define HOLD 100000 /* blocks the other thread holds at most */
#define PAGE 4096

static slz_heap *H;
static char *first_page_end; /* the arena's end before any grow */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uint64_t *ring[RING];
static size_t ring_n[RING];
static unsigned head, tail, done, hungry; /* hungry: the owner found the heap full */
static long bad, freed, freed_grown;

static void put(uint64_t *p, size_t n)
{
    pthread_mutex_lock(&lock);
    while (tail - head == RING)
        pthread_cond_wait(&cond, &lock);
    ring[tail % RING] = p;
    ring_n[tail % RING] = n;
    tail++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

/* give_up: block p of n words, its stamp checked, freed remotely. */
static void give_up(uint64_t *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        bad += p[k] != ((uintptr_t)p ^ k);
    freed_grown += (char *)p >= first_page_end;
    slz_free_deferred(H, p);
    freed++;
}

/* freer: every block the owner passes: every other one freed at once, the
 * rest held (so that the heap keeps filling and growing while frees go on)
 * until the owner finds its heap full, or to the end. */
static void *freer(void *arg)
{
    uint64_t **held = malloc(sizeof *held * HOLD);
    size_t *held_n = malloc(sizeof *held_n * HOLD), nheld = 0;
    unsigned long got = 0;
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (head == tail && !done && !hungry)
            pthread_cond_wait(&cond, &lock);
        int all = hungry || (head == tail && done), end = head == tail && done;
        hungry = 0;
        uint64_t *p = NULL;
        size_t n = 0;
        if (head != tail) {
            p = ring[head % RING];
            n = ring_n[head % RING];
            head++;
            pthread_cond_broadcast(&cond);
        }
        pthread_mutex_unlock(&lock);
        if (p != NULL && (got++ % 2 == 0 || nheld == HOLD))
            give_up(p, n);
        else if (p != NULL)
            held[nheld] = p, held_n[nheld++] = n;
        for (; all && nheld > 0; nheld--)
            give_up(held[nheld - 1], held_n[nheld - 1]);
        if (end)
            break;
    }
    free(held);
    free(held_n);
    return NULL;
}

/* more: the owner's heap refused a block: a page more of the arena while
 * the plan allows, else the frees the other thread left (and it is asked
 * to give up what it holds). */
static int more(long *grows)
{
    size_t size = slz_heap_size(H);
    if (size < PLANNED && slz_heap_grow(H, size + PAGE) == 0) {
        ++*grows;
        return 1;
    }
    pthread_mutex_lock(&lock);
    hungry = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    slz_heap_collect(H);
    return 0;
}

int main(int argc, char **argv)
{
    long blocks = argc > 1 ? atol(argv[1]) : 20000, grows = 0, made = 0, waits = 0;
    size_t foot = slz_heap_footprint(PLANNED, SLZ_GUARDED);
    char *mem = mmap(NULL, foot, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mapped", mem != MAP_FAILED);
    H = slz_heap_create_in(mem, foot, SLZ_GUARDED | SLZ_ANON | SLZ_GROWS);
    CHECK("made", H != NULL);
    if (H == NULL)
        return CHECK_DONE();
    first_page_end = (char *)slz_heap_base(H) + slz_heap_size(H);
    pthread_t t;
    pthread_create(&t, NULL, freer, NULL);
    uint64_t r = 88172645463325252u;
    for (long i = 0; i < blocks; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        size_t n = 1 + r % 256; /* words: 8..2048 bytes */
        uint64_t *p;
        while ((p = slz_malloc(H, n * 8)) == NULL)
            waits += !more(&grows);
        for (size_t k = 0; k < n; k++)
            p[k] = (uintptr_t)p ^ k;
        put(p, n);
        made++;
    }
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    slz_heap_collect(H);
    struct slz_heap_stats st;
    slz_heap_get_stats(H, &st);
    const char *what = NULL;
    size_t viol = slz_heap_check(H, &what);
    printf("%ld blocks made and freed by another thread (%ld of them in grown granules), %ld grows, %ld waits\n",
           made, freed_grown, grows, waits);
    CHECK("every block freed", freed == made && made == blocks);
    CHECK("the heap grew many times, a page at a time", grows > 1000 && slz_heap_size(H) >= (size_t)grows * PAGE);
    CHECK("blocks of the grown granules were freed remotely", freed_grown > made / 2);
    CHECK("no block damaged", bad == 0);
    CHECK("the heap holds nothing, one free chunk", st.in_use == 0 && st.live_blocks == 0 && st.free_chunks == 1);
    CHECK("the heap checks clean", viol == 0);
    if (viol)
        fprintf(stderr, "  %zu violations, first: %s\n", viol, what);
    slz_heap_destroy(H);
    munmap(mem, foot);
    return CHECK_DONE();
}
