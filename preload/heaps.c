/*
 * heaps.c - a heap per thread: the pool of slz heaps, who owns a pointer,
 * thread exit, fork.
 *
 * The heaps live in one range of address space cut into slots of a
 * power-of-two stride, so that the owner of any pointer is one
 * subtraction, one shift and one comparison away:
 *
 *   area: | slot 0: meta|guard|arena...|guard  | slot 1 ... | ... | slot n-1 |
 *                   '------ mapped[0] -------'
 *
 * The range is not mapped up front: address space counts against
 * RLIMIT_AS whether it is used or not, and a program that lowers its limit
 * (a container, `ulimit -v`) must still be able to create threads. The
 * range is placed where the kernel does not put mappings of its own choice
 * (above the first 16 TiB, far below the libraries and the stack); a heap
 * maps its slot as it goes: its metadata and a first part of its arena when
 * it is made, then more of its arena each time it is full (heaps_grow), a
 * guard page (no access) always after what its arena has,
 * each time where nothing else is mapped (MAP_FIXED_NOREPLACE), and plans
 * an arena no bigger than half of what RLIMIT_AS and RLIMIT_DATA allow. A
 * pointer of the range beyond what its slot mapped is not slz's: something
 * else may have been mapped there. Where the range cannot be placed so (a
 * smaller address space), it is reserved up front (no access, no memory)
 * and a heap makes the parts it uses accessible.
 *
 * A thread's first allocation takes a slot: an abandoned heap if there is
 * one (a heap whose thread exited, live blocks and all), else a new heap
 * made in the next unused slot; a slot something else took is passed over.
 * When no heap can be made, glibc serves the thread.
 *
 * The owner's malloc and free take no lock: only taking and leaving a slot
 * does. Another thread's free goes through slz_free_deferred (atomic ORs
 * into the heap's pending bits). mapped[i] only grows, and only slot i's
 * owner writes it, before it hands out any block of what it adds: a thread
 * that frees such a block got it through the program's own synchronisation,
 * after that store, so its relaxed load sees it; a load that sees an older
 * value is still right for every pointer it is asked about then.
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
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "grow.h"
#include "heaps.h"
#include "options.h"
#include "shim.h"
#include "slz.h"

struct shim_heaps shim_heaps;
__thread struct shim_thread shim_me __attribute__((tls_model("initial-exec"))) = {.refused = SIZE_MAX};
size_t shim_fast_max;
static __thread int gave_up __attribute__((tls_model("initial-exec")));
/* left: the thread left its heap at its exit (heaps_thread_exit): its frees
 * after that (glibc's own clean-up frees the thread's buffers after the key
 * destructors) take no heap, which no destructor would leave again */
static __thread int left __attribute__((tls_model("initial-exec")));

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char state[SHIM_SLOTS];
static unsigned made; /* slots with a heap, in order */
#define KEEP_ONE ((size_t)4 << 20) /* (heaps_thread_exit) */
#define KEEP_ALL ((size_t)8 << 20)
static size_t kept[SHIM_SLOTS], kept_all; /* free pages a heap waiting for a thread keeps */
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
static size_t page; /* set by heaps_setup */
static int clear_free(void *chunk, size_t size, int used, void *arg)
{
    uintptr_t pg = (uintptr_t)page - 1;
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

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define AREA_AT ((uintptr_t)1 << 44) /* where the range goes: 16 TiB (47-bit address spaces and up) */

static size_t planned[SHIM_SLOTS]; /* the arena each heap plans */

static size_t up(size_t n) { return (n + page - 1) & ~(page - 1); }

/* map_at: [p, p + len) of the range, readable and writable from now on,
 * where nothing else is. 0, or -1 (taken, or over a limit). */
static int map_at(char *p, size_t len)
{
    if (shim_heaps.reserved)
        return mprotect(p, len, PROT_READ | PROT_WRITE);
    void *q = mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
                   -1, 0);
    if (q != MAP_FAILED && q != p) { /* a kernel without MAP_FIXED_NOREPLACE put it elsewhere */
        munmap(q, len);
        errno = EEXIST;
    }
    return q == p ? 0 : -1;
}

/* place: the range of n << shift bytes at AREA_AT when it fits below the
 * top of the address space (one page there is free); else reserved
 * wherever the kernel finds room, halving n until it does. */
static char *place(size_t *n, int shift)
{
    char *at = (char *)AREA_AT;
    if ((*n << shift) <= AREA_AT && map_at(at, page) == 0) {
        munmap(at, page);
        return at;
    }
    shim_heaps.reserved = 1;
    void *area;
    while ((area = mmap(NULL, *n << shift, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)) ==
           MAP_FAILED)
        if ((*n /= 2) == 0)
            return NULL;
    return area;
}

/* heaps_setup: place the slots for heaps of heap_size bytes. Once, from
 * the shim's set-up; nothing here allocates. 0, or -1 (glibc serves all). */
int heaps_setup(size_t heap_size)
{
    size_t foot = slz_heap_footprint(heap_size, SLZ_GUARDED | heap_flags());
    if (foot == 0)
        return -1;
    long pg = sysconf(_SC_PAGESIZE);
    page = pg > 0 ? (size_t)pg : 4096;
    int shift = 12;
    while (((size_t)1 << shift) < foot)
        shift++;
    size_t n = SHIM_SLOTS;
    while (n > 1 && (n << shift) > ((size_t)1 << 44)) /* 16 TiB of address space at most */
        n /= 2;
    char *area = place(&n, shift);
    if (area == NULL)
        return -1;
    shim_heaps.area = area;
    shim_heaps.shift = shift;
    shim_heaps.span = n << shift;
    shim_heaps.slots = (unsigned)n;
    shim_heaps.footprint = foot;
    shim_heaps.arena = up(heap_size);
    exit_key_ok = pthread_key_create(&exit_key, heaps_thread_exit) == 0;
    return 0;
}

/* arena_allowed: the arena a heap made now plans: the heap size, but at
 * most half of what RLIMIT_AS and RLIMIT_DATA allow the whole process. */
static size_t arena_allowed(void)
{
    size_t a = shim_heaps.arena;
    const int which[] = {RLIMIT_AS, RLIMIT_DATA};
    for (int k = 0; k < 2; k++) {
        struct rlimit r;
        if (getrlimit(which[k], &r) == 0 && r.rlim_cur != RLIM_INFINITY && r.rlim_cur / 2 < a)
            a = r.rlim_cur / 2 & ~(page - 1);
    }
    return a;
}

/* make_heap: a new heap in slot i: its metadata and the first part of its
 * arena mapped. Pool lock held. NULL with errno EEXIST: something else
 * holds the slot. */
static slz_heap *make_heap(unsigned i)
{
    char *slot = shim_heaps.area + ((size_t)i << shim_heaps.shift);
    size_t arena = arena_allowed();
    size_t foot = slz_heap_footprint(arena, SLZ_GUARDED | heap_flags()), meta = foot - arena - page; /* meta, guard */
    size_t first = first_arena(arena);
    if (arena < page || map_at(slot, meta + first + page) != 0)
        return NULL;
    slz_heap *h = mprotect(slot + meta + first, page, PROT_NONE) == 0 /* the guard after the arena */
                      ? slz_heap_create_in(slot, foot, SLZ_GUARDED | SLZ_ANON | SLZ_GROWS | SLZ_KEEP_ERRNO | heap_flags())
                      : NULL;
    if (h == NULL || slz_heap_grow(h, first) != 0) {
        munmap(slot, meta + first + page);
        errno = ENOMEM;
        return NULL;
    }
    planned[i] = arena;
    __atomic_store_n(&shim_heaps.mapped[i], meta + first + page, __ATOMIC_RELEASE);
    return h;
}

/* short_free: what a free takes the short way for (struct shim_thread):
 * the mapped part of the thread's slot, none when nothing may. */
static void short_free(int i)
{
    shim_me.slot_len = shim_fast_max ? __atomic_load_n(&shim_heaps.mapped[i], __ATOMIC_RELAXED) : 0;
    shim_me.len = shim_me.refused == SIZE_MAX ? shim_me.slot_len : 0;
}

/* heaps_grow: the caller's heap h refused a request of need bytes: map more
 * of its slot after its arena (twice what the arena has, or at least need
 * and GROW_MIN more, up to its plan) and hand it to the arena. 1 when it
 * grew (ask it again), 0 when it cannot. */
int heaps_grow(slz_heap *h, size_t need)
{
    int i = heaps_slot(h);
    char *base = slz_heap_base(h), *slot = shim_heaps.area + ((size_t)i << shim_heaps.shift);
    size_t now = slz_heap_size(h), least, want = grow_to(now, need, planned[i], page, &least);
    if (want == 0)
        return 0;
    /* the guard after the arena moves up: the part after it mapped, a new
     * guard at its end, then the old guard opened */
    if (map_at(base + now + page, want - now) != 0) { /* (over a limit, perhaps: just what it needs) */
        want = least;
        if (map_at(base + now + page, want - now) != 0)
            return 0;
    }
    if (mprotect(base + want, page, PROT_NONE) != 0 || mprotect(base + now, page, PROT_READ | PROT_WRITE) != 0 ||
        slz_heap_grow(h, want) != 0)
        return 0;
    __atomic_store_n(&shim_heaps.mapped[i], (size_t)(base - slot) + want + page, __ATOMIC_RELEASE);
    short_free(i); /* (h is the caller's) */
    return 1;
}

/* take_heap, drop_heap: the calling thread's heap is h from now on, or it
 * has none. */
static void take_heap(slz_heap *h)
{
    int i = heaps_slot(h);
    shim_my_heap = h;
    shim_me.malloc = slz_heap_malloc_fn(h);
    shim_me.free = slz_heap_free_fn(h);
    shim_me.lo = (uintptr_t)shim_heaps.area + ((uintptr_t)i << shim_heaps.shift);
    short_free(i);
    heaps_refused(SIZE_MAX);
}
static void drop_heap(void)
{
    shim_my_heap = NULL;
    shim_me.fast = shim_me.len = shim_me.slot_len = 0;
}

/* claim: slot i's heap, if abandoned, owned from now on (pool lock held);
 * the pages it kept are its user's again. Else NULL. */
static slz_heap *claim(unsigned i)
{
    if (state[i] != SLOT_ABANDONED)
        return NULL;
    __atomic_store_n(&state[i], SLOT_OWNED, __ATOMIC_RELAXED);
    kept_all -= kept[i];
    kept[i] = 0;
    return shim_heaps.heap[i];
}
/* own: the calling thread's heap is h from now on (adopted: another
 * thread's before). */
static void own(slz_heap *h, int adopted)
{
    if (slz_opt.secure && adopted)
        slz_heap_walk(h, clear_free, NULL);
    take_heap(h);
    if (exit_key_ok)
        pthread_setspecific(exit_key, h); /* thread exit calls heaps_thread_exit */
}

/* heaps_mine_slow: the calling thread's first allocation (or its first
 * after its heap was lost in a fork): adopt an abandoned heap, else make
 * one. NULL when every slot is taken: glibc serves this thread. */
slz_heap *heaps_mine_slow(void)
{
    if (shim_my_heap || gave_up || shim_heaps.area == NULL)
        return shim_my_heap;
    slz_heap *h = NULL;
    int saved = errno;
    int adopted = 0;
    pthread_mutex_lock(&pool_lock);
    for (unsigned i = 0; i < made && h == NULL; i++)
        adopted = (h = claim(i)) != NULL;
    while (h == NULL && made < shim_heaps.slots) {
        if ((h = make_heap(made)) != NULL) {
            __atomic_store_n(&shim_heaps.heap[made], h, __ATOMIC_RELEASE);
            __atomic_store_n(&state[made], SLOT_OWNED, __ATOMIC_RELAXED);
        } else if (errno != EEXIST) {
            break; /* over a limit: glibc serves this thread */
        }
        made++; /* (a slot something else holds stays empty) */
    }
    pthread_mutex_unlock(&pool_lock);
    errno = saved;
    if (h == NULL) {
        gave_up = 1;
        return NULL;
    }
    own(h, adopted);
    return h;
}

/* heaps_adopt: the calling thread, which has no heap yet, frees a block of
 * slot i: if that heap is abandoned, the thread takes it (mimalloc, too,
 * can reclaim an abandoned segment on a free into it): a program that hands
 * a dead thread's blocks to a new one (larson) has them freed by their
 * heap's owner, not handed over one by one. Else nothing. */
void heaps_adopt(int i)
{
    if (shim_my_heap || gave_up || left || __atomic_load_n(&state[i], __ATOMIC_RELAXED) != SLOT_ABANDONED)
        return;
    pthread_mutex_lock(&pool_lock);
    slz_heap *h = claim(i);
    pthread_mutex_unlock(&pool_lock);
    if (h != NULL)
        own(h, 1);
}

/* heaps_thread_exit: the thread's heap gives back the pages it does not
 * use (slz_heap_trim) and waits, with its live blocks, for the next thread
 * that needs one. But a heap with at most KEEP_ONE bytes of such pages
 * (slz_heap_trimmable) keeps them while the heaps waiting so keep at most
 * KEEP_ALL in all: a program that makes threads in rounds (mstress) had
 * the next round's thread fault them in again, and the keep zone that
 * its frees had grown, reset by the trim, gave its next frees' pages back
 * again. A thread that takes the heap takes them off the count. So the
 * pages the heaps of exited threads hold is bounded, about as glibc's
 * arenas hold what they keep under their trim threshold. kept[] and
 * kept_all change under pool_lock. */
void heaps_thread_exit(void *arg)
{
    slz_heap *h = arg;
    if (h == NULL || h != shim_my_heap)
        return;
    int i = heaps_slot(h);
    size_t n = slz_heap_trimmable(h);
    pthread_mutex_lock(&pool_lock);
    int keep = n <= KEEP_ONE && kept_all + n <= KEEP_ALL;
    kept[i] = keep ? n : 0;
    kept_all += kept[i];
    pthread_mutex_unlock(&pool_lock);
    if (!keep)
        slz_heap_trim(h);
    glibc_flush();
    drop_heap();
    left = 1;
    pthread_mutex_lock(&pool_lock);
    __atomic_store_n(&state[i], SLOT_ABANDONED, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&pool_lock);
}

/* heaps_lost: whether slot i's heap was left behind by a fork. */
int heaps_lost(int i) { return __atomic_load_n(&state[i], __ATOMIC_RELAXED) == SLOT_LOST; }
int heaps_owned(int i) { return __atomic_load_n(&state[i], __ATOMIC_RELAXED) == SLOT_OWNED; }

/* heaps_drain: the caller just freed a block of slot i's heap, not its own.
 * The frees other threads leave an abandoned heap (its thread exited) wait
 * for its next owner, resident: so every DRAIN_EVERY such frees, the caller
 * takes the heap for a moment (SLOT_DRAINING) and collects them: they merge
 * and their pages go back as the owner's frees would (its keep zone is at
 * its least since its thread trimmed it at exit).
 *
 * Ordering: state[] changes only under pool_lock. The drainer turns
 * ABANDONED into DRAINING, works on the heap, and turns it back; an adopter
 * (heaps_mine_slow) takes only an ABANDONED heap, under the same lock. So
 * at most one thread at a time works on the heap as its user, and the lock's
 * release and acquire order the drainer's writes before the next user's
 * reads, as between two owners. Frees by other threads meanwhile go through
 * slz_free_deferred, which the core allows at the same time as any call.
 * The unlocked first look at state[] is a hint only (re-read under the
 * lock). A fork child marks a DRAINING heap lost: its drainer is gone. */
#define DRAIN_EVERY 256
static __thread unsigned drain_count __attribute__((tls_model("initial-exec")));
void heaps_drain(int i)
{
    if (__atomic_load_n(&state[i], __ATOMIC_RELAXED) != SLOT_ABANDONED || (++drain_count & (DRAIN_EVERY - 1)) != 0)
        return;
    slz_heap *h = NULL;
    pthread_mutex_lock(&pool_lock);
    if (state[i] == SLOT_ABANDONED) {
        __atomic_store_n(&state[i], SLOT_DRAINING, __ATOMIC_RELAXED);
        h = shim_heaps.heap[i];
    }
    pthread_mutex_unlock(&pool_lock);
    if (h == NULL)
        return;
    slz_heap_collect(h);
    pthread_mutex_lock(&pool_lock);
    __atomic_store_n(&state[i], SLOT_ABANDONED, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&pool_lock);
}

/* heaps_fork_child: see the head of this file. */
void heaps_fork_child(void)
{
    pool_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    for (unsigned i = 0; i < made; i++)
        if ((state[i] == SLOT_OWNED && shim_heaps.heap[i] != shim_my_heap) || state[i] == SLOT_DRAINING)
            state[i] = SLOT_LOST;
    if (shim_my_heap && slz_heap_interrupted(shim_my_heap)) {
        state[heaps_slot(shim_my_heap)] = SLOT_LOST;
        drop_heap();
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
