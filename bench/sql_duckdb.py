#!/usr/bin/env python3
"""The generated SQL on DuckDB against `leadscore score`, on the same lead CSV, in one run.

    python bench/sql_duckdb.py LEADS.csv [--bin target/release/leadscore] [--model models]

Needs the `duckdb` Python package (the venv `.ci/run` makes: target/engines/venv/bin/python)
and a release build (`cargo build --release`). A million leads:

    cargo run --release --example gen_data -- --customers 3000 --leads 1000000 --out /tmp/big
    target/engines/venv/bin/python bench/sql_duckdb.py /tmp/big/leads.csv

What is timed (wall clock, each step once, files in a temp dir on the same disk):
  score     `leadscore score LEADS --keep-order -o scores.csv`: read the CSV, score, write CSV
  load      DuckDB `CREATE TABLE leads AS SELECT * FROM read_csv(LEADS, all_varchar = true)`
            (every column text, as the SQLite test loads it; the query reads the numbers)
  load(typed) the same with DuckDB's own column types (numbers as numbers), into another table
  query→table  `CREATE TABLE scores AS <the generated query>` on the text table
  query→table(typed)  the same on the typed table
  query→CSV `COPY (<the generated query>) TO 'sql_scores.csv' (HEADER)` on the text table
CSV to CSV for DuckDB is load + query→CSV, the same work `score` does. DuckDB and leadscore
both use every core. Afterwards every lead's written expected net value is compared (DuckDB's
figure rounded to the cent against score's CSV, joined on the id) and mismatches counted.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import duckdb


def timed(label, fn, rows, results):
    start = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - start
    results.append((label, secs, rows))
    print(f"{label:<28} {secs:8.2f} s  {rows / secs:>12,.0f} rows/s", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("leads")
    ap.add_argument("--bin", default="target/release/leadscore")
    ap.add_argument("--model", default="models")
    args = ap.parse_args()
    leads = os.path.abspath(args.leads)
    work = tempfile.mkdtemp(prefix="sql-duckdb-bench-")
    query = subprocess.run(
        [args.bin, "sql", "--dialect", "duckdb", "--model", args.model],
        check=True, capture_output=True, text=True,
    ).stdout.strip().rstrip(";")
    with open(leads, "rb") as f:
        rows = sum(1 for _ in f) - 1
    print(f"{rows:,} leads, {os.path.getsize(leads) / 1e6:.0f} MB; {os.cpu_count()} cores; "
          f"duckdb {duckdb.__version__}", flush=True)
    results = []
    scores = os.path.join(work, "scores.csv")
    timed("score (CSV to CSV)", lambda: subprocess.run(
        [args.bin, "score", leads, "--model", args.model, "--keep-order", "-o", scores],
        check=True, stderr=subprocess.DEVNULL), rows, results)

    con = duckdb.connect(os.path.join(work, "bench.duckdb"))
    path = leads.replace("'", "''")
    timed("duckdb load (text)", lambda: con.execute(
        f"CREATE TABLE leads AS SELECT * FROM read_csv('{path}', all_varchar = true)"), rows, results)
    timed("duckdb load (typed)", lambda: con.execute(
        f"CREATE TABLE leads_typed AS SELECT * FROM read_csv('{path}')"), rows, results)
    timed("duckdb query -> table", lambda: con.execute(
        f"CREATE TABLE scores AS {query}"), rows, results)
    typed_query = query.replace('FROM "leads"', 'FROM "leads_typed"').replace(
        "FROM leads", "FROM leads_typed")
    assert typed_query != query, "the query's FROM was not found"
    timed("duckdb query -> table (typed)", lambda: con.execute(
        f"CREATE TABLE scores_typed AS {typed_query}"), rows, results)
    sql_csv = os.path.join(work, "sql_scores.csv").replace("'", "''")
    timed("duckdb query -> CSV", lambda: con.execute(
        f"COPY ({query}) TO '{sql_csv}' (HEADER)"), rows, results)

    secs = {label: s for label, s, _ in results}
    csv_to_csv = secs["duckdb load (text)"] + secs["duckdb query -> CSV"]
    print(f"{'duckdb CSV to CSV (load+CSV)':<28} {csv_to_csv:8.2f} s  {rows / csv_to_csv:>12,.0f} rows/s")

    n, differ = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE s.expected_net IS DISTINCT FROM
                                            round(q.expected_net, 2))
            FROM read_csv('{scores.replace("'", "''")}', all_varchar = true) AS w
            JOIN scores AS q ON q.lead_id = w.lead_id,
            LATERAL (SELECT TRY_CAST(w.expected_net AS DOUBLE) AS expected_net) AS s"""
    ).fetchone()
    n_typed = con.execute(
        "SELECT count(*) FROM scores AS a JOIN scores_typed AS b USING (lead_id) "
        "WHERE a.expected_net IS NOT DISTINCT FROM b.expected_net").fetchone()[0]
    print(f"checked: {n:,} leads joined on the id, {differ:,} with another written expected net; "
          f"text and typed tables agree on {n_typed:,}")
    con.close()
    subprocess.run(["rm", "-rf", work], check=False)
    if n != rows or differ or n_typed != rows:
        sys.exit("the SQL and score disagree")


if __name__ == "__main__":
    main()
