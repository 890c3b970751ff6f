//! Walking a JSON document by paths, for the tests that edit model files value by value (the
//! model-file corpus in `tests/cli/model_files.rs` and the fuzz harness in `tests/fuzz.rs`,
//! which each include this file).

#![allow(dead_code)]

use serde_json::Value;

/// One step of a path into a JSON document.
#[derive(Clone, Debug)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// Every path to a value in `v`, depth first.
pub fn paths(v: &Value, at: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(at.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                at.push(PathStep::Key(k.clone()));
                paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(PathStep::Index(i));
                paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The value at `path`.
pub fn get_mut<'v>(v: &'v mut Value, path: &[PathStep]) -> &'v mut Value {
    path.iter().fold(v, |v, step| match step {
        PathStep::Key(k) => &mut v[k.as_str()],
        PathStep::Index(i) => &mut v[*i],
    })
}

/// `path` as `.schema.features[3].levels`.
pub fn show(path: &[PathStep]) -> String {
    path.iter()
        .map(|s| match s {
            PathStep::Key(k) => format!(".{k}"),
            PathStep::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// Every string in `v`, to swap one for another.
pub fn strings_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings_of(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings_of(i, out)),
        _ => {}
    }
}
