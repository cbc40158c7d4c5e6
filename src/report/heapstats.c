/*
 * heapstats.c - the core's counters (struct slz_heap_stats) as the lines of
 * a statistics table and as a JSON object: the part of the report that the
 * shim's SLZ_STATS and slz-replay share.
 */
#include "slz.h"
#include "slz_report.h"

/* cache_text: the fast mode's line (SLZ_CACHE: any allocation counts as a
 * hit or a miss; nothing without it). */
static void cache_text(struct out *o, const struct slz_heap_stats *h)
{
    if ((h->cache_hits | h->cache_misses) == 0)
        return;
    out_s(o, "slzmalloc:   core: cache hits ");
    out_u(o, h->cache_hits, 0);
    out_s(o, ", misses ");
    out_u(o, h->cache_misses, 0);
    out_s(o, " (");
    out_pct(o, h->cache_hits, h->cache_hits + h->cache_misses);
    out_s(o, "% served by the cache); holding ");
    out_u(o, h->cached_blocks, 0);
    out_s(o, " freed blocks of ");
    out_u(o, h->cached_bytes, 0);
    out_s(o, " bytes, not merged yet\n");
}

void stats_core_text(struct out *o, const struct slz_heap_stats *h)
{
    out_s(o, "slzmalloc:   core: requested ");
    out_u(o, h->bytes_requested, 0);
    out_s(o, " bytes in ");
    out_u(o, h->mallocs, 0);
    out_s(o, " allocations, chunks handed out ");
    out_u(o, h->bytes_allocated, 0);
    out_s(o, " bytes (");
    out_pct(o, h->bytes_requested, h->bytes_allocated);
    out_s(o, "% of it asked for)\n");
    out_s(o, "slzmalloc:   core: in use now ");
    out_u(o, h->in_use, 0);
    out_s(o, " bytes in ");
    out_u(o, h->live_blocks, 0);
    out_s(o, " blocks; peak use ");
    out_u(o, h->peak_in_use, 0);
    out_s(o, " bytes; high water ");
    out_u(o, h->high_water, 0);
    out_s(o, " of ");
    out_u(o, h->heap_size, 0);
    out_s(o, " bytes (");
    out_pct(o, h->high_water, h->heap_size);
    out_s(o, "%)\n");
    out_s(o, "slzmalloc:   core: splits ");
    out_u(o, h->splits, 0);
    out_s(o, ", coalesces ");
    out_u(o, h->coalesces, 0);
    out_s(o, ", frees ");
    out_u(o, h->frees, 0);
    out_s(o, ", reallocs ");
    out_u(o, h->reallocs, 0);
    out_s(o, " (");
    out_u(o, h->realloc_in_place, 0);
    out_s(o, " in place), requests it could not serve ");
    out_u(o, h->failures, 0);
    out_s(o, "\n");
    out_s(o, "slzmalloc:   core: free chunks ");
    out_u(o, h->free_chunks, 0);
    out_s(o, " (");
    out_u(o, h->free_bytes, 0);
    out_s(o, " bytes), largest free ");
    out_u(o, h->largest_free, 0);
    out_s(o, " bytes; external fragmentation ");
    out_pct(o, h->free_bytes - (h->largest_free < h->free_bytes ? h->largest_free : h->free_bytes),
            h->free_bytes);
    out_s(o, "% (free bytes outside the largest free chunk)\n");
    cache_text(o, h);
}

void stats_core_json(struct out *o, const struct slz_heap_stats *h)
{
    out_ch(o, '{');
    out_field(o, "heap_size", h->heap_size, 0);
    out_field(o, "in_use", h->in_use, 0);
    out_field(o, "peak_in_use", h->peak_in_use, 0);
    out_field(o, "high_water", h->high_water, 0);
    out_field(o, "live_blocks", h->live_blocks, 0);
    out_field(o, "free_chunks", h->free_chunks, 0);
    out_field(o, "free_bytes", h->free_bytes, 0);
    out_field(o, "largest_free", h->largest_free, 0);
    out_field(o, "bytes_requested", h->bytes_requested, 0);
    out_field(o, "bytes_allocated", h->bytes_allocated, 0);
    out_field(o, "allocations", h->mallocs, 0);
    out_field(o, "frees", h->frees, 0);
    out_field(o, "reallocs", h->reallocs, 0);
    out_field(o, "realloc_in_place", h->realloc_in_place, 0);
    out_field(o, "splits", h->splits, 0);
    out_field(o, "coalesces", h->coalesces, 0);
    int cache = (h->cache_hits | h->cache_misses) != 0;
    out_field(o, "failures", h->failures, !cache);
    if (cache) {
        out_field(o, "cache_hits", h->cache_hits, 0);
        out_field(o, "cache_misses", h->cache_misses, 0);
        out_field(o, "cached_blocks", h->cached_blocks, 0);
        out_field(o, "cached_bytes", h->cached_bytes, 1);
    }
    out_ch(o, '}');
}
