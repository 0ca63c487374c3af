#!/bin/sh
# scripts/check-anchors.sh — every code anchor in every Markdown file must
# point at exactly one line.
#
# Prose cites code by a search anchor, never a line number (STYLE.md §12):
#
#     `path/to/file.c:/REGEX/`
#
# inside backquotes: a path (relative to the repository root) that exists,
# a colon, and an extended regular expression (grep -E) between slashes,
# for example `polling/polling.c:/^static int on_request/`. The path holds
# letters, digits and . _ / - only. The regex may not hold a backquote nor
# begin with a slash (`http://host/` is a URL, not an anchor); a slash
# inside it needs no escape (the anchor ends at the last slash before the
# closing backquote). The anchor is good when the regex matches exactly one
# line of the file: none means the code moved or was renamed, two means the
# anchor no longer says which place it means. A function declared above its
# definition matches twice; anchor the definition with `\(.*\)$` (its line
# ends in ")", the prototype's in ";").
#
# Markdown files are found everywhere in the repository except node_modules,
# build, bin, .git and bench/results. Prints one line per broken anchor
# (file of the prose, the anchor, how many lines it matched) and exits 1
# when there is any; exit 0 and a count when all hold.
#
# Then the same for the headers' contracts: scripts/check-interfaces.py
# checks that every name in every header's "Interface:" list is declared in
# that header, and this script fails when either check does.
set -u
cd "$(dirname "$0")/.."

checked=0 broken=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

find . \( -name node_modules -o -name build -o -name bin -o -name .git -o -path ./bench/results \) -prune \
    -o -name '*.md' -type f -print | sort >"$tmp.files"

while IFS= read -r md; do
    md=${md#./}
    # `path:/regex/` — the path has no spaces, colons or backquotes.
    grep -oE '`[A-Za-z0-9_./-]+:/[^/`][^`]*/`' "$md" >"$tmp" 2>/dev/null || continue
    while IFS= read -r anchor; do
        inner=${anchor#\`}
        inner=${inner%\`}
        file=${inner%%:/*}
        regex=${inner#*:/}
        regex=${regex%/}
        checked=$((checked + 1))
        if [ ! -f "$file" ]; then
            echo "BROKEN  $md: $anchor — no such file: $file"
            broken=$((broken + 1))
            continue
        fi
        n=$(grep -cE -e "$regex" "$file" 2>/dev/null)
        rc=$?
        if [ $rc -gt 1 ]; then
            echo "BROKEN  $md: $anchor — not a valid extended regex"
            broken=$((broken + 1))
        elif [ "$n" -ne 1 ]; then
            echo "BROKEN  $md: $anchor — matches $n lines of $file, not 1"
            broken=$((broken + 1))
        fi
    done <"$tmp"
done <"$tmp.files"
rm -f "$tmp.files"

interfaces=0
python3 scripts/check-interfaces.py >"$tmp" || interfaces=1
grep -v '^result:' "$tmp"

echo "result: $checked anchors checked, $broken broken; $(sed -n 's/^result: //p' "$tmp")"
[ $broken -eq 0 ] && [ $interfaces -eq 0 ]
