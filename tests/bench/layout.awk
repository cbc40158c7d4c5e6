# layout.awk - what the chunk layout costs a program in memory: replays a
# trace (SLZ_TRACE; format in scripts/README.md) and prints, per layout, the
# bytes of the chunks live at the peak: a request of n bytes takes n + header
# bytes rounded up to 16, at least the minimum chunk. slz's layout (16-byte
# header: size and check word; 64-byte minimum) against glibc's on x86-64
# (8 bytes of overhead a chunk, 32-byte minimum) and the two mixes.
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
    H[1] = 16; M[1] = 64; name[1] = "slz: 16-byte header, 64-byte minimum"
    H[2] = 16; M[2] = 32; name[2] = "16-byte header, 32-byte minimum"
    H[3] = 8;  M[3] = 64; name[3] = "8-byte header, 64-byte minimum"
    H[4] = 8;  M[4] = 32; name[4] = "glibc: 8-byte header, 32-byte minimum"
}
NR > 4 && $1 == "a" { put($2, $3) }
NR > 4 && $1 == "f" { drop($2) }
NR > 4 && $1 == "r" { drop($2); put($2, $3) }
END {
    for (k = 1; k <= 4; k++)
        printf "    %-44s %8.1f  x%.3f\n", name[k], peak[k] / 1048576, (peak[4] > 0 ? peak[k] / peak[4] : 0)
}
