# layout.awk - what the chunk layout costs a program in memory: replays a
# trace (SLZ_TRACE; format in scripts/README.md) and prints, per layout, the
# bytes of the chunks live at the peak: a request of n bytes takes n + header
# bytes rounded up to 16, at least the minimum chunk. One row per layout in
# memload.sh's columns: glibc's layout on x86-64 (8 bytes of overhead a chunk,
# 32-byte minimum) as "plain", against slz's (16-byte header: size and check
# word; 64-byte minimum) and the two mixes.
function chunk(n, h, m,    c) { c = int((n + h + 15) / 16) * 16; return c < m ? m : c }
function put(id, n,    k) {
    size[id] = n
    for (k = 1; k <= 4; k++) { live[k] += chunk(n, H[k], M[k]); if (live[k] > peak[k]) peak[k] = live[k] }
}
function drop(id,    k) {
    if (!(id in size)) return
    for (k = 1; k <= 4; k++) live[k] -= chunk(size[id], H[k], M[k])
    delete size[id]
}
BEGIN {
    H[1] = 16; M[1] = 64; name[1] = "16 B header, 64 B min (slz)"
    H[2] = 16; M[2] = 32; name[2] = "16 B header, 32 B min"
    H[3] = 8;  M[3] = 64; name[3] = "8 B header, 64 B min"
    H[4] = 8;  M[4] = 32 # glibc's: the column "plain"
}
NR > 4 && $1 == "a" { put($2, $3) }
NR > 4 && $1 == "f" { drop($2) }
NR > 4 && $1 == "r" { drop($2); put($2, $3) }
END {
    for (k = 1; k <= 3; k++)
        printf "%-72s %12.1f %12.1f %7.2fx\n", "  its trace, chunks live at peak (MB): " name[k], peak[4] / 1048576, peak[k] / 1048576, (peak[4] > 0 ? peak[k] / peak[4] : 0)
}
