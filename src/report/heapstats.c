/*
 * heapstats.c - the core's counters (struct slz_heap_stats) as the lines of
 * a statistics table and as a JSON object, from one table: the part of the
 * report that the shim's SLZ_STATS and slz-replay share.
 */
#include "slz.h"
#include "slz_report.h"

/* what the report shows: the counters and one figure made from them */
struct heap_view {
    struct slz_heap_stats s;
    uint64_t outside_largest; /* free bytes outside the largest free chunk */
    uint64_t cache_asked;     /* SLZ_CACHE: allocations the cache was asked for */
};

#define C(text, key, m) FIELD(text, key, F_U64, struct heap_view, s.m)
#define P(text, part, whole) FIELD_PCT(text, NULL, struct heap_view, part, whole)
/* a source line for each line of the text form */
static const struct field heap_fields[] = {
    C("slzmalloc:   core: requested ", "bytes_requested", bytes_requested), C(" bytes in ", "allocations", mallocs),
    C(" allocations, chunks handed out ", "bytes_allocated", bytes_allocated),
    P(" bytes (", s.bytes_requested, s.bytes_allocated), FIELD_TEXT("% of it asked for)\n"),

    C("slzmalloc:   core: in use now ", "in_use", in_use), C(" bytes in ", "live_blocks", live_blocks),
    FIELD(" block", NULL, F_PLURAL, struct heap_view, s.live_blocks), /* '1 block' */
    C("; peak use ", "peak_in_use", peak_in_use), C(" bytes; high water ", "high_water", high_water),
    C(" of ", "heap_size", heap_size), P(" bytes (", s.high_water, s.heap_size), FIELD_TEXT("%)\n"),

    C("slzmalloc:   core: splits ", "splits", splits), C(", coalesces ", "coalesces", coalesces),
    C(", frees ", "frees", frees), C(", reallocs ", "reallocs", reallocs),
    C(" (", "realloc_in_place", realloc_in_place), C(" in place), requests it could not serve ", "failures", failures),
    FIELD_TEXT("\n"),

    C("slzmalloc:   core: free chunks ", "free_chunks", free_chunks), C(" (", "free_bytes", free_bytes),
    C(" bytes), largest free ", "largest_free", largest_free),
    P(" bytes; external fragmentation ", outside_largest, s.free_bytes),
    FIELD_TEXT("% (free bytes outside the largest free chunk)\n"),
};
/* the fast mode's line (SLZ_CACHE), when its heaps counted anything */
static const struct field cache_fields[] = {
    C("slzmalloc:   core: cache hits ", "cache_hits", cache_hits), C(", misses ", "cache_misses", cache_misses),
    P(" (", s.cache_hits, cache_asked), FIELD_TEXT("% served by the cache); holding "),
    C("", "cached_blocks", cached_blocks), C(" freed blocks of ", "cached_bytes", cached_bytes),
    FIELD_TEXT(" bytes, not merged yet\n"),
};
#undef C
#undef P

static void view(struct heap_view *v, const struct slz_heap_stats *h)
{
    v->s = *h;
    v->outside_largest = h->free_bytes - (h->largest_free < h->free_bytes ? h->largest_free : h->free_bytes);
    v->cache_asked = h->cache_hits + h->cache_misses;
}

void stats_core_text(struct out *o, const struct slz_heap_stats *h)
{
    struct heap_view v;
    view(&v, h);
    fields_text(o, FIELDS(heap_fields), &v);
    if (v.cache_asked)
        fields_text(o, FIELDS(cache_fields), &v);
}

void stats_core_json(struct out *o, const struct slz_heap_stats *h)
{
    struct heap_view v;
    view(&v, h);
    out_ch(o, '{');
    fields_json(o, FIELDS(heap_fields), &v);
    if (v.cache_asked) {
        out_ch(o, ',');
        fields_json(o, FIELDS(cache_fields), &v);
    }
    out_ch(o, '}');
}
