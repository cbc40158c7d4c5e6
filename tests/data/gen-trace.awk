# gen-trace.awk - writes a deterministic malloc-lab trace of our own, for the
# tests (no outside trace files needed).
#   awk -v format=classic|64 -v kind=mix|string|large -v ops=N -v seed=S -f gen-trace.awk
# Operations: about 55% allocations, 15% reallocs, the rest frees of live
# blocks, then every live block freed; the 64-bit format also gets free(NULL)
# records ("f -1"). kind picks the sizes: mix 1..2000, string 1..100, large
# 10..20 GB (a heap of a few hundred MiB must refuse them).
function rnd() { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 }
function size() {
    if (kind == "string") return 1 + int(rnd() * 100)
    if (kind == "large") return 10000000000 + int(rnd() * 10000000000)
    return 1 + int(rnd() * 2000)
}
BEGIN {
    state = seed + 1
    n = 0; ids = 0; live_n = 0; live_bytes = 0; peak = 0
    while (n < ops - live_n || live_n == 0 && n < ops) {
        r = rnd()
        if (live_n == 0 || r < 0.55) {
            s = size(); id = ids++
            live[live_n++] = id; sz[id] = s; line[n++] = sprintf("a %d %.0f", id, s)
            live_bytes += s
        } else if (r < 0.70) {
            k = int(rnd() * live_n); id = live[k]; s = size()
            live_bytes += s - sz[id]; sz[id] = s; line[n++] = sprintf("r %d %.0f", id, s)
        } else if (format == "64" && r < 0.73) {
            line[n++] = "f -1"
        } else {
            k = int(rnd() * live_n); id = live[k]
            live[k] = live[--live_n]; live_bytes -= sz[id]; line[n++] = "f " id
        }
        if (live_bytes > peak) peak = live_bytes
    }
    while (live_n > 0) { id = live[--live_n]; line[n++] = "f " id }
    if (format == "64") printf "1\n%d\n%d\n%.0f\n", ids, n, peak
    else printf "%d\n%d\n%d\n1\n", 20000, ids, n
    for (i = 0; i < n; i++) print line[i]
}
