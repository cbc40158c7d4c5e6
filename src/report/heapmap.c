/*
 * heapmap.c - a picture of the slz heap as SVG (SLZ_HEAPMAP, slz-replay).
 *
 * Every chunk is a box, in address order, flowing left to right in rows of
 * ROW_PX pixels like words in a text: used chunks blue, free chunks yellow,
 * the address and size of each on hover (<title>). A box is as wide as its
 * chunk at the chosen scale (a power of two pixels per byte), but never
 * narrower than MIN_PX, so that a 16-byte chunk stays visible, and never
 * wider than three rows: a chunk cut to that is drawn hatched, "not to
 * scale" (typically the free rest of a big heap). The scale is the finest
 * that keeps the picture to MAX_ROWS rows and cuts no chunk but the last.
 *
 * With more than MAX_BOXES chunks the picture would be unreadable, so the
 * heap up to its last used chunk is cut into at most MAX_CELLS equal
 * address ranges, each a cell shaded by how much of it is in use.
 *
 * Part of the report layer (libslzmalloc.so and slz-replay both link it).
 * It allocates nothing: it walks the heap (slz_heap_walk) and writes through
 * a static struct out; the caller serialises calls and keeps the heap still
 * while it is drawn (the shim draws the calling thread's own heap).
 */
#define _GNU_SOURCE
#include "slz.h"
#include "slz_report.h"

#ifndef MAX_BOXES
#define MAX_BOXES 3000 /* more chunks than this: cells instead of boxes */
#endif
#define MAX_CELLS 5000 /* cells in the aggregated picture */
#define CELL_COLS 100
#define ROW_PX 1000    /* width of a row of boxes */
#define MAX_ROWS 40    /* the scale is chosen to keep to this many rows */
#define MIN_PX 3       /* narrowest box */
#define CUT_PX (3 * ROW_PX) /* widest box: a bigger chunk is cut to this */
#define ROW_H 22       /* height of a row of boxes */
#define ROW_GAP 8
#define LEFT 96        /* room for the row labels */
#define TOP 96         /* room for the title, totals and legend */

#define USED_RGB 0x3b6fb6
#define FREE_RGB 0xf2d16b
#define MID_RGB 0x6cb37a

static char svg_buf[32768];
static struct out svg = OUT_FD(-1, svg_buf);
static const slz_heap *heap; /* the heap being drawn */

/* ---- Gathering --------------------------------------------------------- */

struct census {
    char *base;
    size_t chunks, used, free, used_bytes, free_bytes, largest_free;
    size_t cached;      /* of the used: blocks the fast mode's cache holds (SLZ_CACHE) */
    size_t span;        /* offset of the end of the last used chunk */
    size_t last;        /* offset of the last chunk */
    int shift;          /* scale: 2^shift pixels per byte (shift may be < 0) */
    uint64_t px;        /* total width of all boxes at that scale */
    size_t cuts;        /* chunks but the last one cut to a row at that scale */
};

static int count_chunk(void *chunk, size_t size, int used, void *arg)
{
    struct census *c = arg;
    c->chunks++;
    c->last = (size_t)((char *)chunk - c->base);
    if (used) {
        c->used++;
        c->cached += used == 2;
        c->used_bytes += size;
        c->span = (size_t)((char *)chunk - c->base) + size;
    } else {
        c->free++;
        c->free_bytes += size;
        if (size > c->largest_free)
            c->largest_free = size;
    }
    return 0;
}

/* box_px: width of a chunk of size bytes at 2^shift px per byte. */
static uint64_t box_px(size_t size, int shift)
{
    uint64_t w = shift >= 0 ? (uint64_t)size << shift : (uint64_t)size >> -shift;
    return w < MIN_PX ? MIN_PX : w > CUT_PX ? CUT_PX : w;
}

static int sum_px(void *chunk, size_t size, int used, void *arg)
{
    (void)used;
    struct census *c = arg;
    uint64_t w = box_px(size, c->shift);
    c->px += w;
    if (w == CUT_PX && (size_t)((char *)chunk - c->base) != c->last)
        c->cuts++;
    return 0;
}

/* ---- Small SVG pieces -------------------------------------------------- */

static void attr_u(const char *name, uint64_t v)
{
    out_ch(&svg, ' ');
    out_s(&svg, name);
    out_s(&svg, "=\"");
    out_u(&svg, v, 0);
    out_ch(&svg, '"');
}

static void rect(uint64_t x, uint64_t y, uint64_t w, uint64_t h, const char *cls)
{
    out_s(&svg, "<rect");
    attr_u("x", x);
    attr_u("y", y);
    attr_u("width", w);
    attr_u("height", h);
    if (cls) {
        out_s(&svg, " class=\"");
        out_s(&svg, cls);
        out_ch(&svg, '"');
    }
    out_s(&svg, "/>");
}

static void text_at(uint64_t x, uint64_t y, const char *cls)
{
    out_s(&svg, "<text");
    attr_u("x", x);
    attr_u("y", y);
    out_s(&svg, " class=\"");
    out_s(&svg, cls);
    out_s(&svg, "\">");
}

static void offset(size_t off)
{
    out_ch(&svg, '+');
    out_hex(&svg, off);
}

static uint64_t row_y(uint64_t row) { return TOP + row * (ROW_H + ROW_GAP); }

/* ---- One box per chunk ------------------------------------------------- */

struct flow {
    struct census *c;
    uint64_t x;      /* position in the current row */
    uint64_t row;
};

/* row_label: the offset of the first byte drawn in a row ("..." inside a
 * chunk that is not to scale). */
static void row_label(uint64_t row, size_t off)
{
    text_at(LEFT - 6, row_y(row) + ROW_H - 7, "addr");
    if (off == (size_t)-1)
        out_s(&svg, "...");
    else
        offset(off);
    out_s(&svg, "</text>");
}

static int draw_chunk(void *chunk, size_t size, int used, void *arg)
{
    struct flow *f = arg;
    size_t off = (size_t)((char *)chunk - f->c->base);
    uint64_t w = box_px(size, f->c->shift);
    uint64_t exact = f->c->shift >= 0 ? (uint64_t)size << f->c->shift : (uint64_t)size >> -f->c->shift;
    int cut = exact > CUT_PX;

    out_s(&svg, "<g class=\"");
    out_s(&svg, used == 2 ? "u k" : used ? "u" : "f"); /* 2: held by the cache (SLZ_CACHE) */
    if (cut)
        out_s(&svg, " cut");
    out_s(&svg, "\"><title>");
    out_s(&svg, used == 2 ? "cached" : used ? "used" : "free");
    out_s(&svg, " chunk at ");
    offset(off);
    out_s(&svg, " (");
    out_hex(&svg, (uint64_t)(uintptr_t)chunk);
    out_s(&svg, "): ");
    out_u(&svg, size, 0);
    out_s(&svg, " bytes");
    if (cut)
        out_s(&svg, " (box not to scale)");
    out_s(&svg, "</title>");
    uint64_t lx = 0, lrow = 0, lw = 0; /* the widest piece gets the label */
    for (uint64_t left = w; left > 0;) {
        if (f->x == ROW_PX) {
            f->x = 0;
            f->row++;
        }
        if (f->x == 0) {
            uint64_t done = w - left; /* pixels of this chunk already drawn */
            size_t part = f->c->shift >= 0 ? done >> f->c->shift : done << -f->c->shift;
            row_label(f->row, cut && done ? (size_t)-1 : off + part);
        }
        uint64_t piece = left < ROW_PX - f->x ? left : ROW_PX - f->x;
        rect(LEFT + f->x, row_y(f->row), piece, ROW_H, NULL);
        if (piece > lw)
            lx = f->x, lrow = f->row, lw = piece;
        f->x += piece;
        left -= piece;
    }
    if (lw >= 64) { /* room for a label inside */
        text_at(LEFT + lx + 4, row_y(lrow) + ROW_H - 7, used ? "in iu" : "in if");
        out_bytes(&svg, size);
        out_s(&svg, "</text>");
    }
    out_s(&svg, "</g>\n");
    return 0;
}

/* ---- Cells, when there are too many chunks ----------------------------- */

static struct cells {
    uint64_t used[MAX_CELLS];     /* bytes of used chunks inside the cell */
    uint32_t starts[MAX_CELLS];   /* chunks starting in the cell */
    uint32_t used_starts[MAX_CELLS];
    uint64_t largest_free[MAX_CELLS]; /* largest free chunk starting here */
    size_t bytes;                 /* bytes per cell */
    size_t n;                     /* cells */
    char *base;
} cells;

static int add_chunk(void *chunk, size_t size, int used, void *arg)
{
    (void)arg;
    size_t off = (size_t)((char *)chunk - cells.base);
    size_t i = off / cells.bytes;
    if (i >= cells.n)
        return 1; /* the free tail: drawn apart */
    cells.starts[i]++;
    if (!used) {
        if (size > cells.largest_free[i])
            cells.largest_free[i] = size;
        return 0;
    }
    cells.used_starts[i]++;
    for (size_t end = off + size; off < end && i < cells.n; i++) {
        size_t cell_end = (i + 1) * cells.bytes;
        size_t piece = (end < cell_end ? end : cell_end) - off;
        cells.used[i] += piece;
        off += piece;
    }
    return 0;
}

/* fill_mix: the colour of a cell used/whole in use: from the free colour
 * through green to the used colour (a straight mix would be a dull grey). */
static void fill_mix(uint64_t used, uint64_t whole)
{
    unsigned frac = whole ? (unsigned)(used * 512 / whole) : 0; /* 0..512 */
    unsigned from = frac < 256 ? FREE_RGB : MID_RGB, to = frac < 256 ? MID_RGB : USED_RGB;
    frac = frac < 256 ? frac : frac - 256 > 256 ? 256 : frac - 256;
    out_s(&svg, " fill=\"#");
    for (int sh = 16; sh >= 0; sh -= 8) {
        unsigned a = (from >> sh) & 255, b = (to >> sh) & 255;
        unsigned v = (a * (256 - frac) + b * frac) / 256;
        out_ch(&svg, "0123456789abcdef"[v >> 4]);
        out_ch(&svg, "0123456789abcdef"[v & 15]);
    }
    out_ch(&svg, '"');
}

/* cells_span: the bytes the cells cover: up to the end of the last used
 * chunk (the free rest is one box of its own), or the whole heap. */
static size_t cells_span(const struct census *c) { return c->span ? c->span : slz_heap_size(heap); }

/* cell_bytes: the bytes of one cell: at most MAX_CELLS cells, each a whole
 * number of 16-byte units. */
static size_t cell_bytes(const struct census *c)
{
    return ((cells_span(c) + MAX_CELLS - 1) / MAX_CELLS + 15) & ~(size_t)15;
}

/* cell_count: how many cells cover cells_span. */
static size_t cell_count(const struct census *c)
{
    return (cells_span(c) + cell_bytes(c) - 1) / cell_bytes(c);
}

static uint64_t draw_cells(struct census *c)
{
    const uint64_t cw = ROW_PX / CELL_COLS;
    size_t span = cells_span(c);
    cells.base = c->base;
    cells.bytes = cell_bytes(c);
    cells.n = cell_count(c);
    for (size_t i = 0; i < cells.n; i++)
        cells.used[i] = cells.starts[i] = cells.used_starts[i] = cells.largest_free[i] = 0;
    slz_heap_walk(heap, add_chunk, NULL);

    for (size_t i = 0; i < cells.n; i++) {
        uint64_t row = i / CELL_COLS, col = i % CELL_COLS;
        size_t lo = i * cells.bytes, hi = lo + cells.bytes;
        if (col == 0)
            row_label(row, lo);
        out_s(&svg, "<rect class=\"cell\"");
        attr_u("x", LEFT + col * cw);
        attr_u("y", row_y(row));
        attr_u("width", cw);
        attr_u("height", ROW_H);
        fill_mix(cells.used[i], cells.bytes);
        out_s(&svg, "><title>");
        offset(lo);
        out_s(&svg, " to ");
        offset(hi);
        out_s(&svg, ": ");
        out_pct(&svg, cells.used[i], cells.bytes);
        out_s(&svg, "% in use; ");
        out_u(&svg, cells.starts[i], 0);
        out_s(&svg, " chunks start here (");
        out_u(&svg, cells.used_starts[i], 0);
        out_s(&svg, " used), largest free one ");
        out_u(&svg, cells.largest_free[i], 0);
        out_s(&svg, " bytes</title></rect>\n");
    }
    uint64_t rows = (cells.n + CELL_COLS - 1) / CELL_COLS;
    if (span < slz_heap_size(heap)) { /* the free rest of the heap, in one box */
        size_t rest = slz_heap_size(heap) - span;
        out_s(&svg, "<g class=\"f cut\"><title>free from ");
        offset(span);
        out_s(&svg, " to the end: ");
        out_u(&svg, rest, 0);
        out_s(&svg, " bytes (box not to scale)</title>");
        row_label(rows, span);
        rect(LEFT, row_y(rows), ROW_PX, ROW_H, NULL);
        text_at(LEFT + 4, row_y(rows) + ROW_H - 7, "in if");
        out_s(&svg, "free to the end of the heap: ");
        out_bytes(&svg, rest);
        out_s(&svg, "</text></g>\n");
        rows++;
    }
    return rows;
}

/* ---- The picture ------------------------------------------------------- */

static void legend_box(uint64_t x, uint64_t y, const char *cls, const char *label)
{
    rect(x, y, 14, 14, cls);
    text_at(x + 20, y + 12, "note");
    out_s(&svg, label);
    out_s(&svg, "</text>");
}

/* choose_scale: for boxes, the finest scale (up to 2 px a byte) that fits
 * MAX_ROWS rows and cuts no chunk but the last (the free rest of the
 * heap), into c->shift; returns the rows the boxes take. */
static uint64_t choose_scale(struct census *c)
{
    for (c->shift = 1; c->shift > -40; c->shift--) {
        c->px = c->cuts = 0;
        slz_heap_walk(heap, sum_px, c);
        if (c->px <= (uint64_t)MAX_ROWS * ROW_PX && c->cuts == 0)
            break;
    }
    return (c->px + ROW_PX - 1) / ROW_PX;
}

/* svg_head: the XML prolog, the <svg> element and the style sheet. */
static void svg_head(uint64_t width, uint64_t height)
{
    out_s(&svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"");
    attr_u("width", width);
    attr_u("height", height);
    out_s(&svg, " viewBox=\"0 0 ");
    out_u(&svg, width, 0);
    out_ch(&svg, ' ');
    out_u(&svg, height, 0);
    out_s(&svg, "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n"
                "<style>\n"
                ".u rect{fill:#3b6fb6;stroke:#fff;stroke-width:0.5}\n"
                ".f rect{fill:#f2d16b;stroke:#fff;stroke-width:0.5}\n"
                ".k rect{fill:#9cc3e8}\n"
                ".cut rect{fill:url(#hatch)}\n"
                ".u.cut rect{fill:url(#uhatch)}\n"
                ".cell{stroke:#fff;stroke-width:0.5}\n"
                "g:hover rect,.cell:hover{stroke:#000;stroke-width:1.5}\n"
                ".in{font-size:10px;pointer-events:none}\n"
                ".iu{fill:#fff}.if{fill:#333}\n"
                ".ku{fill:#3b6fb6}.kf{fill:#f2d16b}.kc{fill:url(#hatch)}.kk{fill:#9cc3e8}\n"
                ".addr{font-family:DejaVu Sans Mono,monospace;font-size:10px;fill:#555;text-anchor:end}\n"
                ".title{font-size:15px;font-weight:bold}\n"
                ".note{fill:#333}\n"
                "</style>\n"
                "<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
                "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#f2d16b\"/>"
                "<rect width=\"3\" height=\"8\" fill=\"#e0b93c\"/></pattern>"
                "<pattern id=\"uhatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
                "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#3b6fb6\"/>"
                "<rect width=\"3\" height=\"8\" fill=\"#2a5390\"/></pattern></defs>\n"
                "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
}

/* totals: the line under the title: the heap, its chunks, used and free. */
static void totals(const struct census *c, const struct slz_heap_stats *st)
{
    out_s(&svg, "heap ");
    out_bytes(&svg, st->heap_size);
    out_s(&svg, " at ");
    out_hex(&svg, (uint64_t)(uintptr_t)c->base);
    out_s(&svg, ": ");
    out_u(&svg, c->chunks, 0);
    out_s(&svg, " chunks, ");
    out_u(&svg, c->used, 0);
    out_s(&svg, " used (");
    out_bytes(&svg, c->used_bytes);
    out_s(&svg, "), ");
    out_u(&svg, c->free, 0);
    out_s(&svg, " free (");
    out_bytes(&svg, c->free_bytes);
    out_s(&svg, "); largest free chunk ");
    out_bytes(&svg, c->largest_free);
    out_s(&svg, "; peak use ");
    out_bytes(&svg, st->peak_in_use);
    out_s(&svg, "</text>\n");
}

/* scale_note: for boxes, the scale in words and a 100 px scale bar. */
static void scale_note(const struct census *c)
{
    out_s(&svg, "scale: ");
    if (c->shift >= 0) {
        out_u(&svg, (uint64_t)1 << c->shift, 0);
        out_s(&svg, " px a byte; a row is ");
        out_u(&svg, (uint64_t)ROW_PX >> c->shift, 0);
    } else {
        out_u(&svg, (uint64_t)1 << -c->shift, 0);
        out_s(&svg, " bytes a px; a row is ");
        out_u(&svg, (uint64_t)ROW_PX << -c->shift, 0);
    }
    out_s(&svg, " bytes; boxes at least ");
    out_u(&svg, MIN_PX, 0);
    out_s(&svg, " px</text>\n");
    uint64_t bar = 100;
    rect(450, 76, bar, 4, "bar");
    text_at(450 + bar + 6, 82, "note");
    out_u(&svg, c->shift >= 0 ? bar >> c->shift : bar << -c->shift, 0);
    out_s(&svg, " bytes</text>\n");
}

/* cell_note: for cells, the bytes of a cell and a strip of shades. */
static void cell_note(const struct census *c)
{
    out_s(&svg, "too many chunks to draw one by one: each cell is ");
    out_u(&svg, cell_bytes(c), 0);
    out_s(&svg, " bytes, coloured by how much of it is in use:</text>\n");
    for (int k = 0; k <= 10; k++) { /* 0% .. 100% */
        out_s(&svg, "<rect class=\"shade\"");
        attr_u("x", 450 + 24 * (uint64_t)k);
        attr_u("y", 74);
        attr_u("width", 24);
        attr_u("height", 10);
        fill_mix((uint64_t)k, 10);
        out_s(&svg, "/>");
    }
    text_at(450 + 24 * 11 + 6, 84, "note");
    out_s(&svg, "0% to 100% in use</text>\n");
}

/* legend: what the colours mean, then the scale or the cell size. */
static void legend(const struct census *c, int boxes)
{
    legend_box(12, 56, "ku", "used chunk");
    legend_box(112, 56, "kf", "free chunk");
    legend_box(212, 56, "kc", "cut short (not to scale)");
    if (c->cached)
        legend_box(12, 76, "kk", "used chunk the cache holds: a block freed, not merged yet (SLZ_CACHE)");
    text_at(450, 68, "note");
    if (boxes)
        scale_note(c);
    else
        cell_note(c);
}

static int finish(void)
{
    out_flush(&svg);
    return svg.failed ? -1 : 0;
}

int heapmap_write(int fd, const slz_heap *h, const char *title)
{
    struct census c = {0};
    struct slz_heap_stats st;
    heap = h;
    slz_heap_get_stats(heap, &st);
    c.base = slz_heap_base(heap);
    svg.fd = fd;
    svg.failed = 0;
    svg.at = 0;
    if (c.base)
        slz_heap_walk(heap, count_chunk, &c);
    int boxes = c.chunks <= MAX_BOXES;
    uint64_t rows = boxes ? choose_scale(&c) : (cell_count(&c) + CELL_COLS - 1) / CELL_COLS + 1;
    svg_head(LEFT + ROW_PX + 24, row_y(rows) + 40);
    text_at(12, 22, "title");
    out_xml(&svg, title);
    out_s(&svg, "</text>\n");
    text_at(12, 42, "note");
    if (!c.base) {
        out_s(&svg, "no slz heap is set up</text>\n</svg>\n");
        return finish();
    }
    totals(&c, &st);
    legend(&c, boxes);
    if (boxes) {
        struct flow f = {&c, 0, 0};
        slz_heap_walk(heap, draw_chunk, &f);
    } else
        draw_cells(&c);
    out_s(&svg, "</svg>\n");
    return finish();
}

int heapmap_file(const char *path, const slz_heap *h, const char *title)
{
    struct file_report f; /* a fresh file renamed onto path (file.c) */
    if (file_begin(&f, path, 0) < 0)
        return -1;
    return file_end(&f, path, heapmap_write(f.fd, h, title) == 0);
}
