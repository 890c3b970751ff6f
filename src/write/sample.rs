//! For the writers' unit tests: the shipped model and the first leads of the shipped lead list,
//! scored, each with two input fields carried along, so every format is tested on the same rows.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::io::table::CsvInput;
use crate::model::columns::FeatureColumns;
use crate::model::registry::Located;
use crate::model::scorer::{ScoredLead, Scorer};
use crate::model::Model;
use crate::write::csv::CsvWriter;
use crate::write::xlsx::ModelInfo;
use crate::write::{header, ScoredWriter};

/// The input columns the sample leads carry.
pub const PASSED: [&str; 2] = ["company", "region"];

/// The shipped model.
pub fn shipped() -> Model {
    Model::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/model.json")).unwrap()
}

/// The first `n` leads of the shipped lead list scored with `model` to 2 decimals, each with
/// its [`PASSED`] fields.
pub fn scored(model: &Model, n: usize) -> Vec<(ScoredLead, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scorer = Scorer::new(model).unwrap();
    let mut input = CsvInput::open(&root.join("data/leads.csv"), Default::default()).unwrap();
    let cols = FeatureColumns::locate(&input, &model.feature_specs(), "").unwrap();
    let carried: Vec<usize> = PASSED
        .iter()
        .map(|c| input.headers().iter().position(|h| h == c).unwrap())
        .collect();
    let mut record = crate::io::records::Record::new();
    let mut out = Vec::new();
    while out.len() < n && input.read(&mut record).unwrap() {
        let mut lead = ScoredLead::default();
        scorer
            .score(input.source(), &cols, &record, 2, &mut lead)
            .unwrap();
        lead.id = String::from_utf8_lossy(&record[0]).into_owned();
        let passed = carried
            .iter()
            .map(|&c| String::from_utf8_lossy(&record[c]).into_owned())
            .collect();
        out.push((lead, passed));
    }
    out
}

/// What the workbook's Model sheet and the page say of `model`, as version v0002 of a registry.
pub fn model_info(model: &Model) -> ModelInfo {
    ModelInfo::new(
        model,
        &Located {
            file: PathBuf::from("models/v0002/model.json"),
            version: Some("v0002".into()),
        },
    )
}

/// `leads` as the CSV writer prints them, header first: what every other format is checked
/// against.
pub fn as_csv(model: &Model, leads: &[(ScoredLead, Vec<String>)]) -> Vec<csv::StringRecord> {
    let eq = Scorer::new(model).unwrap().equation().clone();
    let mut w = CsvWriter::new(Vec::new(), &eq, 2);
    w.write_fields(header("lead_id", &PASSED)).unwrap();
    for (lead, passed) in leads {
        let passed: Vec<Cow<str>> = passed.iter().map(|p| Cow::Borrowed(p.as_str())).collect();
        w.write(lead, &passed).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[..])
        .records()
        .map(Result::unwrap)
        .collect()
}
