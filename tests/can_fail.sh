#!/usr/bin/env bash
# tests/can_fail.sh - show that the behaviour and stress tests can fail.
# Each mutant is a copy of src/ and preload/ with one deliberate bug (a sed
# edit), built into build/mutants/NAME/; the test program that should catch
# the bug is run against it and must FAIL. A mutant whose edit no longer
# applies (the code moved on) is reported as "stale", never as caught.
# Not part of `make test` (it builds a dozen libraries; about a minute).
# Usage: tests/can_fail.sh  (after `make test` built build/tests/*)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=build/mutants
FLAGS="-std=gnu11 -O1 -fno-builtin-malloc -Iinclude"
caught=0 missed=0 stale=0

# mutant NAME FILE SED-EXPR KIND(shim|core) PROGRAM [ENV...]
mutant() {
    local name=$1 file=$2 expr=$3 kind=$4 prog=$5
    shift 5
    local d=$OUT/$name
    rm -rf "$d" && mkdir -p "$d" && cp -r src preload "$d/"
    sed -i "$expr" "$d/$file"
    if cmp -s "$file" "$d/$file"; then
        echo "stale   $name: the edit no longer applies to $file"
        stale=$((stale + 1))
        return
    fi
    local rc
    if [ "$kind" = shim ]; then
        gcc $FLAGS -fPIC -shared -fvisibility=hidden -DSLZ_EXPORT= -ftls-model=initial-exec -I"$d/src" \
            -I"$d/preload" -o "$d/lib.so" "$d"/src/*.c "$d"/preload/*.c -lpthread -ldl || return
        env LD_PRELOAD="$ROOT/$d/lib.so" "$@" "build/tests/$prog" >"$d/out" 2>&1
        rc=$?
    else
        gcc $FLAGS -I"$d/src" -Itests/c -o "$d/prog" "tests/c/$prog.c" "$d"/src/*.c -lpthread || return
        env "$@" "$d/prog" >"$d/out" 2>&1
        rc=$?
    fi
    if [ $rc -ne 0 ]; then
        echo "caught  $name: $prog exits $rc ($(grep -m1 -E 'FAIL|slzmalloc|failed|errors|signal' "$d/out" | cut -c1-100))"
        caught=$((caught + 1))
    else
        echo "MISSED  $name: $prog passed with the bug in"
        missed=$((missed + 1))
    fi
}

S=preload/shim.c A=src/alloc.c
mutant shim-no-lock $S 's/pthread_mutex_lock(&lock);/;/' shim shim_threads SLZ_HEAP_SIZE=256M
mutant shim-no-atfork $S 's/pthread_atfork(fork_prepare, fork_parent, fork_child);/(void)fork_prepare, (void)fork_parent, (void)fork_child;/' \
    shim shim_fork SLZ_HEAP_SIZE=256M
mutant shim-free-clobbers-errno $S '/^EXPORT void free(void \*p)/,/^}/s/    errno = saved;/    errno = 0;/' shim shim_errno
mutant shim-memptr-on-error $S 's/        return ENOMEM;/        *memptr = NULL; return ENOMEM;/' shim shim_errno
mutant shim-calloc-not-zeroed $S 's/zero ? slz_Heap_Allocator_init_impl(1, n)/zero ? slz_Heap_Allocator_impl(n)/' shim shim_calloc \
    SLZ_HEAP_SIZE=256M
mutant shim-alignment-ignored $S 's/slz_aligned_alloc(align, n)/slz_aligned_alloc(16, n)/' shim shim_align SLZ_HEAP_SIZE=256M
mutant shim-free-all-to-glibc $S '/^EXPORT void free(void \*p)/,/^}/s/if (owned(p)) {/if (0 \&\& owned(p)) {/' shim shim_routing \
    SLZ_HEAP_SIZE=1M
mutant shim-realloc-loses-contents $S 's/memcpy(q, p, old < n ? old : n);/memcpy(q, p, (old < n ? old : n) \/ 2);/' shim \
    shim_routing SLZ_HEAP_SIZE=1M
mutant core-min-chunk-128 src/chunk.h 's/#define SLZ_MIN_CHUNK 64/#define SLZ_MIN_CHUNK 128/' core core_split
mutant core-no-merge-with-prev $A 's/int prev_free = !prev_used(c), next_free/int prev_free = 0 \&\& !prev_used(c), next_free/' \
    core core_coalesce
mutant core-no-shrink $A 's/^        shrink(c, need);/        (void)0;/' core core_realloc
mutant core-calloc-skips-clearing $A 's/    memset(p, 0, dirty);/    memset(p, 0, dirty \/ 2);/' core core_calloc
mutant core-first-fit-takes-the-first-on-the-path src/tree.c \
    's/^        if (bytes(t->lmax) >= need)$/        if (chunk_size(t) >= need \&\& (need \& 16)) return checked(t); if (bytes(t->lmax) >= need)/' \
    core core_firstfit
echo "$caught caught, $missed missed, $stale stale"
[ $missed -eq 0 ] && [ $stale -eq 0 ] # a stale mutant tests nothing: fix its edit
