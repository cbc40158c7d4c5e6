/* fuzz_core: libFuzzer target over the slz core, with the operation decoder,
 * executor and checks of tests/c/ops.h (the same as core_random's). Built
 * with clang -fsanitize=fuzzer,address,undefined by `make fuzz`.
 *
 * Input: the first byte picks the heap (size, and caller memory or mapped
 * by the core); then six bytes per operation (see ops_decode). Any check
 * that fails prints its message and aborts, which libFuzzer records as a
 * crash with the input that caused it. */
#include <stdlib.h>
#include "../c/ops.h"

static _Alignas(4096) char arena[1 << 20];

static const struct {
    size_t size;
    int caller;
} heaps[] = {{4096, 0}, {4096, 1}, {16384, 1}, {65536, 0}, {65536, 1}, {1 << 20, 0}, {1 << 20, 1}, {8192, 1}};

static void die(const char *when, const char *msg)
{
    fprintf(stderr, "fuzz_core: %s: %s\n", when, msg);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static struct ops_state st;
    if (len < 1)
        return 0;
    unsigned h = data[0] % (sizeof heaps / sizeof heaps[0]);
    slz_heap_release();
    int r = heaps[h].caller ? slz_heap_initialize_with(arena, heaps[h].size) : slz_heap_initialize_size(heaps[h].size);
    if (r != 0)
        die("set-up", "cannot set up the heap");
    memset(&st, 0, sizeof st);
    struct ops_src src = {data + 1, len - 1, 0, 0};
    struct ops_op o;
    size_t max = slz_max_request(HEAP);
    while (ops_decode(&src, &o, max))
        if (ops_step(&st, &o))
            die(ops_kind_name[o.kind], st.msg);
    if (ops_finish(&st))
        die("finish", st.msg);
    slz_heap_release();
    return 0;
}
