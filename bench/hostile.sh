#!/usr/bin/env bash
# Hostile CSV input, measured: each case is a lead list (for `score`) or a history (for
# `train --history`) with one monstrous part, run through the release binary under
# /usr/bin/time. Prints, per case, the exit code, the first line of stderr (cut at 240
# characters, with its full length), the wall time and the peak memory (max RSS).
#
#   bench/hostile.sh               # builds the release binary, data in a temp dir
#   bench/hostile.sh --dir DIR     # keeps the generated inputs in DIR (about 250 MB)
#
# Needs GNU time at /usr/bin/time (Debian: `apt-get install time`; bash's `time` keyword
# does not report memory). The README's "Bad input" section quotes a run of this script.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD
dir=""
if [ "${1:-}" = "--dir" ]; then
    dir=$2
    mkdir -p "$dir"
else
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
if [ ! -x /usr/bin/time ]; then
    echo "hostile.sh: /usr/bin/time is missing; install it with: apt-get install time" >&2
    exit 1
fi
cargo build --release --quiet
bin=$repo/target/release/leadscore

MB=$((1024 * 1024))
cp data/leads.csv data/customers.csv leadscore.toml "$dir/"
cp -r models "$dir/models"
cd "$dir"

# field N: N bytes of the character C.
field() { head -c "$2" /dev/zero | tr '\0' "$1"; }

# replace_field FILE COLUMN VALUE_FILE OUT: OUT is FILE with the second line's COLUMN-th field
# (1-based) replaced by the contents of VALUE_FILE; every other line as it was.
replace_field() {
    local file=$1 col=$2 value=$3 out=$4
    head -n 1 "$file" >"$out"
    local row
    row=$(sed -n 2p "$file")
    IFS=, read -r -a fields <<<"$row"
    local i
    for i in "${!fields[@]}"; do
        [ "$i" -gt 0 ] && printf , >>"$out"
        if [ "$i" -eq $((col - 1)) ]; then cat "$value" >>"$out"; else printf %s "${fields[$i]}" >>"$out"; fi
    done
    printf '\n' >>"$out"
    tail -n +3 "$file" >>"$out"
}

# with_column FILE OUT: FILE with an unused column `notes` added at the end (x in every row).
with_column() {
    awk 'NR == 1 { print $0 ",notes"; next } { print $0 ",x" }' "$1" >"$2"
}

field x $((10 * MB)) >x10.txt
field 9 $((10 * MB)) >digits10.txt
# A field of only quotes: an even number, so it is one quoted field holding quotes.
field '"' $((10 * MB)) >quotes10.txt
field , 1000000 >seps.txt

for kind in leads customers; do
    src=$kind.csv
    replace_field $src 3 x10.txt $kind-category-10mb.csv        # industry
    num=5                                                          # employees
    replace_field $src $num x10.txt $kind-number-text-10mb.csv
    replace_field $src $num digits10.txt $kind-number-digits-10mb.csv
    replace_field $src 1 x10.txt $kind-id-10mb.csv
    with_column $src $kind-with-notes.csv
    replace_field $kind-with-notes.csv "$(head -1 $src | tr , '\n' | wc -l | awk '{print $1 + 1}')" \
        x10.txt $kind-unused-10mb.csv
    replace_field $src $num quotes10.txt $kind-quotes-10mb.csv
    { head -n 1 $src; cat seps.txt; printf '\n'; tail -n +2 $src; } >$kind-million-separators.csv
    # The same 10 MB id on lines 2 and 3.
    { head -n 2 $kind-id-10mb.csv; sed -n 3p $src | sed 's/^[^,]*//' | { cat x10.txt; cat; }; tail -n +4 $src; } >$kind-duplicate-id-10mb.csv
done
replace_field customers.csv 2 x10.txt customers-date-10mb.csv      # won_on
# 100 MB on one line, no newline: as a lead list and as a history.
field a $((100 * MB)) >one-line-100mb.csv

run() {
    local name=$1
    shift
    local code=0
    /usr/bin/time -f '%e s %M KiB' -o time.txt "$@" >out.txt 2>err.txt || code=$?
    local first len
    first=$(head -c 240 err.txt | sed -n 1p)
    len=$(head -n 1 err.txt | wc -c)
    [ "$len" -gt 241 ] && first="$first… (first line: $len bytes)"
    printf '%-32s exit %s  %-22s %s\n' "$name" "$code" "$(tail -n 1 time.txt)" "$first"
}

echo "case                             exit    time, peak memory      first line of stderr"
for c in category-10mb number-text-10mb number-digits-10mb id-10mb duplicate-id-10mb unused-10mb quotes-10mb million-separators; do
    run "score leads-$c" "$bin" score leads-$c.csv --model models -o scores.csv
done
run "score one-line-100mb" "$bin" score one-line-100mb.csv --model models -o scores.csv
run "score leads (baseline)" "$bin" score leads.csv --model models -o scores.csv
for c in category-10mb number-text-10mb number-digits-10mb id-10mb duplicate-id-10mb unused-10mb quotes-10mb million-separators date-10mb; do
    rm -rf trained
    run "train customers-$c" "$bin" train --history customers-$c.csv --models trained
done
rm -rf trained
run "train one-line-100mb" "$bin" train --history one-line-100mb.csv --models trained
rm -rf trained
run "train customers (baseline)" "$bin" train --history customers.csv --models trained
