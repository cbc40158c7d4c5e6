/*
 * addr.c - the one address table: a live block's address -> its trace id
 * and size, for the shim's trace recorder (preload/trace.c) and the heap
 * timeline (scripts/html.c). Open addressing with linear probing; a
 * deletion shifts the rest of its probe run back, so no tombstones. Its
 * memory comes straight from mmap: the recorder runs inside malloc.
 */
#include <sys/mman.h>

#include "slz_report.h"

#define FIRST_CAP (1u << 16) /* slots at first; doubled when half full */

static size_t home(const struct addr_table *t, uintptr_t key)
{
    return (size_t)(((key >> 4) * 0x9e3779b97f4a7c15ull) >> 20) & (t->cap - 1);
}

struct addr_slot *addr_find(const struct addr_table *t, uintptr_t key)
{
    if (t->cap == 0 || key == 0)
        return NULL;
    for (size_t i = home(t, key);; i = (i + 1) & (t->cap - 1)) {
        if (t->slot[i].key == key)
            return &t->slot[i];
        if (t->slot[i].key == 0)
            return NULL;
    }
}

/* place: key into a table with room, not there yet. */
static void place(struct addr_table *t, uintptr_t key, int64_t id, uint64_t size)
{
    size_t i = home(t, key);
    while (t->slot[i].key != 0)
        i = (i + 1) & (t->cap - 1);
    t->slot[i] = (struct addr_slot){key, size, id};
    t->count++;
}

/* grow: twice the slots (FIRST_CAP at first); 0, or -1 without memory. */
static int grow(struct addr_table *t)
{
    struct addr_table old = *t;
    size_t cap = old.cap ? 2 * old.cap : FIRST_CAP;
    void *m = mmap(NULL, cap * sizeof(struct addr_slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    *t = (struct addr_table){m, cap, 0};
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i].key)
            place(t, old.slot[i].key, old.slot[i].id, old.slot[i].size);
    addr_free(&old);
    return 0;
}

int addr_put(struct addr_table *t, uintptr_t key, int64_t id, uint64_t size)
{
    struct addr_slot *s = addr_find(t, key);
    if (s != NULL) {
        s->id = id;
        s->size = size;
        return 0;
    }
    if (2 * (t->count + 1) > t->cap && grow(t) != 0)
        return -1;
    place(t, key, id, size);
    return 0;
}

void addr_del(struct addr_table *t, struct addr_slot *s)
{
    size_t i = (size_t)(s - t->slot), j = i;
    for (;;) {
        j = (j + 1) & (t->cap - 1);
        if (t->slot[j].key == 0)
            break;
        size_t k = home(t, t->slot[j].key);
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j); /* its home lies in (i, j] */
        if (!stays) {
            t->slot[i] = t->slot[j];
            i = j;
        }
    }
    t->slot[i].key = 0;
    t->count--;
}

void addr_free(struct addr_table *t)
{
    if (t->slot)
        munmap(t->slot, t->cap * sizeof(struct addr_slot));
    *t = (struct addr_table){NULL, 0, 0};
}
