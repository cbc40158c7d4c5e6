#!/usr/bin/env bash
# tests/can_fail.sh - show that the tests can fail: mutation testing.
#
# Each mutant is the tree with one deliberate bug, a one-line sed edit of a
# file of src/ or preload/. The tree (Makefile, include/, src/, preload/,
# tests/c/, tests/tests.mk) is copied once into build/mutants/.base and
# built there by make with the project's own flags (nothing here repeats
# them); each mutant is a copy of that base with the edit, rebuilt by make,
# which recompiles only what the edited file reaches (the .d files). The
# test program named for the mutant runs against it and must FAIL (nonzero
# exit, a report or a timeout): "caught". One that passes is "MISSED". An
# edit that no longer applies (the code moved on) or no longer compiles is
# "stale", never caught.
#
# Not part of `make test` (about 100 rebuilds and runs, about five minutes on 2 cores).
# Usage: tests/can_fail.sh [NAME-PATTERN]   (a shell glob on mutant names)
#        tests/can_fail.sh --quick          (one mutant of each area, 13 in
#        all, about 10 s of CPU: what CI runs after make test)
# Prints one line per mutant, then the counts; exits nonzero on any missed or
# stale mutant.
set -u
shopt -s extglob # patterns like @(find|index)*
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=build/mutants
BASE=$OUT/.base
ONLY=${1:-*}
QUICK_N=0 # --quick: how many mutants must run (a name that matches none would make the run vacuous)
[ "$ONLY" = --quick ] && QUICK_N=13 && ONLY='@(walk-first-ge-takes-the-last|index-set-short-of-the-top|bits-start-lost|merge-above-never|release-never|tomb-not-read|check-cell-last|alloc-split-needs-more|calloc-zero-half|count-free-no-frees|pending-double-not-seen|shim-slot-shift-off|shim-realloc-loses-contents)'
MAKE_ARGS=(-s CFLAGS="-O1 -g") # quicker to build; the flags are the Makefile's
TIMEOUT=60
caught=0 missed=0 stale=0

# the base: the files a build of the core, the shim and tests/c needs
rm -rf "$OUT" && mkdir -p "$BASE/tests"
cp -r Makefile include src preload "$BASE/"
cp -r tests/c tests/tests.mk "$BASE/tests/"
progs=$(for f in tests/c/*.c; do f=${f##*/}; echo "build/tests/${f%.c}"; done)
# shellcheck disable=SC2086
make -C "$BASE" "${MAKE_ARGS[@]}" -j"$(nproc)" libslzmalloc.so $progs >"$OUT/base.log" 2>&1 || {
    echo "can_fail.sh: the unmutated tree does not build (see $OUT/base.log)" >&2
    exit 2
}

# mutant NAME FILE SED-EXPR KIND(shim|core) "PROGRAM [ARGS]" [ENV=VALUE...]
# core: the program is rebuilt against the mutated core and run bare;
# shim: libslzmalloc.so is rebuilt and the program runs under it.
mutant() {
    local name=$1 file=$2 expr=$3 kind=$4 cmd=$5
    shift 5
    # shellcheck disable=SC2254
    case "$name" in $ONLY) ;; *) return ;; esac
    local d=$OUT/$name prog=${cmd%% *} rc
    cp -a "$BASE" "$d"
    sed -i "$expr" "$d/$file"
    if cmp -s "$file" "$d/$file"; then
        echo "stale   $name: the edit no longer applies to $file"
        stale=$((stale + 1))
        return
    fi
    local target=build/tests/$prog
    [ "$kind" = shim ] && target=libslzmalloc.so
    if ! make -C "$d" "${MAKE_ARGS[@]}" "$target" >"$d/build.log" 2>&1; then
        echo "stale   $name: the mutated $file does not build (see $d/build.log)"
        stale=$((stale + 1))
        return
    fi
    # the program and its arguments, split into words
    # shellcheck disable=SC2086
    set -- "$@" "$ROOT/$d/build/tests/"$cmd
    [ "$kind" = shim ] && set -- LD_PRELOAD="$ROOT/$d/libslzmalloc.so" "$@"
    { timeout "$TIMEOUT" env "$@" >"$d/out" 2>&1; } 2>/dev/null # (no "Aborted" from bash)
    rc=$?
    if [ $rc -eq 126 ] || [ $rc -eq 127 ]; then
        echo "stale   $name: $prog could not be run (exit $rc, see $d/out)"
        stale=$((stale + 1))
    elif [ $rc -ne 0 ]; then
        local why
        why=$(grep -m1 -E 'FAIL|slzmalloc|failed|violation|says|signal|Abort|error' "$d/out" || head -1 "$d/out")
        [ $rc -eq 124 ] && why="timed out after ${TIMEOUT}s"
        echo "caught  $name: $prog exits $rc (${why:0:100})"
        caught=$((caught + 1))
        rm -rf "$d/build" "$d/libslzmalloc.so" # keep the edit and the output only
    else
        echo "MISSED  $name: $prog passed with the bug in"
        missed=$((missed + 1))
    fi
}

I=src/index.c A=src/alloc.c F=src/free.c H=src/heap.c C=src/chunk.h K=src/check.c
S=preload/shim.c P=preload/heaps.c PH=preload/heaps.h Q=src/quarantine.c
R="core_random 300000" # every step predicted by a model of first fit and slz_heap_check()ed

# ---- the first-fit walk (index_walk.h, lines.h, index.c) --------------------
W=src/index_walk.h L=src/lines.h
R0="core_random 300000 1 0" # the same with the baseline (SSE2) line operations
mutant walk-first-ge-takes-the-last $W 's/    size_t at = (size_t)__builtin_ctz(m) \* sizeof(uint32_t);/    size_t at = (size_t)(31 - __builtin_clz(m)) * sizeof(uint32_t);/' core "$R"
mutant walk-descend-takes-entry-0 $W 's/     at += (size_t)__builtin_ctz(V(fit_mask)(/     at += 0 * (size_t)__builtin_ctz(V(fit_mask)(/' core "$R"
mutant walk-enters-a-level-low $W 's/    case 2: DESCEND(1); \/\* fall through \*\//    case 2: \/\* fall through \*\//' core "$R"
mutant walk-cell-strictly-greater $W 's/    while (__builtin_expect(s < need, 0)) {/    while (__builtin_expect(s <= need, 0)) {/' core core_firstfit
mutant lines-sse2-strictly-greater $L 's/_mm_set1_epi32((int)((need - 1) ^ 0x80000000u))/_mm_set1_epi32((int)(need ^ 0x80000000u))/' core "$R0"
mutant lines-sse2-max-half-line $L 's/    m = vmax_sse2(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));/    (void)0;/' core "$R0"
mutant lines-avx2-fit-not-carried $L 's/((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(lb)) << 8) + 1;/((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(lb)) << 8) + 0;/' core "$R"
mutant lines-avx2-compares-the-need $L 's/__m256i n = _mm256_set1_epi32((int)need);/__m256i n = _mm256_set1_epi32((int)need + 1);/' core "$R"
mutant lines-avx2-for-any-arena $I 's/ \&\& h->grains_max <= INT32_MAX ? 1 : 0;/ ? 1 : 0;/' core core_firstfit
mutant lines-avx2-max-half-line $L 's/    x = _mm_max_epu32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));/    (void)0;/' core "$R"
mutant find-in-cell-strictly-greater $I 's/        if (grains_of(h, g) >= need)/        if (grains_of(h, g) > need)/' core "$R"
mutant find-in-cell-from-off-by-one $I 's/        f \&= ~(bit_of(from) - 1);/        f \&= ~(bit_of(from) + bit_of(from) - 1);/' core "$R"
mutant find-right-skips-a-neighbour $I 's/(0xfffeu << (idx % SLZ_FAN))/(0xfffcu << (idx % SLZ_FAN))/' core "$R"
mutant find-from-skips-own-cell $I 's/    if (h->lv\[0\]\[idx\] >= need) {/    if (h->lv[0][idx] > need) {/' core "$R"
# ---- the index updates (index_walk.h, index.c, alloc.c, free.c) --------------
mutant cell-max-keeps-the-last $C 's/        m = s > m ? s : m;/        m = s ? s : m;/' core "$R"
mutant index-set-short-of-the-top $W '/^VATTR static inline __attribute__((always_inline)) void V(fall_at)/,/^}/s/        if (l > top)/        if (l >= top)/' core "$R"
mutant index-set-wrong-line $W 's/            line = h->lv\[l - 1\] + (k \& ~(size_t)(SLZ_FAN - 1));/            line = h->lv[l - 1] + (k \& ~(size_t)(2 * SLZ_FAN - 1));/' core "$R"
mutant index-fall-wrong-first-line $W 's/\& ~(uintptr_t)(SLZ_FAN \* sizeof(uint32_t) - 1));/\& ~(uintptr_t)(2 * SLZ_FAN * sizeof(uint32_t) - 1));/' core "$R"
mutant index-raise-no-parents $C 's/        \*par = s;/        (void)par;/' core "$R"
mutant index-raise-unrolled-cell-short $C 's/    SLZ_RISE(h->lv\[0\]\[k\], s, done); \/\* (raise_cell.s) \*\//    SLZ_RISE(h->lv[0][k], s - 1, done);/' core "$R"
mutant index-raise-unrolled-no-parents $C 's/        SLZ_RISE(line\[k\], s, done);/        (void)line;/' core "$R"
mutant index-raise-one-short $C 's/    if (s <= h->lv\[0\]\[k\])$/    if (s <= h->lv[0][k] + 1)/' core "$R"
mutant index-raise-span-one-short $C 's/    if (k >= h->span)$/    if (k > h->span)/' core "$R"
mutant index-widen-start-stays $I 's/        h->start++;/        break;/' core "$R"
mutant index-widen-stop-stays $I 's/        h->lv\[h->start + 1\]\[0\] = SLZ_STOP;/        (void)0;/' core "$R"
mutant index-raise-no-first-stop $H 's/    h->lv\[1\]\[0\] = SLZ_STOP;   /    (void)0;/' core "$R"
mutant index-refresh-nothing $I 's/    refreshes\[h->lines \& 1\](h, k);/    (void)0;/' core "$R"
MP=src/malloc_pass.h # top_fall: malloc_top's fall before the carve
mutant top-fall-rest-next-cell $MP 's/ < SLZ_CELL ? size - need : 0;/ < 2 * SLZ_CELL ? size - need : 0;/' core "$R"
mutant top-fall-other-chunks-lost $MP 's/    if (h->lv\[0\]\[k\] != size || (c->start \& ~c->used) != bit_of(g))/    if (h->lv[0][k] != size)/' core "$R"
mutant top-fall-short-of-the-top $MP 's/    V(fall_read)(h, k, v, h->start);/    V(fall_read)(h, k, v, h->start - 1);/' core "$R"
mutant fall-read-lane-kept $W 's/        uint32_t m = V(line_but)(line, (unsigned)(k % SLZ_FAN));/        uint32_t m = V(line_but)(line, 16);/' core "$R"
mutant fall-read-lane-kept-sse2 $W 's/        uint32_t m = V(line_but)(line, (unsigned)(k % SLZ_FAN));/        uint32_t m = V(line_but)(line, 16);/' core "$R0"
mutant top-fall-claimed-when-not $MP 's/    int fell = V(top_fall)(h, g, size, need);/    int fell = (V(top_fall)(h, g, size, need), 1);/' core "$R"
mutant carve-no-lowering src/malloc_pass.h 's/^        V(fall_at)(h, ent, k, /        if (0) V(fall_at)(h, ent, k, /' core "$R"
mutant carve-lowers-past-the-cell src/malloc_pass.h 's/? cell_max(h, k) : 0);/? 0 : 0);/' core "$R"
mutant carve-aligned-no-lowering $A '/^static void \*carve(/,/^}/s/    if (h->lv\[0\]\[k\] == n)$/    if (0)/' core core_align
mutant carve-rest-not-indexed $A 's/        if ((r ^ g) >= SLZ_CELL) {/        if (0) {/' core "$R"
mutant carve-rest-last-not-noted $A 's/        c->last = pick_nz((sb >> (r % SLZ_CELL)) >> 1, c->last, rest);/        (void)sb;/' core "$R"
mutant carve-rest-lead-not-noted $A 's/        ce->lead = pick_ae(e ^ r, SLZ_CELL, r, ce->lead);/        (void)ce;/' core "$R"
mutant carve-rest-start-lost $A 's/        wr(\&c->start, sb | b);/        (void)sb;/' core "$R"
mutant carve-taken-last-not-noted $A 's/            cg->last = need; /            (void)0; /' core "$R"
mutant carve-taken-lead-not-noted $A 's/            cl->lead = pick_ae((r - 1) ^ g, SLZ_CELL, g, cl->lead);/            (void)cl;/' core "$R"
mutant carve-high-water-not-raised $A 's/        raise_high_water(h, g + (n - need >= MIN_GRAINS ? need : n));/        (void)0;/' core core_stats
mutant place-upper-cell-stale $F 's/    if (lost > k) \/\* (lost is never below lo.s cell; 0 is none) \*\//    if (0)/' core "$R"
mutant place-upper-cell-near-stale $F 's/        h->lv\[0\]\[lost\] = cell_max(h, lost);/        (void)0;/' core "$R"
mutant merge-above-cell-not-noted $F 's/    size_t lost = h->lv\[0\]\[nx \/ SLZ_CELL\] == sn ? nx \/ SLZ_CELL : 0,/    size_t lost = 0,/' core "$R"
mutant merge-above-size-not-noted $F 's/                bits_note_at(h, c, g, end); \/\* (the chunk above merged alone; else from pv, once) \*\//                (void)0;/' core "$R"
mutant merge-below-size-not-noted $F 's/            bits_note_chunk(h, lo, end);/            (void)0;/' core "$R"
mutant lower-stops-a-line-early $W 's/int n = (63 - __builtin_clzll(lost ^ k)) \/ 4/int n = (62 - __builtin_clzll(lost ^ k)) \/ 4/' core "$R"
mutant lower-line-keeps-old-entry $L 's/    __m256i a = _mm256_andnot_si256(_mm256_cmpeq_epi32(lo, n), /    __m256i a = _mm256_andnot_si256(_mm256_cmpeq_epi32(lo, hi), /' core "$R"
mutant lower-plain-keeps-old-entry $L 's/        m = j != i \&\& line\[j\] > m ? line\[j\] : m;/        m = line[j] > m ? line[j] : m;/' core "$R0"
# ---- the chunk bits, sizes and leads (index.c, chunk.h) -----------------------
mutant bits-start-lost $C 's/    wr_or(\&c->start, bit_of(g));/    (void)c;/' core "$R"
mutant size-ignores-last $C 's/ : "r"(after), "rm"(c->last) : "cc");/ : "r"(after), "rm"((uint32_t)SLZ_CELL) : "cc");/' core "$R"
mutant note-last-not-at-arena-end $C 's/    lim = lim < h->grains ? lim : h->grains;/    (void)0;/' core core_coalesce
mutant note-lead-never $C 's/    ce->lead = pick_ae(/    (void)pick_ae(/' core "$R"
mutant prev-start-same-cell-lowest $F 's/    __asm__("bsr %1, %0/    __asm__("bsf %1, %0/' core "$R"
mutant block-pointer-not-rotated $C 's/    return off >> 4 | off << (8 \* sizeof off - 4);/    return off >> 4;/' core core_reports
mutant prev-start-cell-before-lowest $I 's/top_bit(c\[-1\].start)) : c\[-1\].lead;/(unsigned)__builtin_ctzll(c[-1].start)) : c[-1].lead;/' core "$R"
mutant prev-start-lead-ignored $F 's/ : "r"(below), "r"(first), "rm"(c->lead) : "cc");/ : "r"(below), "r"(first), "rm"(g) : "cc");/' core "$R"
# ---- coalescing (free.c) ----------------------------------------------------
mutant merge-above-never $F 's/        if (__builtin_expect(!(head \& SLZ_INUSE), 0)) {/        if (0) {/' core core_coalesce
mutant merge-below-never $F 's/    int merge_below = !(__atomic_load_n(\&cells\[pv \/ SLZ_CELL\].used, __ATOMIC_RELAXED) \& bit_of(pv));/    int merge_below = 0;/' core core_coalesce
mutant merge-below-keeps-header $F '/^HOT void release_in/,/^}/s/            wipe(chunk_at(h, g));/            (void)0;/' core core_reports
mutant merge-above-keeps-header $F '/^HOT uint32_t take_above/,/^}/s/    wipe(up);/    (void)up;/' core core_reports
mutant merge-above-no-canary $F 's/    if (!CHECKED(((up->check ^ free_seal(h, up)) | canary_off(up)) == 0))/    if (!CHECKED((up->check ^ free_seal(h, up)) == 0))/' core core_reports
mutant merge-above-no-seal $F 's/    if (!CHECKED(((up->check ^ free_seal(h, up)) | canary_off(up)) == 0))/    if (!CHECKED(canary_off(up) == 0))/' core core_reports
mutant merge-above-seal-named-as-canary $F '/void above_damaged/,/^}/s/    if (!CHECKED(up->check == free_seal(h, up)))/    if (0)/' core core_reports
mutant free-seal-not-bound-to-address $C 's/    return (uintptr_t)c ^ h->seal;/    return h->seal;/' core core_reports
mutant merge-above-used-bit-not-read $F 's/ | ((used >> (un % SLZ_CELL)) \& SLZ_INUSE);/ | SLZ_INUSE;/' core core_coalesce
mutant release-keeps-pages $F 's/        os_release((void \*)x, y - x);/        (void)0;/' core core_release
mutant release-never $F 's/    return (h->flags \& SLZ_ANON) \&\& (size_t)(p->below + p->above) \* SLZ_ALIGN >= step;/    return 0;/' core core_release
mutant release-keep-never-halved $F 's/    } else if (peak <= h->keep_level \/ 2) { \/\* (never before a first raise: keep_level 0) \*\//    } else if (0) {/' core core_release
mutant release-keep-by-level $F 's/    size_t peak = h->st.peak_in_use + 1, k = keep_grains(h), least = SLZ_KEEP \/ SLZ_ALIGN;/    size_t peak = h->st.in_use + 1, k = keep_grains(h), least = SLZ_KEEP \/ SLZ_ALIGN;/' core core_release
mutant release-peak-not-restarted $F 's/    st->peak_in_use = st->in_use;/    (void)0;/' core core_release
mutant release-peak-before-lost $H 's/    out->peak_in_use = h->peak_before > h->st.peak_in_use ? h->peak_before : h->st.peak_in_use;/    (void)0;/' core core_release
mutant release-top-keeps-a-page $F 's/    return end == h->grains \&\& k < top ? top : k;/    return k;/' core core_release
mutant release-record-not-carved $F 's/        record_carved(h, nx, end); \/\* (the r word alone first: usually 0) \*\//        (void)0;/' core core_release
mutant release-header-page $F 's/    uintptr_t ax = ((uintptr_t)chunk_at(h, lo) + (size_t)keep \* SLZ_ALIGN + pg) \& ~pg;/    uintptr_t ax = (uintptr_t)chunk_at(h, lo) \& ~pg;/' core core_release
mutant settle-quiet-keeps-records $F 's/^        if (h->cell_records != 0 \&\& records_near(h, lo, g, end))$/        if (0)/' core core_release
mutant settle-merge-gives-lost-again $F 's/    if (lost.a >= lost.r || oy <= ox || oy <= px || ox >= py) {/    if (1) {/' core core_release
mutant settle-near-misses-carved $F 's/    return r_end > g || (lo < g/    return r_end > end || (lo < g/' core core_release
mutant settle-near-misses-below $F 's/    return r_end > g || (lo < g \&\& h->cells/    return r_end > g || (0 \&\& h->cells/' core core_release
mutant settle-moved-up-never-due $F 's/^    if (worth(h, \&p))$/    if (0)/' core core_release
mutant settle-moved-up-carved-into $F 's/    if (rec.a >= rec.r || rec.a < lo + MIN_GRAINS || rec.r > g)/    if (rec.a >= rec.r || rec.r > g)/' core core_release
mutant settle-quiet-top-too $F 's/    if (end != h->grains \&\& end - lo < h->quiet) {/    if (end - lo < h->quiet) {/' core core_release
mutant settle-quiet-not-noted-after-trim $F '/^static size_t trim_walk/,/^}/s/    quiet_note(h);/    (void)0;/' core core_release
# ---- tombs and the checks of a block pointer (index.c, free.c, alloc.c) -----
mutant tomb-not-left $F 's/    wr(\&c->used, (c->used \& ~b) | (lo != g ? b : 0));/    wr(\&c->used, c->used \& ~b);/;s/    wr_or(\&cn->used, nb);/    wr_and(\&cn->used, ~nb);/' core core_reports
mutant tomb-not-read $F 's/(__atomic_load_n(\&c->used, __ATOMIC_RELAXED) \& b) ? "double free" : "invalid pointer"/"invalid pointer"/' core core_reports
mutant tomb-kept-on-start $C '/^HOT void bits_start/,/^}/s/    wr_and(\&c->used, ~bit_of(g));/    (void)0;/' core "$R"
mutant block-no-used-check $F 's/    int live = (st \& __atomic_load_n(\&c->used, __ATOMIC_RELAXED) \& bit_of(g)) != 0;/    int live = (st \& bit_of(g)) != 0;/' core core_reports
mutant block-no-header-check $F '/^HOT uint32_t block_grain/,/^}/s/    if (!header_ok(h, chunk_at(h, g)/    if (0 \&\& !header_ok(h, chunk_at(h, g)/' core core_reports
mutant free-pass-no-header-check src/free_pass.h 's/    if (!CHECKED(V_USED_OK(h, c, (size_t)n \* SLZ_ALIGN)))/    if (0)/' core core_reports
mutant free-pass-check-word-not-compared src/versions.h 's/    return _mm_testz_si128(d, d);/    return _mm_testz_si128(d, _mm_set_epi64x(0, -1));/' core core_reports
mutant block-no-next-header-check $F 's/        if (!CHECKED(up->head == head)) \/\* its size word/        if (0) \/* its size word/' core core_reports
mutant free-checked-no-canary $C 's/    if (!CHECKED(canary_off(c) == 0) || /    if (/' core core_reports
mutant free-checked-op-not-named $C 's/^        h->op = op;/        (void)op;/' core core_reports
mutant next-damaged-op-not-named $F '/void next_damaged/,/^}/s/        h->op = op;/        (void)op;/' core core_reports
mutant carve-takes-no-head-check $C 's/    return CHECKED(((c->head ^ head) | /    return CHECKED(((0) | /' core core_reports
mutant carve-takes-no-canary-check $C 's/ | canary_off(c)) == 0);/) == 0);/' core core_reports
mutant carve-takes-no-seal-check $C 's/ | (c->check ^ free_seal(h, c)) | / | /' core core_reports
mutant malloc-check-word-vex-differs $C 's/^SLZ_AES_FN(keyed_aes_vex, "v", ", %0")/SLZ_AES_FN(keyed_aes_vex, "v", ", %0\\n\\tvaesenc %1, %0, %0")/' core "$R"
mutant free-checked-names-top-wrongly $A 's/g + n == h->grains ? "corrupted top chunk"/g + n != h->grains ? "corrupted top chunk"/' core core_reports
# ---- the checker (check.c slz_heap_check, index.c index_check) --------------
for v in "no chunk begins at the arena's start" "chunk smaller than the minimum" \
    "chunk header differs from the heap's bits" "free chunk canary is damaged" \
    "two free chunks are adjacent" "a cell's lead differs from where its chunk began" \
    "free chunk totals disagree with the heap" "bytes in use disagree with the heap"; do
    mutant "check-$(echo "$v" | tr -c 'a-z\n' - | cut -c1-40)" $K "s/violation(\(t\|&t\), \"$v\");/(void)0;/" core core_check
done
mutant check-cell-last $K 's/violation(t, "a cell.s last size differs from its last chunk");/(void)0;/' core core_check
# the local check (check.c slz_heap_check_at): its own steps
mutant check-at-no-chunk-above $K 's/        near_chunk(h, t, e, !is_used(h, s));/        (void)0;/' core core_check_at
mutant check-at-no-index-path $K 's/            index_path(h, t, at\[i\] \/ SLZ_CELL);/            (void)0;/' core core_check_at
mutant check-at-no-scan $K 's/    for (size_t d = 1; d <= k || k + d <= kmax; d++) {/    for (size_t d = 1; 0; d++) {/' core core_check_at
for v in "index entry differs from its cell's largest free chunk" "index entry beyond the span the walk starts from" \
    "the walk's first line does not cover the span" "index entry differs from the maximum of its line"; do
    mutant "check-$(echo "$v" | tr -c 'a-z\n' - | cut -c1-40)" $I "/\&\& bad++ == 0)\$/{N;/\*first = \"$v\"/s/(.*\&\& bad++ == 0)\n/(0)\n/}" core core_check
done
# ---- a heap that grows, trimmed (heap.c, free.c) -----------------------------
mutant grow-last-not-raised $H 's/    index_raise(h, lo \/ SLZ_CELL, g - lo);/    (void)0;/' core core_grow
mutant grow-block-end-taken $H 's/    if (is_used(h, lo)) {/    if (0) {/' core core_grow
mutant heap-arena-not-largest $H 's/            a = mid;/            most = mid - step;/' core core_grow
mutant settle-same-page-across-cells $F 's/ \& (((g - 1) ^ (end - 1)) < SLZ_CELL) \& / \& /' core core_release
mutant keep-reused-wraps $F 's/        size_t reused = s.a < lo ? lo - s.a : 0;/        size_t reused = lo - s.a;/' core core_release
mutant keep-not-set-at-creation $H 's/    h->keep = SLZ_KEEP \/ SLZ_ALIGN; /    (void)0; /' core "$R"
mutant trim-nothing $F 's/        n += trim_chunk(h, g, g + grains_of(h, g), dry);/        n += 0 * g;/' core core_release
# ---- allocation (alloc.c) ---------------------------------------------------
mutant alloc-split-needs-more $A 's/    if (n - need >= MIN_GRAINS) {/    if (n - need > MIN_GRAINS) {/' core core_split
mutant alloc-min-chunk-128 $C 's/#define SLZ_MIN_CHUNK 64/#define SLZ_MIN_CHUNK 128/' core core_split
mutant realloc-tail-no-size-word $F '/^static void shrink/,/^}/{/    chunk_at(h, g + need)->head = /d}' core core_calloc
mutant realloc-tail-not-noted $F '/^static void shrink/,/^}/s/    bits_note_chunk(h, g + need, g + n);/    (void)0;/' core core_realloc
mutant calloc-zero-half $A 's/^        memset(p, 0, n);/        memset(p, 0, n \/ 2);/' core core_calloc
mutant calloc-zero-no-tail $A 's/    memset((void \*)hi, 0, (uintptr_t)p + n - hi);/    (void)hi;/' core core_calloc
mutant calloc-zero-no-head $A 's/    memset(p, 0, lo - (uintptr_t)p);/    (void)lo;/' core core_calloc
mutant aligned-gap-too-small $A 's/    if (p - SLZ_HDR != c \&\& p - SLZ_HDR - c < SLZ_MIN_CHUNK)/    if (0)/' core core_align
mutant align-from-used-for-any-request $A 's/        if (i <= c \&\& need >= m->need \&\& m->from > from)/        if (i <= c \&\& m->from > from)/' core "$R"
mutant align-spotless-not-lowered $A 's/        m->spotless = m->spotless < low ? m->spotless : low;/        (void)0;/' core "$R"
mutant align-from-not-lowered $A 's/        m->from = m->from < low ? m->from : low;/        (void)0;/' core "$R"
mutant align-spotless-of-larger-alignments $A 's/        if (i <= c \&\& m->spotless > spot)/        if (m->spotless > spot)/' core "$R"
mutant align-low-not-kept $F 's/        h->align_low = lo; /        (void)lo; /' core "$R"
mutant malloc-fn-not-the-mode $A 's/^slz_malloc_fn slz_heap_malloc_fn(const slz_heap \*h) { return malloc_entries\[h->lines \& 3\]; }/slz_malloc_fn slz_heap_malloc_fn(const slz_heap *h) { return malloc_entries[h->lines \& 1]; }/' core core_entry_fns
mutant free-fn-not-the-mode $F 's/^slz_free_fn slz_heap_free_fn(const slz_heap \*h) { return free_ops\[h->lines \& 3\]; }/slz_free_fn slz_heap_free_fn(const slz_heap *h) { return free_ops[h->lines \& 1]; }/' core core_entry_fns
# ---- the counters, each counted once (free.c, heap.c) --------------------------------
mutant count-use-no-peak $A 's/^    st->peak_in_use = in_use > st->peak_in_use ? in_use : st->peak_in_use;/    (void)0;/' core core_stats
mutant count-free-no-frees $F 's/^    h->st.frees++;$/    (void)0;/' core core_stats
mutant stats-live-not-derived $H 's/    out->live_blocks = h->st.mallocs - h->st.frees;/    out->live_blocks = h->st.mallocs;/' core core_stats
# ---- pending (cross-thread) frees (index.c, free.c, alloc.c) ----------------
mutant pending-double-not-seen $I 's/__ATOMIC_SEQ_CST) \& \([mb]\);$/__ATOMIC_SEQ_CST) \& 0;/' core core_reports
mutant pending-batch-twice-not-seen $I 's/                return j;/                (void)0;/' core core_reports
mutant pending-no-level-1 $I 's/    mark_once(\&h->pend\[1\]/    (void)(\&h->pend[1]/' core core_reports
mutant pending-no-level-2 $I 's/    mark_once(\&h->pend\[2\]/    (void)(\&h->pend[2]/' core core_reports
mutant pending-no-flag $I 's/        __atomic_store_n(\&h->pend_any, 1, __ATOMIC_SEQ_CST);/        (void)0;/' core core_reports
mutant pending-drain-first-cell-only src/pending.h 's/    for (; w1; w1 \&= w1 - 1)$/    for (; w1; w1 = 0)/' core core_reports
mutant pending-cleared-not-read-again src/pending.h 's/    uint64_t left = __atomic_fetch_and(\&h->pend\[1\]\[i1\], ~idle, __ATOMIC_SEQ_CST) \& ~idle;/&  idle = 0;/' core hook_drain_gap
mutant pending-summary-cleared-not-read-again src/pending.h 's/        __atomic_fetch_and(\&h->pend\[2\]\[i2\], ~idle, __ATOMIC_SEQ_CST);/&  idle = 0;/' core hook_drain_gap
mutant pending-take-first-of-word $F 's/    for (; w; w \&= w - 1) {/    for (; w; w = 0) {/' core core_reports
mutant pending-deferred-skips-mark $F 's/    size_t d = pending_mark(h, g, m);/    size_t d = m;/' core core_reports
mutant pending-taken-no-header-check $F 's/    if (!live_in(c, at, \&n) || !header_ok(h, chunk_at(h, at), (size_t)n \* SLZ_ALIGN, 1))/    if (!live_in(c, at, \&n))/' core core_reports
mutant pending-run-no-tomb $F 's/            wr(\&c->start, c->start \& ~bit_of(at)); \/\* a tomb/            (void)c; \/* a tomb/' core core_coalesce
mutant handover-carve-no-look $A 's/    pending_look(h, g);/    (void)g;/' core core_handover_race
mutant handover-carve-unfenced-no-look $A 's/    pending_bit_look(h, g);/    (void)g;/' core core_handover_race
mutant handover-no-announce $F 's/    pending_announce(h);/    (void)0;/' core core_handover_race
mutant handover-check-ignores-drain $F 's/    if (pending_is(h, g) \&\& __atomic_load_n(\&h->drain_epoch, __ATOMIC_SEQ_CST) == epoch)/    if (1)/' core core_handover_race
mutant pending-never-cached $F 's/        if (h->cache \&\& cache_take(h, at))/        if (0)/' core core_cache_misuse
mutant pending-malloc-no-collect src/malloc_pass.h 's/    pend_taken(h, op);/    (void)op;/' core core_reports
mutant pending-free-no-collect src/free_pass.h 's/    pend_taken(h, "free");/    (void)0;/' core core_reports
mutant run-no-size-word $F '/chunk_at(h, r.lo)->head = (size_t)(r.end - r.lo) \* SLZ_ALIGN | SLZ_INUSE;/d' core core_coalesce
mutant run-no-note $F 's/        bits_note_chunk(h, r.lo, r.end); \/\* (as the merges would: one chunk now, \*\//        \/\* \*\//' core core_coalesce
mutant run-coalesces-uncounted $F 's/        h->st.coalesces += r.k - 1; /        (void)0; /' core core_coalesce
mutant run-joins-a-gap $F 's/        if (at == r->end) {/        if (at >= r->end) {/' core core_coalesce
mutant run-frees-uncounted $F 's/    h->st.frees += r.k; /    (void)0; /' core core_coalesce
# ---- the secure profile's quarantine (quarantine.c) -----------------------------
mutant quarantine-no-clear $Q 's/    memset(chunk2mem(ch), 0, size - SLZ_HDR);/    (void)0;/' core "core_quarantine 20000"
mutant quarantine-not-marked $Q '/^static void hold/,/^}/s/    cache_mark(c, g, 1);/    (void)0;/' core "core_quarantine 20000"
mutant quarantine-no-byte-bound $Q 's/ || size > c->room)/)/' core "core_quarantine 20000"
mutant quarantine-leave-unchecked $Q 's/ \&\& payload_zero(h, g)))/))/' core "core_quarantine waf"
# ---- the fast mode's cache (cache.c): the checks of its hit paths ----------------
CA=src/cache.c
mutant cache-pop-head-unread $CA 's/ || !CHECKED(ch->head == b + SLZ_INUSE + SLZ_CACHED))/)/' core core_cache_misuse
mutant cache-bit-unread $CA 's/    if (cache_set_bit(c, g)) \/\* (its header was damaged too: said here) \*\//    if ((cache_set_bit(c, g), 0))/' core core_cache_misuse
mutant cache-canary-unread $CA 's/    if (!CHECKED(canary_off(ch) == 0) || /    if (/' core core_cache_misuse
mutant cache-pop-pending-unread $CA '/^static __attribute__((noinline)) void \*malloc_reused/,/^}/s/    reused(h, p);/    (void)0;/' core core_cache_misuse
mutant keep-errno-ignored src/alloc.c 's/    if (!(h->flags \& SLZ_KEEP_ERRNO))/    if (1)/' core core_errno
mutant cache-take-head-unread $CA 's/    return \*b <= most \&\& ch->head == \*b + SLZ_INUSE;/    return *b <= most;/' core core_cache_misuse
mutant cache-slot-shared src/cache.h 's/static inline uintptr_t mark_slot(uintptr_t g) { return g \/ MIN_GRAINS; }/static inline uintptr_t mark_slot(uintptr_t g) { return g \/ MIN_GRAINS \/ 2; }/' core core_cache
mutant cache-waiting-free-to-heap $CA 's/        return cache_take(h, (uint32_t)g);/        return 0;/' core core_cache_misuse
mutant cache-miss-not-retaken $CA 's/        if (s->count)$/        if (0)/' core core_cache_misuse
mutant cache-rows-overlap $CA 's/        c->head\[k\].row = rows + (size_t)k \* (depth + 17);/        c->head[k].row = rows + (size_t)k * (depth + 16);/' core core_cache
mutant cache-depth-ignored $CA 's/    if (i >= c->depth || b > c->room)/    if (b > c->room)/' core core_cache_misuse
mutant cache-coarse-unbounded $CA 's/ || c->coarse + b > h->st.in_use >> COARSE_SHARE//' core core_cache_misuse
mutant cache-coarse-not-rounded $CA 's/    void \*p = first_fit(h, b - SLZ_HDR);/    void *p = first_fit(h, n);/' core core_cache
mutant cache-big-not-rounded $CA 's/        return class_fit(h, big_class(n), n);/        return class_fit(h, n + SLZ_HDR, n);/' core "core_cache 150000 20261204"
mutant cache-realloc-old-kept $CA 's/    if (!cache_take(h, g)) {/    if (0) {/' core core_cache
# ---- the shim's routing (preload/) -------------------------------------------
mutant shim-remote-free-dropped $S 's/    } else if (!heaps_lost(i)) {/    } else if (0) {/' shim shim_remote SLZ_HEAP_SIZE=1M SLZ_CHECK=1
mutant shim-short-remote-free-dropped $S '/^static inline void free_other/,/^}/s/        slz_free_deferred(h, p);/        (void)h;/' shim shim_remote SLZ_HEAP_SIZE=1M
mutant shim-short-remote-ignores-state $S 's/        likely(heaps_owned(i)))/        1)/' shim shim_remote SLZ_HEAP_SIZE=1M
mutant shim-realloc-own-moves $S '/^static void \*realloc_owned/,/^}/s/    if (h == shim_my_heap && n <= max_request) {/    if (0) {/' shim shim_routing SLZ_HEAP_SIZE=1M
mutant shim-realloc-remote-size-0 $S 's/        old = slz_block_size(h, p, "realloc");/        old = 0;/' shim shim_remote SLZ_HEAP_SIZE=1M
mutant shim-slot-first-only $PH 's/    if (d >= shim_heaps.span)/    if (d >= shim_heaps.footprint)/' shim shim_remote SLZ_HEAP_SIZE=1M
mutant shim-slot-shift-off $PH 's/    size_t i = d >> shim_heaps.shift,/    size_t i = d >> (shim_heaps.shift + 1),/' shim shim_remote SLZ_HEAP_SIZE=1M
mutant shim-fork-keeps-lost-heaps $P 's/            state\[i\] = SLOT_LOST;/            (void)0;/' shim shim_remote SLZ_HEAP_SIZE=1M
mutant shim-free-clobbers-errno $S '/^EXPORT void free(void \*p)/,/^}/s/        shim_me.free(shim_my_heap, p);/        shim_me.free(shim_my_heap, p); errno = 0;/' shim shim_errno
mutant shim-memptr-on-error $S 's/        return ENOMEM;/        *memptr = NULL; return ENOMEM;/' shim shim_errno
mutant shim-calloc-not-zeroed $S 's/        void \*p = slz_calloc(shim_my_heap, 1, n);/        void *p = slz_malloc(shim_my_heap, n);/' shim shim_calloc SLZ_HEAP_SIZE=256M
mutant shim-calloc-long-not-zeroed $S 's/: zero ? slz_calloc(h, 1, n) : slz_malloc(h, n);/: slz_malloc(h, n);/' shim shim_calloc SLZ_HEAP_SIZE=256M SLZ_CHECK=1
mutant shim-realloc-failed-lost $S 's/    return move_out(heaps_slot_of(p), p, slz_usable_size(shim_my_heap, p), n);/    return NULL;/' shim shim_routing
mutant shim-alignment-ignored $S 's/        p = align > 16 ? slz_memalign(h, align, n)/        p = align > 16 ? slz_memalign(h, 16, n)/' shim shim_align SLZ_HEAP_SIZE=256M
mutant shim-realloc-loses-contents $F 's/        memcpy((char \*)dst + off, (char \*)p + off, k);/        memcpy((char *)dst + off, (char *)p + off, k \/ 2);/' shim shim_routing SLZ_HEAP_SIZE=1M

echo "$caught caught, $missed missed, $stale stale"
[ $QUICK_N -eq 0 ] || [ $caught -eq $QUICK_N ] || { echo "can_fail.sh --quick: $caught of $QUICK_N mutants ran: a name in the quick list matches none" >&2; exit 1; }
[ $missed -eq 0 ] && [ $stale -eq 0 ] # a stale mutant tests nothing: fix its edit
