#!/usr/bin/env bash
# `leadscore plan` end to end on a large team: N leads (default 100,000) spread over R reps
# (default 50), each rep with hours for about a quarter of its leads' predicted sales hours.
# The leads are the sample leads repeated with new ids and an `owner` column; the model is the
# shipped one. Prints wall time and peak memory of `plan` beside `score --components` on the
# same file (the same reading and scoring, without the planning), from /usr/bin/time.
# Usage: bash bench/plan.sh [N] [R] [DIR]
set -euo pipefail
N=${1:-100000}; R=${2:-50}; D=${3:-$(mktemp -d)}
mkdir -p "$D"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LS=$ROOT/target/release/leadscore
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
python3 - "$ROOT/data/leads.csv" "$D/leads.csv" "$D/reps.csv" "$N" "$R" <<'PY'
import csv, sys
src, out, reps, n, r = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rows = list(csv.reader(open(src)))
head, body = rows[0], rows[1:]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(head + ["owner"])
    for i in range(n):
        row = list(body[i % len(body)])
        row[0] = f"B{i:08d}"
        w.writerow(row + [f"rep{(i * 7919) % r:03d}"])
# About 57 predicted sales hours per sample lead: a quarter of each rep's leads' hours.
with open(reps, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["owner", "sales_hours"])
    for k in range(r):
        w.writerow([f"rep{k:03d}", round(57 * n / r / 4)])
PY
run() { local name=$1; shift; /usr/bin/time -f "$name %e s wall, %U s user, %M KiB peak" "$@" > /dev/null; }
cd "$ROOT"
run "score --components" "$LS" score "$D/leads.csv" --components -o "$D/scored.csv"
run "plan --by owner" "$LS" plan "$D/leads.csv" --by owner --capacity-file "$D/reps.csv" -o "$D/plan.csv"
"$LS" plan "$D/leads.csv" --by owner --capacity-file "$D/reps.csv" | tail -8
