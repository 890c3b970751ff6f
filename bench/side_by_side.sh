#!/usr/bin/env bash
# leadscore against its peer (pandas + scikit-learn) and its floor (a plain csv-crate pass), on the
# wide data set (bench/peer/gen_big.py) and on the sample generator's (examples/gen_data), in one
# run: interleaved rounds, wall seconds and peak RSS from /usr/bin/time, medians and same-round
# ratios against the issue-13 targets. See bench/README.md.
#
# Usage: bash bench/side_by_side.sh [--n N] [--rounds R] [--dir DIR] [--sets wide,sample]
#   --n N        customers and leads per data set (default 1000000; 10000000 needs ~5 GB in DIR)
#   --rounds R   interleaved rounds; medians are reported (default 3)
#   --dir DIR    where the venv, the floor build, the data and the outputs go (default: a new
#                temp dir, deleted at the end); reused by the next run with the same DIR
#   --sets S     which data sets (default wide,sample)
# Exits non-zero only when a step fails; missed targets are reported, not failed (a benchmark).
set -euo pipefail

N=1000000; ROUNDS=3; DIR=""; SETS="wide,sample"
while [ $# -gt 0 ]; do
  case "$1" in
    --n) N=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --sets) SETS=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "side_by_side.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
N=${N//_/}
[[ $N =~ ^[0-9]+$ && $N -ge 100 ]] || { echo "--n must be a whole number >= 100" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || { echo "--rounds must be >= 1" >&2; exit 2; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
PEER_SRC=$REPO/bench/peer
if [ -z "$DIR" ]; then
  DIR=$(mktemp -d -t leadscore-side-XXXXXX)
  trap 'rm -rf "$DIR"' EXIT
fi
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
[ -x /usr/bin/time ] || { echo "side_by_side.sh needs /usr/bin/time (GNU time; apt-get install time)" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# 1. The peer's venv, pinned (bench/peer/requirements.txt); rebuilt when the pins change.
VENV=$DIR/peer-venv; PY=$VENV/bin/python
if ! cmp -s "$PEER_SRC/requirements.txt" "$VENV/requirements.txt" 2>/dev/null; then
  log "creating the peer's venv in $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || { echo "FAILED: python3 -m venv $VENV (install python3-venv?)" >&2; exit 1; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$PEER_SRC/requirements.txt" \
    || { echo "FAILED: pip install -r $PEER_SRC/requirements.txt into $VENV" >&2; exit 1; }
  cp "$PEER_SRC/requirements.txt" "$VENV/requirements.txt"
fi
"$PY" -c 'import numpy, pandas, sklearn, scipy' \
  || { echo "FAILED: the peer's venv $VENV cannot import numpy/pandas/sklearn/scipy" >&2; exit 1; }
PEER_VERSIONS=$("$PY" -c 'import sys, numpy, pandas, sklearn, scipy; print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, pandas {pandas.__version__}, scikit-learn {sklearn.__version__}, scipy {scipy.__version__}")')

# 2. The floor (its own crate and target dir) and leadscore (release) with its data generator.
log "building the floor, leadscore (release) and the sample generator"
cargo build --quiet --release --manifest-path "$PEER_SRC/floor/Cargo.toml" --target-dir "$DIR/floor-target"
FLOOR=$DIR/floor-target/release/floor
(cd "$REPO" && cargo build --quiet --release --bin leadscore --example gen_data)
LS=$REPO/target/release/leadscore
GEN=$REPO/target/release/examples/gen_data

# 3. The data sets, generated once per size into DIR (files are written under a temp name first).
# Each set: customers, leads, the leadscore config, and the floor's schema derived from it.
schema_of() { # leadscore config -> floor SCHEMA arguments (columns and economics)
  "$PY" - "$1" <<'PY'
import sys, tomllib
c = tomllib.load(open(sys.argv[1], "rb")); f, e = c["features"], c["economics"]
def terms(side):
    out = []
    for t in e.get(side, []):
        if "column" not in t:
            continue  # a fixed amount per customer: no column to read
        out.append(":".join([t["column"], repr(float(t.get("rate", 1.0)))] + ([t["times"]] if "times" in t else [])))
    return ",".join(out)
print("--cat", ",".join(f.get("categorical", [])), "--num", ",".join(f.get("numeric", [])),
      "--return", terms("return"), "--burden", terms("burden"))
PY
}
IFS=, read -r -a SET_LIST <<< "$SETS"
for s in "${SET_LIST[@]}"; do
  d=$DIR/$s-$N; mkdir -p "$d"
  case "$s" in
    wide)
      if [ ! -f "$d/customers.csv" ] || [ ! -f "$d/leads.csv" ]; then
        log "generating the wide data set, $N rows (gen_big.py)"
        "$PY" "$PEER_SRC/gen_big.py" --rows "$N" --leads "$N" --out-dir "$d/gen"
        mv "$d/gen/customers_$N.csv" "$d/customers.csv"; mv "$d/gen/leads_$N.csv" "$d/leads.csv"; rmdir "$d/gen"
      fi
      cp "$PEER_SRC/big.toml" "$d/leadscore.toml" ;;
    sample)
      if [ ! -f "$d/customers.csv" ] || [ ! -f "$d/leads.csv" ]; then
        log "generating the sample generator's data set, $N rows (examples/gen_data)"
        "$GEN" --customers "$N" --leads "$N" --q4 0 --seed 42 --out "$d/gen" >&2
        mv "$d/gen/customers.csv" "$d/customers.csv"; mv "$d/gen/leads.csv" "$d/leads.csv"; rm -rf "$d/gen"
      fi
      cp "$REPO/leadscore.toml" "$d/leadscore.toml" ;;
    *) echo "unknown data set $s (wide, sample)" >&2; exit 2 ;;
  esac
  schema_of "$d/leadscore.toml" > "$d/floor-schema"
done

# 4. Interleaved rounds. A step that fails stops the run with its output's tail.
RAW=$DIR/side_raw.tsv; : > "$RAW"
run() { # run SET NAME [ENV=VALUE...] -- COMMAND...
  local set=$1 name=$2; shift 2; local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  local tf=$DIR/time.out err=$DIR/$set-$N/$name.log
  if ! env ${envs[@]+"${envs[@]}"} /usr/bin/time -f "%e %M %U %S" -o "$tf" "$@" > "$err" 2>&1; then
    echo "FAILED: $set $name: $*" >&2; tail -20 "$err" >&2; exit 1
  fi
  local wall rss user sys; read -r wall rss user sys < <(tail -1 "$tf")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$round" "$name" "$wall" "$rss" "$(echo "$user + $sys" | bc)" >> "$RAW"
  printf '  %-7s round %s  %-14s %7.2f s %8.0f MiB\n' "$set" "$round" "$name" "$wall" "$((rss / 1024))" >&2
}
for s in "${SET_LIST[@]}"; do # untimed: the models score needs
  d=$DIR/$s-$N
  log "$s: first train of leadscore and the peer (untimed)"
  # Every timed train adds a version to this registry, with its own copy of the customers
  # (120 MB at 1M): start from an empty one, so a kept --dir does not fill the disk run by run.
  rm -rf "$d/ls-models"
  "$LS" train --history "$d/customers.csv" --config "$d/leadscore.toml" --models "$d/ls-models" > "$d/ls-train-first.log" 2>&1 \
    || { tail -20 "$d/ls-train-first.log" >&2; exit 1; }
  "$PY" "$PEER_SRC/peer_sklearn.py" train "$d/customers.csv" "$d/peer.pkl" --config "$d/leadscore.toml"
  # The floor pass writes a CSV the size of leadscore's sorted output: a filler field per row.
  read -r -a SCHEMA < "$d/floor-schema"
  "$LS" score "$d/leads.csv" --model "$d/ls-models" -o "$d/out-ls.csv" > "$d/ls-score-first.log" 2>&1 \
    || { tail -20 "$d/ls-score-first.log" >&2; exit 1; }
  "$FLOOR" pass "$d/leads.csv" "$d/out-floor.csv" "${SCHEMA[@]}" 2> /dev/null
  PAD=$(( ($(stat -c %s "$d/out-ls.csv") - $(stat -c %s "$d/out-floor.csv")) / N - 1 ))
  [ "$PAD" -gt 0 ] || PAD=0
  echo "--pad $PAD" > "$d/floor-pad"
done
for round in $(seq 1 "$ROUNDS"); do
  for s in "${SET_LIST[@]}"; do
    d=$DIR/$s-$N; read -r -a SCHEMA < "$d/floor-schema"; read -r -a PAD < "$d/floor-pad"
    C=$d/customers.csv; L=$d/leads.csv; M=$d/ls-models
    run "$s" peer_train --                     "$PY" "$PEER_SRC/peer_sklearn.py" train "$C" "$d/peer.pkl" --config "$d/leadscore.toml"
    run "$s" ls_train --                       "$LS" train --history "$C" --config "$d/leadscore.toml" --models "$M"
    run "$s" ls_train_1t LEADSCORE_THREADS=1 -- "$LS" train --history "$C" --config "$d/leadscore.toml" --models "$M"
    run "$s" floor_gram --                     "$FLOOR" gram "$C" "${SCHEMA[@]}"
    run "$s" peer_score --                     "$PY" "$PEER_SRC/peer_sklearn.py" score "$L" "$d/peer.pkl" "$d/out-peer.csv"
    run "$s" ls_score --                       "$LS" score "$L" --model "$M" -o "$d/out-ls.csv"
    run "$s" ls_score_1t LEADSCORE_THREADS=1 -- "$LS" score "$L" --model "$M" -o "$d/out-ls.csv"
    run "$s" ls_keep --                        "$LS" score "$L" --model "$M" --keep-order -o "$d/out-ls-keep.csv"
    run "$s" ls_keep_1t LEADSCORE_THREADS=1 -- "$LS" score "$L" --model "$M" --keep-order -o "$d/out-ls-keep.csv"
    run "$s" floor_pass --                     "$FLOOR" pass "$L" "$d/out-floor.csv" "${SCHEMA[@]}" "${PAD[@]}"
  done
  log "round $round of $ROUNDS done"
done

# 5. The tables.
echo
echo "leadscore side by side: N = $N customers and $N leads per data set, $ROUNDS round(s), $(nproc) CPU(s)"
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates wall times; compare the cpu s column)"
echo "  leadscore $(git -C "$REPO" describe --always --dirty=+uncommitted 2>/dev/null || echo '?'), peer: $PEER_VERSIONS"
"$PY" - "$RAW" "$N" "$(nproc)" "$DIR" <<'PY'
import collections, os, statistics as st, sys
raw, n, cpus, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
by = collections.defaultdict(lambda: collections.defaultdict(dict))  # set -> round -> name -> (s, KiB)
for line in open(raw):
    s, r, name, wall, rss, cpu = line.rstrip("\n").split("\t")
    by[s][int(r)][name] = (float(wall), int(rss), float(cpu))
ROWS = [  # name, what, floor it is compared with
    ("peer_train", "peer train (pandas + sklearn, 1 fit)", "floor_gram"),
    ("ls_train", f"leadscore train (5-fold CV, threads {cpus})", "floor_gram"),
    ("ls_train_1t", "leadscore train (1 thread)", "floor_gram"),
    ("floor_gram", "floor gram (read + X'X)", "floor_gram"),
    ("peer_score", "peer score (predict, sort, write)", "floor_pass"),
    ("ls_score", f"leadscore score sorted (threads {cpus})", "floor_pass"),
    ("ls_score_1t", "leadscore score sorted (1 thread)", "floor_pass"),
    ("ls_keep", f"leadscore score --keep-order ({cpus})", "floor_pass"),
    ("ls_keep_1t", "leadscore score --keep-order (1 thr.)", "floor_pass"),
    ("floor_pass", "floor pass (read, parse, same-size write)", "floor_pass"),
]
def ratio(rounds, a, b):  # median over rounds of the same-round ratio
    return st.median([rounds[r][a][0] / rounds[r][b][0] for r in rounds])
TARGETS = [  # label, a, b, bound, at most?
    ("score sorted / floor pass", "ls_score", "floor_pass", 2.0, True),
    ("score --keep-order / floor pass", "ls_keep", "floor_pass", 1.7, True),
    ("train / floor gram (read + X'X)", "ls_train", "floor_gram", 2.0, True),
    ("peer score / leadscore score", "peer_score", "ls_score", 10.0, False),
    ("peer train / leadscore train", "peer_train", "ls_train", 5.0, False),
]
for s, rounds in by.items():
    size = lambda f: os.path.getsize(os.path.join(d, f"{s}-{n}", f))
    print(f"\n== {s} data set: customers {size('customers.csv')/1e6:.0f} MB, leads {size('leads.csv')/1e6:.0f} MB; "
          f"outputs: leadscore {size('out-ls.csv')/1e6:.0f} MB, floor {size('out-floor.csv')/1e6:.0f} MB, "
          f"peer {size('out-peer.csv')/1e6:.0f} MB")
    print(f"{'step':41s} {'median s':>9s} {'min':>6s} {'max':>6s} {'cpu s':>6s} {'peak MiB':>9s} {'B/row':>7s} {'/ floor':>8s}")
    for name, what, fl in ROWS:
        w = [rounds[r][name][0] for r in rounds]; m = [rounds[r][name][1] for r in rounds]
        c = [rounds[r][name][2] for r in rounds]
        print(f"{what:41s} {st.median(w):9.2f} {min(w):6.2f} {max(w):6.2f} {st.median(c):6.2f} {max(m)/1024:9.0f} "
              f"{max(m)*1024/n:7.0f} {ratio(rounds, name, fl):7.2f}x")
    print(f"{'ratio (median of same-round ratios)':41s} {'value':>9s} {'target':>9s}")
    for label, a, b, bound, at_most in TARGETS:
        v = ratio(rounds, a, b)
        ok = v <= bound if at_most else v >= bound
        print(f"{label:41s} {v:8.2f}x {('<= ' if at_most else '>= ') + f'{bound:g}x':>9s}  {'met' if ok else 'NOT met'}")
    for label, one, many in [("train", "ls_train_1t", "ls_train"),
                             ("score sorted", "ls_score_1t", "ls_score"),
                             ("keep-order", "ls_keep_1t", "ls_keep")]:
        print(f"{f'speed-up 1 -> {cpus} threads, ' + label:41s} {ratio(rounds, one, many):8.2f}x")
if n != 1_000_000:
    print(f"\n(the targets are stated for 1,000,000 rows; judged here at N = {n})")
PY
