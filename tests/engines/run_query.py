#!/usr/bin/env python3
"""Runs `leadscore sql` queries on a real database engine, for tests/cli/sql_engines.rs.

    run_query.py MANIFEST.json

The manifest names the engine and a list of jobs; each job loads one lead CSV into a table
`leads` (replacing the last one), runs one query file on it, and writes the result as CSV:

    {"engine": "duckdb" | "spark" | "postgres",
     "psql": "/usr/bin/psql", "pg_host": "/tmp/socketdir", "pg_port": 5432,   # postgres only
     "jobs": [{"csv": "leads.csv", "rename": {"annual_revenue": "annual revenue (€)"},
               "typed": ["employees"], "null_tokens": ["n/a", "NA"],
               "query": "q.sql", "out": "out.csv",
               "spark_conf": {"spark.sql.ansi.enabled": "false"}}]}   # spark only, optional

Loading: every column is text (blanks stay empty text), except the `typed` columns, which are
double precision: a blank or one of `null_tokens` (the model's missing-value tokens) is NULL, a
number is the number, and any other text is an error (a typed column cannot hold it).

Output: a header of the query's column names, then one line per row; NULL is written `\\N`,
a float with Python's shortest round-trip `repr`, anything else with `str`. The comparison with
`leadscore score` is in Rust; this file only moves rows in and out of the engine. It exits 3
(and says why on standard error) when the engine's Python package cannot be imported.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile

NULL = "\\N"


def read_leads(job):
    with open(job["csv"], newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = [job.get("rename", {}).get(h, h) for h in rows[0]]
    typed = set(job.get("typed", []))
    tokens = {t.strip().lower() for t in job.get("null_tokens", [])}
    is_num = [h in typed for h in rows[0]]
    body = []
    for line, row in enumerate(rows[1:], start=2):
        values = []
        for c, v in enumerate(row):
            if not is_num[c]:
                values.append(v)
            elif v.strip() == "" or v.strip().lower() in tokens:
                values.append(None)
            else:
                try:
                    values.append(float(v))
                except ValueError:
                    sys.exit(f"{job['csv']}:{line}: {rows[0][c]} {v!r} is no number for a typed column")
        body.append(values)
    return header, is_num, body


def ident(name):
    return '"' + name.replace('"', '""') + '"'


def literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return f"CAST('{v!r}' AS DOUBLE PRECISION)"
    return "'" + v.replace("'", "''") + "'"


def load_sql(header, is_num, body):
    """CREATE TABLE and INSERTs for DuckDB and PostgreSQL (standard string literals)."""
    cols = ", ".join(
        f"{ident(h)} {'DOUBLE PRECISION' if n else 'TEXT'}" for h, n in zip(header, is_num)
    )
    out = ["DROP TABLE IF EXISTS leads;", f"CREATE TABLE leads ({cols});"]
    for start in range(0, len(body), 500):
        rows = ",\n".join(
            "(" + ", ".join(literal(v) for v in row) + ")" for row in body[start : start + 500]
        )
        out.append(f"INSERT INTO leads VALUES\n{rows};")
    return "\n".join(out)


def query_text(job):
    with open(job["query"], encoding="utf-8") as f:
        return f.read().strip().rstrip(";")


def cell(v):
    if v is None:
        return NULL
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_result(job, names, rows):
    with open(job["out"], "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(names)
        for row in rows:
            w.writerow([cell(v) for v in row])


def need(module):
    try:
        return __import__(module)
    except ImportError as e:
        print(f"cannot import {module}: {e} (python {sys.executable})", file=sys.stderr)
        sys.exit(3)


def run_duckdb(manifest):
    duckdb = need("duckdb")
    con = duckdb.connect()
    for job in manifest["jobs"]:
        con.execute(load_sql(*read_leads(job)))
        cur = con.execute(query_text(job))
        names = [d[0] for d in cur.description]
        write_result(job, names, cur.fetchall())


def run_spark(manifest):
    need("pyspark")
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("leadscore-sql-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for job in manifest["jobs"]:
            for key, value in job.get("spark_conf", {}).items():
                spark.conf.set(key, value)
            header, is_num, body = read_leads(job)
            schema = StructType(
                [StructField(h, DoubleType() if n else StringType(), True) for h, n in zip(header, is_num)]
            )
            spark.createDataFrame(body, schema).createOrReplaceTempView("leads")
            df = spark.sql(query_text(job))
            write_result(job, df.columns, [tuple(r) for r in df.collect()])
    finally:
        spark.stop()


def run_postgres(manifest):
    psql = [
        manifest["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1",
        "-h", manifest["pg_host"], "-p", str(manifest.get("pg_port", 5432)),
        "-U", manifest.get("pg_user", "postgres"), "-d", manifest.get("pg_db", "postgres"),
    ]
    for job in manifest["jobs"]:
        script = load_sql(*read_leads(job))
        script += "\nCOPY (\n" + query_text(job) + "\n) TO STDOUT WITH (FORMAT csv, HEADER, NULL '\\N');\n"
        with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8", delete=False) as f:
            f.write(script)
        try:
            with open(job["out"], "wb") as out:
                subprocess.run(psql + ["-f", f.name], stdout=out, check=True)
        finally:
            os.unlink(f.name)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        manifest = json.load(f)
    {"duckdb": run_duckdb, "spark": run_spark, "postgres": run_postgres}[manifest["engine"]](manifest)


if __name__ == "__main__":
    main()
