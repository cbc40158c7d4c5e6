/*
 * heaps.c - a heap per thread: the pool of slz heaps, who owns a pointer,
 * thread exit, fork.
 *
 * At set-up the shim reserves one range of address space (no access, no
 * memory) cut into slots of a power-of-two stride. A thread's first
 * allocation takes a slot: an abandoned heap if there is one (a heap whose
 * thread exited, live blocks and all), else a new heap made in the next
 * unused slot. So the owner of any pointer is one subtraction and one shift
 * away, and a pointer into a slot's metadata or guard pages is known to be
 * slz's (and reported as invalid, not handed to glibc).
 *
 *   area: | slot 0: meta|guard|arena|guard | slot 1 ... | ... | slot n-1 |
 *
 * The owner's malloc and free take no lock: only taking and leaving a slot
 * does. Another thread's free goes through slz_free_deferred (atomic ORs
 * into the heap's pending bits).
 *
 * fork: nothing is taken before a fork, so it cannot deadlock against
 * stdio or against itself. In the child, only the forking thread lives on:
 * every heap another thread owned may have been half-way through a change,
 * so the child never touches it again (its blocks stay readable, frees of
 * them are ignored), and neither does it trust its own heap if the fork
 * interrupted an operation on it (a fork from a signal handler).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heaps.h"
#include "options.h"
#include "shim.h"
#include "slz.h"

struct shim_heaps shim_heaps;
__thread slz_heap *shim_my_heap __attribute__((tls_model("initial-exec")));
__thread struct shim_thread shim_me __attribute__((tls_model("initial-exec"))) = {.refused = SIZE_MAX, .slot = -1};
static __thread int gave_up __attribute__((tls_model("initial-exec")));

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char state[SHIM_SLOTS];
static unsigned made; /* slots with a heap, in order */
static pthread_key_t exit_key;
static int exit_key_ok;

/* heap_flags: the option flags of every heap. SLZ_SECURE wins over SLZ_CACHE
 * (one policy of the same hold). */
static unsigned heap_flags(void) { return slz_opt.secure ? SLZ_SECURE : slz_opt.cache ? SLZ_CACHE : 0; }

/* clear_free: with SLZ_SECURE, a free chunk of a heap taken over from an
 * exited thread is cleared past its header and canary (the only words of
 * the core's in a free chunk): whole pages given back to the kernel (zero
 * on the next touch, none made resident), the rest zeroed. The quarantine
 * zeroed what free gave back; this clears what reached the heap another way
 * (realloc's old places, see src/quarantine.c) before a new thread sees it. */
static int clear_free(void *chunk, size_t size, int used, void *arg)
{
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE) - 1;
    char *a = (char *)chunk + 24, *e = (char *)chunk + size; /* header 16, canary 8 */
    char *pa = (char *)(((uintptr_t)a + pg) & ~pg), *pe = (char *)((uintptr_t)e & ~pg);
    (void)arg;
    if (used || e <= a)
        return 0;
    if (pe <= pa) {
        memset(a, 0, (size_t)(e - a));
        return 0;
    }
    memset(a, 0, (size_t)(pa - a));
    madvise(pa, (size_t)(pe - pa), MADV_DONTNEED);
    memset(pe, 0, (size_t)(e - pe));
    return 0;
}

/* heaps_setup: reserve the slots for heaps of heap_size bytes. Once, from
 * the shim's set-up; nothing here allocates. 0, or -1 (glibc serves all). */
int heaps_setup(size_t heap_size)
{
    size_t foot = slz_heap_footprint(heap_size, SLZ_GUARDED | heap_flags());
    if (foot == 0)
        return -1;
    int shift = 12;
    while (((size_t)1 << shift) < foot)
        shift++;
    size_t n = SHIM_SLOTS;
    while (n > 1 && (n << shift) > ((size_t)1 << 44)) /* 16 TiB of address space at most */
        n /= 2;
    void *area;
    while ((area = mmap(NULL, n << shift, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)) ==
           MAP_FAILED)
        if ((n /= 2) == 0)
            return -1;
    shim_heaps.area = area;
    shim_heaps.shift = shift;
    shim_heaps.span = n << shift;
    shim_heaps.slots = (unsigned)n;
    shim_heaps.footprint = foot;
    exit_key_ok = pthread_key_create(&exit_key, heaps_thread_exit) == 0;
    return 0;
}

/* make_heap: a new heap in slot i. Pool lock held. */
static slz_heap *make_heap(unsigned i)
{
    char *slot = shim_heaps.area + ((size_t)i << shim_heaps.shift);
    if (mprotect(slot, shim_heaps.footprint, PROT_READ | PROT_WRITE) != 0)
        return NULL;
    return slz_heap_create_in(slot, shim_heaps.footprint, SLZ_GUARDED | SLZ_ANON | heap_flags());
}

/* heaps_mine_slow: the calling thread's first allocation (or its first
 * after its heap was lost in a fork): adopt an abandoned heap, else make
 * one. NULL when every slot is taken: glibc serves this thread. */
slz_heap *heaps_mine_slow(void)
{
    if (shim_my_heap || gave_up || shim_heaps.area == NULL)
        return shim_my_heap;
    slz_heap *h = NULL;
    int adopted = 0;
    pthread_mutex_lock(&pool_lock);
    for (unsigned i = 0; i < made && h == NULL; i++)
        if (state[i] == SLOT_ABANDONED) {
            state[i] = SLOT_OWNED;
            h = shim_heaps.heap[i];
            adopted = 1;
        }
    if (h == NULL && made < shim_heaps.slots && (h = make_heap(made)) != NULL) {
        __atomic_store_n(&shim_heaps.heap[made], h, __ATOMIC_RELEASE);
        state[made++] = SLOT_OWNED;
    }
    pthread_mutex_unlock(&pool_lock);
    if (h == NULL) {
        gave_up = 1;
        return NULL;
    }
    if (slz_opt.secure && adopted)
        slz_heap_walk(h, clear_free, NULL);
    shim_my_heap = h;
    shim_me.slot = heaps_slot(h);
    shim_me.refused = SIZE_MAX;
    if (exit_key_ok)
        pthread_setspecific(exit_key, h); /* thread exit calls heaps_thread_exit */
    return h;
}

/* heaps_thread_exit: the thread's heap waits, with its live blocks, for the
 * next thread that needs one. */
void heaps_thread_exit(void *arg)
{
    slz_heap *h = arg;
    if (h == NULL || h != shim_my_heap)
        return;
    slz_heap_collect(h);
    glibc_flush();
    shim_my_heap = NULL;
    shim_me.slot = -1;
    pthread_mutex_lock(&pool_lock);
    state[heaps_slot(h)] = SLOT_ABANDONED;
    pthread_mutex_unlock(&pool_lock);
}

/* heaps_lost: whether slot i's heap was left behind by a fork. */
int heaps_lost(int i) { return state[i] == SLOT_LOST; }

/* heaps_fork_child: see the head of this file. */
void heaps_fork_child(void)
{
    pool_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    for (unsigned i = 0; i < made; i++)
        if (state[i] == SLOT_OWNED && shim_heaps.heap[i] != shim_my_heap)
            state[i] = SLOT_LOST;
    if (shim_my_heap && slz_heap_interrupted(shim_my_heap)) {
        state[heaps_slot(shim_my_heap)] = SLOT_LOST;
        shim_my_heap = NULL;
        shim_me.slot = -1;
    }
}

/* heaps_view: the heap a report draws: the caller's, else the first. */
slz_heap *heaps_view(void) { return shim_my_heap ? shim_my_heap : shim_heaps.heap[0]; }

/* heaps_stats: the core's counters summed over every heap. Other threads
 * may be changing theirs: a report, not an invariant. */
void heaps_stats(struct slz_heap_stats *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned i = 0; i < made; i++) {
        struct slz_heap_stats s;
        slz_heap_get_stats(shim_heaps.heap[i], &s);
        size_t *a = (size_t *)sum, *b = (size_t *)&s;
        _Static_assert(sizeof(struct slz_heap_stats) % sizeof(size_t) == 0, "counters are words");
        size_t largest = sum->largest_free > s.largest_free ? sum->largest_free : s.largest_free;
        for (size_t k = 0; k < sizeof s / sizeof(size_t); k++)
            a[k] += b[k]; /* every counter adds up (peak is a bound) */
        sum->largest_free = largest; /* but the largest free chunk is one chunk */
    }
}

unsigned heaps_count(void) { return made; }
