/*
 * table.c - a report as one table of fields over a struct, walked by two
 * small printers: the text form (the words around each value, in order)
 * and the JSON form (each keyed value as "key":value). A report names each
 * of its numbers once, in its table, and both forms follow from it.
 */
#include <string.h>

#include "slz_report.h"

_Static_assert(sizeof(size_t) == sizeof(uint64_t), "a table reads size_t and uint64_t alike");

static uint64_t value(const struct field *f, const void *data, unsigned at)
{
    uint64_t v;
    (void)f;
    memcpy(&v, (const char *)data + at, sizeof v);
    return v;
}

static const char *string(const void *data, unsigned at)
{
    const char *s;
    memcpy(&s, (const char *)data + at, sizeof s);
    return s;
}

void fields_text(struct out *o, const struct field *f, size_t n, const void *data)
{
    for (size_t i = 0; i < n; i++, f++) {
        if (f->text == NULL)
            continue;
        out_s(o, f->text);
        switch (f->kind) {
        case F_U64: out_u(o, value(f, data, f->at), 0); break;
        case F_PCT: out_pct(o, value(f, data, f->at), value(f, data, f->of)); break;
        case F_STR: out_s(o, string(data, f->at)); break;
        case F_TEXT: case F_BOOL: break;
        case F_PLURAL:
            if (value(f, data, f->at) != 1)
                out_ch(o, 's');
            break;
        case F_UNLESS:
            if (value(f, data, f->at) == 0)
                i += f->of, f += f->of;
            break;
        }
    }
}

void fields_json(struct out *o, const struct field *f, size_t n, const void *data)
{
    int first = 1;
    for (size_t i = 0; i < n; i++, f++) {
        if (f->key == NULL)
            continue;
        if (!first)
            out_ch(o, ',');
        first = 0;
        out_key(o, f->key);
        switch (f->kind) {
        case F_PCT: out_pct(o, value(f, data, f->at), value(f, data, f->of)); break;
        case F_STR: out_json_str(o, string(data, f->at)); break;
        case F_BOOL: out_s(o, value(f, data, f->at) ? "true" : "false"); break;
        default: out_u(o, value(f, data, f->at), 0); break;
        }
    }
}
