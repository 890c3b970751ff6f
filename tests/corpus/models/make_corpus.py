#!/usr/bin/env python3
"""Writes the model-file corpus: each case is models/model.json edited, cut or replaced.

Run from the repository root after the shipped model changes, then re-pin the messages in
cases.tsv (the test prints what it got). Each case is one file; `cases.tsv` says what it proves.

The shipped model carries a checksum of its content (from format version 3). A case that tests what
lies behind the checksum (the JSON, the version, the checks on load) is sealed again with a
checksum of its own text, as `train` would have written it, so that it is refused for its own
reason and not merely because it was changed; only the `checksum-*` cases, `version-lowered`
and `crlf` keep a checksum that no longer matches, and the cut copies are cut from the file
as written. v1-shipped.json, v2-shipped.json and v3-shipped.json are files older versions wrote, kept as they
were: this script leaves them alone.
"""
import copy
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_PATH = os.path.join(HERE, "..", "..", "..", "models", "model.json")
# The file as written, its checksum line, and the content the checksum covers (the rest).
TEXT = open(SHIPPED_PATH, encoding="utf-8").read()
CHECKSUM_LINE = TEXT.split("\n")[1] + "\n"
assert CHECKSUM_LINE.startswith('  "checksum": "sha256:'), CHECKSUM_LINE
CONTENT = TEXT.replace(CHECKSUM_LINE, "", 1)
SHIPPED = json.loads(CONTENT)


def seal(content):
    """`content` as train writes it: its checksum inserted as the first member (second line)."""
    assert content.startswith("{\n"), content[:20]
    checksum = "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest()
    return '{\n  "checksum": "%s",\n%s' % (checksum, content[2:])


def feature(m, name):
    return next(f for f in m["schema"]["features"] if f["name"] == name)


def level(m, name, value):
    return next(l for l in feature(m, name)["levels"] if l["value"] == value)


def edited(fn):
    """The shipped model edited as JSON, written again and sealed."""
    m = copy.deepcopy(SHIPPED)
    fn(m)
    return seal(json.dumps(m, indent=2, ensure_ascii=False) + "\n")


def text_edit(old, new):
    """The shipped model's text edited, and sealed again."""
    assert CONTENT.count(old) == 1, old
    return seal(CONTENT.replace(old, new))


def changed(old, new):
    """The shipped model's text edited after it was written: the checksum no longer matches."""
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


def set_(path, value):
    def fn(m):
        *parents, last = path
        for p in parents:
            m = m[p]
        m[last] = value

    return fn


def drop_other_level(name):
    def fn(m):
        f = feature(m, name)
        f["levels"] = [l for l in f["levels"] if l["value"] != "(other)"]

    return fn


def both(*fns):
    def fn(m):
        for f in fns:
            f(m)

    return fn


CASES = {
    # Not a model file at all.
    "empty.json": "",
    "not-json.json": open(os.path.join(HERE, "..", "..", "fixtures", "leads.csv")).read(),
    "json-array.json": "[1, 2, 3]\n",
    "json-string.json": "\"leadscore-model\"\n",
    "other-format.json": text_edit('"format": "leadscore-model"', '"format": "leadscore-modle"'),
    "trailing-garbage.json": seal(CONTENT + "}\n"),
    # Cut short at several byte offsets.
    "cut-at-1.json": TEXT[:1],
    "cut-at-60.json": TEXT[:60],
    "cut-in-schema.json": TEXT[:2000],
    "cut-in-a-number.json": TEXT[: TEXT.index("-22943.61") + 4],
    "cut-before-last-brace.json": TEXT.rstrip()[:-1],
    # Versions.
    "version-0.json": text_edit('"format_version": 5,', '"format_version": 0,'),
    "version-6.json": text_edit('"format_version": 5,', '"format_version": 6,'),
    "version-huge.json": text_edit('"format_version": 5,', '"format_version": 4294967297,'),
    "version-string.json": text_edit('"format_version": 5,', '"format_version": "5",'),
    "version-fraction.json": text_edit('"format_version": 5,', '"format_version": 1.5,'),
    "version-missing.json": text_edit('  "format_version": 5,\n', ""),
    # Checksums: the file changed after it was written, and the checksum not made again.
    "checksum-mismatch.json": changed('"tier_a": 16852.0', '"tier_a": 16853.0'),
    "checksum-missing.json": CONTENT,
    "checksum-malformed.json": changed(CHECKSUM_LINE, CHECKSUM_LINE.replace('",', '0",')),
    "checksum-moved.json": json.dumps(json.loads(TEXT), ensure_ascii=False) + "\n",
    "version-lowered.json": changed('"format_version": 5,', '"format_version": 4,'),
    "crlf.json": TEXT.replace("\n", "\r\n"),
    # Wrong types and numbers JSON cannot hold.
    "number-1e309.json": text_edit('"median": 35.0', '"median": 1e309'),
    "number-nan-string.json": text_edit('"median": 35.0', '"median": "NaN"'),
    "number-infinity-word.json": text_edit('"median": 35.0', '"median": Infinity'),
    "column-negative.json": edited(set_(["schema", "features", 4, "column"], -1)),
    "levels-not-a-list.json": edited(set_(["schema", "features", 0, "levels"], {"retail": 1})),
    "log-as-string.json": edited(set_(["schema", "features", 4, "log"], "true")),
    "customers-fraction.json": edited(lambda m: level(m, "industry", "retail").update(customers=1.5)),
    "unknown-field.json": edited(set_(["interval", "confidence"], 0.9)),
    # Column counts and names.
    "columns-short.json": edited(lambda m: m["columns"].pop()),
    "schema-columns-long.json": edited(lambda m: m["schema"]["columns"].append("extra")),
    "column-name-mismatch.json": edited(set_(["columns", 0, "name"], "industry=mining")),
    # Categorical features.
    "reference-not-a-level.json": edited(set_(["schema", "features", 0, "reference"], "mining")),
    "reference-has-column.json": edited(lambda m: level(m, "industry", "manufacturing").update(column=7)),
    "level-without-column.json": edited(lambda m: level(m, "industry", "retail").update(column=None)),
    "level-column-past-end.json": edited(lambda m: level(m, "industry", "retail").update(column=24)),
    "levels-share-column.json": edited(lambda m: level(m, "industry", "retail").update(column=6)),
    "level-listed-twice.json": edited(lambda m: level(m, "region", "(other)").update(value="north")),
    "pooled-without-other.json": edited(drop_other_level("industry")),
    "missing-pooled-without-other.json": edited(drop_other_level("region")),
    "categorical-missing-share.json": edited(set_(["schema", "features", 1, "missing_share"], 1.5)),
    "duplicate-feature-name.json": edited(set_(["schema", "features", 1, "name"], "industry")),
    # Numeric features.
    "numeric-column-past-end.json": edited(set_(["schema", "features", 4, "column"], 99)),
    "numeric-shares-level-column.json": edited(set_(["schema", "features", 4, "column"], 0)),
    "min-above-max.json": edited(set_(["schema", "features", 5, "min"], 3e9)),
    "clamp-reversed.json": edited(set_(["schema", "features", 4, "clamp"], [704.15, 2.0])),
    "edges-out-of-order.json": edited(lambda m: feature(m, "employees")["edges"].reverse()),
    "shares-too-few.json": edited(lambda m: feature(m, "employees")["shares"].pop()),
    "share-negative.json": edited(lambda m: feature(m, "employees")["shares"].__setitem__(0, -0.1)),
    "numeric-missing-share.json": edited(set_(["schema", "features", 6, "missing_share"], -0.5)),
    "log-clamp-below-minus-1.json": edited(set_(["schema", "features", 4, "clamp"], [-3.0, 704.15])),
    "log-median-below-minus-1.json": edited(set_(["schema", "features", 4, "median"], -1.0)),
    "log-min-without-clamp.json": edited(
        both(set_(["schema", "features", 4, "clamp"], None), set_(["schema", "features", 4, "min"], -5.0))
    ),
    # Panics the random edits found before the load-time checks (mutants 463, 132 and 284 of
    # the seeded test): f64::clamp with low above high, and a level scoring looks up by name.
    "mutant-clamp-high-negative.json": edited(set_(["schema", "features", 4, "clamp", 1], -704.1500000000001)),
    "mutant-other-renamed-missing.json": edited(lambda m: level(m, "industry", "(other)").update(value="(missing)")),
    "mutant-reference-level-renamed.json": edited(lambda m: level(m, "lead_source", "web").update(value="industry=finance")),
    # Loads: any count of customers is a count.
    "customers-max-u64.json": edited(
        lambda m: level(m, "industry", "retail").update(customers=18446744073709551615)
    ),
    # Fits, economics, decisions, interval.
    "log-correction-zero.json": edited(set_(["service_burden", "log_correction"], 0.0)),
    "penalty-negative.json": edited(set_(["lifetime_return", "penalty"], -0.01)),
    "currency-empty.json": edited(set_(["economics", "currency"], "")),
    "tiers-out-of-order.json": edited(set_(["decisions", "tier_b"], 20000.0)),
    "contact-below-skip.json": edited(set_(["decisions", "skip_below"], 10000.0)),
    "interval-level-one.json": edited(set_(["interval", "level"], 1.0)),
    "interval-reversed.json": edited(set_(["interval", "lower"], 2.0)),
    "interval-negative-scale.json": edited(set_(["interval", "scale_slope"], -0.15)),
}

for name, text in CASES.items():
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write(text)
print(len(CASES), "cases")
