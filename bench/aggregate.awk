# bench/aggregate.awk — one chart point per client count from the repeated
# runs of one technique and rate: the median of every numeric column, and
# its spread as COLUMN_min and COLUMN_max (for the error bars), plus
# `repeats`, how many runs the point has. Columns are found by the names in
# loadgen's CSV header, never by position.
#
# Usage: awk -F, -v label=sse -v rate=10 -f bench/aggregate.awk runs.csv
# Writes a CSV with a header, rows sorted by clients.

NR == 1 {
    ncol = NF
    for (i = 1; i <= NF; i++) { name[i] = $i; col[$i] = i }
    next
}
$(col["label"]) == label && $(col["rate"]) == rate {
    k = $(col["clients"]) + 0
    if (!(k in count)) keys[++nkeys] = k
    m = ++count[k]
    for (i = 1; i <= ncol; i++) val[k, i, m] = $i
}

function numeric(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }

# sort a[1..n] numerically, in place (n is small: the repeats of one point)
function isort(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) {
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
}

END {
    if (nkeys == 0) exit
    first = keys[1]
    for (i = 1; i <= ncol; i++) isnum[i] = numeric(val[first, i, 1])
    line = ""
    for (i = 1; i <= ncol; i++) line = line (i > 1 ? "," : "") name[i]
    for (i = 1; i <= ncol; i++) if (isnum[i]) line = line "," name[i] "_min," name[i] "_max"
    print line ",repeats"
    isort(keys, nkeys)
    for (r = 1; r <= nkeys; r++) {
        k = keys[r]; n = count[k]; line = ""; spread = ""
        for (i = 1; i <= ncol; i++) {
            if (!isnum[i]) { line = line (i > 1 ? "," : "") val[k, i, 1]; continue }
            for (m = 1; m <= n; m++) v[m] = val[k, i, m] + 0
            isort(v, n)
            med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
            line = line (i > 1 ? "," : "") med
            spread = spread "," v[1] "," v[n]
        }
        print line spread "," n
    }
}
