/*
 * heap.c - setting up the heap, looking inside it, and the one error path.
 */
#include <errno.h>
#include <string.h>

#include "chunk.h"

struct slz_heap slz_H;
static slz_error_handler error_handler;

/* ---- Setting up -------------------------------------------------------- */

/* setup: lay one free chunk over [mem, mem + bytes) and a fence on top. */
static int setup(void *mem, size_t bytes, int mapped)
{
    uintptr_t lo = ((uintptr_t)mem + SLZ_ALIGN - 1) & ~(uintptr_t)(SLZ_ALIGN - 1);
    uintptr_t hi = ((uintptr_t)mem + bytes) & ~(uintptr_t)(SLZ_ALIGN - 1);
    if (hi <= lo || hi - lo < SLZ_MIN_CHUNK + SLZ_FENCE || hi - lo > SLZ_MAX_HEAP)
        return -1;
    memset(&slz_H, 0, sizeof slz_H);
    slz_H.base = (char *)lo;
    slz_H.size = hi - lo;
    slz_H.fence = (char *)hi - SLZ_FENCE;
    slz_H.mapped = mapped;
    slz_H.page = os_page_size();
    slz_H.secret = (uintptr_t)os_random();
    slz_H.link_key = (uintptr_t)os_random() & ~(uintptr_t)(SLZ_ALIGN - 1);
    slz_H.rng = os_random() | 1;
    slz_H.root = slz_H.link_key; /* the encoded empty link */
    slz_H.op = "malloc";

    slz_chunk *first = (slz_chunk *)slz_H.base;
    size_t sz = (size_t)(slz_H.fence - slz_H.base);
    set_head(first, sz | SLZ_PREV_INUSE);
    *chunk_foot(first) = sz;
    set_head((slz_chunk *)slz_H.fence, SLZ_INUSE); /* size 0, P clear */
    slz_H.st.heap_size = slz_H.size;
    slz_H.st.free_chunks = 1;
    slz_H.st.free_bytes = sz;
    slz_H.top = first; /* the whole heap is the top chunk */
    return 0;
}

int heap_ready(void) { return slz_H.base != NULL; }

int slz_heap_initialize_size(size_t bytes)
{
    if (heap_ready())
        return 0;
    size_t page = os_page_size();
    if (bytes == 0 || bytes > SIZE_MAX - page)
        return -1;
    bytes = (bytes + page - 1) & ~(page - 1);
    void *mem = os_map(bytes);
    if (mem == NULL)
        return -1;
    if (setup(mem, bytes, 1) != 0) {
        os_unmap(mem, bytes);
        return -1;
    }
    return 0;
}

int slz_heap_initialize_impl(void) { return slz_heap_initialize_size(os_page_size()); }

int slz_heap_initialize_with(void *mem, size_t bytes)
{
    if (heap_ready() || mem == NULL)
        return -1;
    return setup(mem, bytes, 0);
}

void slz_heap_release(void)
{
    if (heap_ready() && slz_H.mapped)
        os_unmap(slz_H.base, slz_H.size);
    memset(&slz_H, 0, sizeof slz_H);
}

void *slz_heap_base(void) { return slz_H.base; }
size_t slz_heap_size(void) { return slz_H.size; }

size_t slz_max_request(void)
{
    return heap_ready() ? (size_t)(slz_H.fence - slz_H.base) - SLZ_HDR : 0;
}

size_t slz_largest_free(void)
{
    if (!heap_ready())
        return 0;
    size_t m = tree_largest();
    return slz_H.top && chunk_size(slz_H.top) > m ? chunk_size(slz_H.top) : m;
}

int slz_owns(const void *p)
{
    return heap_ready() && (const char *)p >= slz_H.base && (const char *)p < slz_H.base + slz_H.size;
}

/* ---- Looking inside ---------------------------------------------------- */

void slz_heap_get_stats(struct slz_heap_stats *out)
{
    *out = slz_H.st;
    out->largest_free = slz_largest_free();
}

void slz_heap_walk(slz_walker fn, void *arg)
{
    if (!heap_ready())
        return;
    for (slz_chunk *c = (slz_chunk *)slz_H.base; (char *)c < slz_H.fence; c = next_chunk(c)) {
        if (!head_ok(c) || chunk_size(c) < SLZ_MIN_CHUNK || (char *)c + chunk_size(c) > slz_H.fence)
            return; /* damaged: slz_heap_check says where */
        if (fn(c, chunk_size(c), chunk_used(c), arg))
            return;
    }
}

size_t slz_heap_check(const char **first)
{
    size_t bad = 0;
    const char *what = NULL;
#define VIOLATION(msg)                                                                             \
    do {                                                                                           \
        if (bad++ == 0)                                                                            \
            what = (msg);                                                                          \
    } while (0)
    if (!heap_ready()) {
        if (first)
            *first = NULL;
        return 0;
    }
    size_t nfree = 0, freebytes = 0, used = 0;
    int prev_in_use = 1;
    slz_chunk *c = (slz_chunk *)slz_H.base;
    while ((char *)c < slz_H.fence) {
        if (!head_ok(c)) {
            VIOLATION("chunk head fails its check");
            break;
        }
        size_t sz = chunk_size(c);
        if (sz < SLZ_MIN_CHUNK || sz % SLZ_ALIGN || (char *)c + sz > slz_H.fence) {
            VIOLATION("chunk size out of range");
            break;
        }
        if (prev_used(c) != prev_in_use)
            VIOLATION("P flag disagrees with the previous chunk");
        if (!chunk_used(c)) {
            if (!prev_in_use)
                VIOLATION("two free chunks are adjacent");
            if (*chunk_foot(c) != sz)
                VIOLATION("free chunk foot differs from its size");
            nfree++;
            freebytes += sz;
        } else {
            used += sz;
        }
        prev_in_use = chunk_used(c);
        c = next_chunk(c);
    }
    if ((char *)c != slz_H.fence)
        VIOLATION("chunks do not tile the heap");
    else if (!head_ok(c) || c->head != (SLZ_INUSE | (prev_in_use ? SLZ_PREV_INUSE : 0)))
        VIOLATION("fence is damaged");
    if (prev_in_use ? slz_H.top != NULL
                    : (slz_H.top == NULL || (char *)slz_H.top + chunk_size(slz_H.top) != slz_H.fence))
        VIOLATION("top chunk is not the free chunk just below the fence");
    if (nfree != slz_H.st.free_chunks || freebytes != slz_H.st.free_bytes)
        VIOLATION("free chunk totals disagree with the heap");
    if (used != slz_H.st.in_use)
        VIOLATION("bytes in use disagree with the heap");
    const char *tw = NULL;
    size_t tb = tree_check(&tw);
    if (tb && bad == 0)
        what = tw;
    bad += tb;
#undef VIOLATION
    if (first)
        *first = what;
    return bad;
}

/* ---- The one error path ------------------------------------------------ */

void slz_set_error_handler(slz_error_handler h) { error_handler = h; }

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        buf[at++] = *s++;
    return at;
}

/* slz_misuse: report "slzmalloc: <op>(): <what> (<ptr>)" and abort. */
_Noreturn void slz_misuse(const char *what, const void *ptr)
{
    const char *op = slz_H.op ? slz_H.op : "slz";
    if (error_handler) {
        error_handler(op, what, ptr);
    } else {
        char buf[256], hex[2 + 16 + 1];
        uintptr_t v = (uintptr_t)ptr;
        int n = 0;
        char digits[16];
        do {
            digits[n++] = "0123456789abcdef"[v & 15];
            v >>= 4;
        } while (v);
        hex[0] = '0';
        hex[1] = 'x';
        for (int i = 0; i < n; i++)
            hex[2 + i] = digits[n - 1 - i];
        hex[2 + n] = 0;
        size_t at = 0, cap = sizeof buf - 1;
        at = put(buf, at, cap, "slzmalloc: ");
        at = put(buf, at, cap, op);
        at = put(buf, at, cap, "(): ");
        at = put(buf, at, cap, what);
        at = put(buf, at, cap, " (");
        at = put(buf, at, cap, hex);
        at = put(buf, at, cap, ")");
        buf[at++] = '\n';
        os_write_err(buf, at);
    }
    os_abort();
}
