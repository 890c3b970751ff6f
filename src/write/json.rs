//! Scored leads as JSON for integrations: one array document ([`JsonArrayWriter`]) or JSON
//! Lines, one record per line ([`JsonLinesWriter`]). Both write the same record, described by
//! the JSON Schema in `docs/scored-lead.schema.json` ([`RECORD_SCHEMA`]).
//!
//! A record holds the same figures as the CSV writer's row, as numbers: return, burden and net
//! are the money as written (`lead.money`, rounded, so return − burden = net exactly), written
//! with the CSV's own digits, so a reader parsing either file gets the same `f64`s. The reasons
//! name the same drivers as the CSV, as objects: the feature, its value as read, what the model
//! scored it as where that differs, and its effect on return, burden and net in money at full
//! precision (the contributions themselves, so an integration can check them against
//! `explain`); a floor at zero that is a driver is a reason of its own. The model version is in
//! every record, so records from several runs can be mixed and still traced.
//!
//! With [`JsonRecords::with_components`] (`export --components`) a record also holds
//! `components`: each economics term's share of the return and of the burden in money, keyed
//! by the term's name, and in its column's units where it has one, keyed by the column
//! `score --components` writes it in (`expected_sales_hours`): the figures of those columns,
//! with their digits, so each side's parts add up to `expected_return` and `expected_burden`
//! at the money's digits.
//!
//! With [`JsonRecords::with_breakdown`] (`export --breakdown`) a record also holds its net
//! value broken down, `breakdown`: the baseline, every feature's part in the model's order and
//! the floors' part, the figures `score --breakdown` writes (`ScoredLead::breakdown`), with the
//! money's digits, so they add up to `expected_net` at those digits. Without it the record is
//! as it always was.
//!
//! Effects are written with the shortest digits that read back as the same `f64` under a
//! correctly rounding parser (Python's, JavaScript's, Rust's `str::parse`). serde_json's default
//! parser may miss such a number by its last bit unless its `float_roundtrip` feature is on; the
//! money figures have few digits and read back exactly either way.
//!
//! Both writers stream: each record is rendered into one reused buffer and written out, so
//! memory stays flat however many leads there are. Workers that format batches in parallel
//! (as `score` does) can render records with [`JsonRecords::render`] and hand the bytes to a
//! writer's `write_rendered` in order.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::economics::write_fixed;
use crate::model::components::{column_names, Components};
use crate::model::equation::{Equation, Role};
use crate::model::scorer::{Driver, ScoredLead};
use crate::write::{ScoredWriter, REASONS};

/// The JSON Schema (draft 2020-12) of one record, as shipped in `docs/scored-lead.schema.json`.
pub const RECORD_SCHEMA: &str = include_str!("../../docs/scored-lead.schema.json");

/// Renders one scored lead as one JSON object on one line. Shared by both writers; its
/// formatting buffers are reused from lead to lead.
pub struct JsonRecords<'e> {
    equation: &'e Equation,
    decimals: usize,
    /// `"model_version":"v0002"`, escaped once.
    version: Vec<u8>,
    /// The carried input columns' names as JSON strings, escaped once; `None`: no `input`.
    input: Option<Vec<Vec<u8>>>,
    /// With the breakdown: each feature's name as a JSON key (`"employees":`), escaped once.
    breakdown: Option<Vec<Vec<u8>>>,
    /// The breakdown's figures as written, reused from lead to lead.
    parts: Vec<f64>,
    /// With components: the model's, and the keys of their objects.
    components: Option<(&'e Components, ComponentKeys)>,
    /// The components' parts at full precision, reused from lead to lead.
    exact: Vec<f64>,
    number: String,
    text: String,
}

impl<'e> JsonRecords<'e> {
    /// Records of leads scored with `equation`, tagged with `model_version` (`v0002`, or the
    /// model file's name when it is not in a registry), money written to `decimals` places as
    /// in the CSV.
    pub fn new(equation: &'e Equation, model_version: &str, decimals: usize) -> Self {
        let mut version = b"\"model_version\":".to_vec();
        push_str(&mut version, model_version);
        JsonRecords {
            equation,
            decimals,
            version,
            input: None,
            breakdown: None,
            parts: Vec::new(),
            components: None,
            exact: Vec::new(),
            number: String::new(),
            text: String::new(),
        }
    }

    /// Carries input fields along under `input`, an object of column → text: `header` names
    /// the fields each [`ScoredWriter::write`] is given, in order. The names must differ (a lead
    /// list's header is checked for repeats when it is read).
    pub fn with_input<S: AsRef<str>>(mut self, header: &[S]) -> Self {
        self.input = Some(
            header
                .iter()
                .map(|name| {
                    let mut key = Vec::new();
                    push_str(&mut key, name.as_ref());
                    key
                })
                .collect(),
        );
        self
    }

    /// Adds each lead's components as written (the figures of `score --components`' columns)
    /// under `components`: `{"return":{"revenue":139166.94,...},"burden":{"sales effort":
    /// 4977.99,...},"units":{"expected_lifetime_revenue":139166.94,...,"expected_sales_hours":
    /// 58.56,...}}`: money keyed by term, in the config's order, with the money's digits, so a
    /// side's parts add up to its figure to the last decimal; units keyed by their column's name,
    /// to at least 2 decimals.
    pub fn with_components(mut self, components: Option<&'e Components>) -> Self {
        self.components = components.map(|c| (c, ComponentKeys::new(c)));
        self
    }

    /// Adds each lead's net value broken down, as written (`ScoredLead::breakdown`, the
    /// figures of `score --breakdown`'s columns), under `breakdown`: `{"baseline_net":2875.00,
    /// "contributions":{"employees":-400.00,...},"floor_net":0.00}`, the features in the
    /// model's order, with the money's digits, so the parts add up to `expected_net` to the
    /// last decimal.
    pub fn with_breakdown(mut self, breakdown: bool) -> Self {
        self.breakdown = breakdown.then(|| {
            self.equation
                .terms
                .iter()
                .map(|t| {
                    let mut key = Vec::new();
                    push_str(&mut key, t.name());
                    key.push(b':');
                    key
                })
                .collect()
        });
        self
    }

    /// Appends the lead's record to `out`: one JSON object, no newline.
    pub fn render(&mut self, out: &mut Vec<u8>, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) {
        let eq = self.equation;
        let m = &lead.money;
        out.extend_from_slice(b"{\"lead_id\":");
        push_str(out, &lead.id);
        out.push(b',');
        out.extend_from_slice(&self.version);
        self.money(out, "expected_return", Some(m.lifetime_return));
        self.money(out, "expected_burden", Some(m.service_burden));
        self.money(out, "expected_net", Some(m.net));
        let interval = lead.interval_around(m.net);
        self.money(out, "net_low", interval.map(|(lo, _)| lo));
        self.money(out, "net_high", interval.map(|(_, hi)| hi));
        self.fixed(out, "return_to_burden", m.ratio(), 2);
        out.extend_from_slice(b",\"tier\":");
        push_str(out, lead.tier.as_str());
        out.extend_from_slice(b",\"recommendation\":");
        push_str(out, lead.recommendation.as_str());

        out.extend_from_slice(b",\"reasons\":[");
        let drivers = lead.drivers::<REASONS>(eq);
        for (i, driver) in drivers.into_iter().flatten().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let (on_return, on_burden, on_net) = match driver {
                Driver::Feature(f) => {
                    out.extend_from_slice(b"{\"feature\":");
                    push_str(out, eq.terms[f].name());
                    let (value, scored_as) = lead.value_and_scored_as(eq, f);
                    out.extend_from_slice(b",\"value\":");
                    push_str(out, &value);
                    if let Some(used) = scored_as {
                        out.extend_from_slice(b",\"scored_as\":");
                        push_str(out, &used);
                    }
                    let side = |role| side(eq, role, |t| lead.contribution(f, t));
                    (
                        side(Role::Return),
                        side(Role::Burden),
                        lead.net_contribution(eq, f),
                    )
                }
                Driver::Floor(t) => {
                    let target = &eq.targets[t];
                    out.extend_from_slice(b"{\"floor\":");
                    push_str(out, target.name);
                    let floor = |u| if u == t { lead.floors[t] } else { 0.0 };
                    (
                        side(eq, Role::Return, floor),
                        side(eq, Role::Burden, floor),
                        target.role.sign() * lead.floors[t],
                    )
                }
            };
            push_effect(out, "effect_on_return", on_return);
            push_effect(out, "effect_on_burden", on_burden);
            push_effect(out, "effect_on_net", on_net);
            out.push(b'}');
        }

        out.extend_from_slice(b"],\"warnings\":[");
        for (i, w) in lead.warnings.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.text.clear();
            let _ = write!(self.text, "{w}");
            push_str(out, &self.text);
        }
        out.push(b']');

        if let Some((c, keys)) = &self.components {
            let cells = c.written_cells(eq, lead, self.decimals, &mut self.exact);
            keys.render(out, &cells, self.decimals);
        }

        if let Some(keys) = &self.breakdown {
            lead.breakdown(eq, self.decimals, &mut self.parts);
            let (baseline, features, floor) = crate::model::scorer::breakdown_parts(&self.parts);
            out.extend_from_slice(b",\"breakdown\":{\"baseline_net\":");
            crate::economics::push_fixed(out, baseline, self.decimals);
            out.extend_from_slice(b",\"contributions\":{");
            for (i, (key, v)) in keys.iter().zip(features).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                crate::economics::push_fixed(out, *v, self.decimals);
            }
            out.extend_from_slice(b"},\"floor_net\":");
            crate::economics::push_fixed(out, floor, self.decimals);
            out.push(b'}');
        }

        if let Some(keys) = &self.input {
            debug_assert_eq!(keys.len(), passthrough.len(), "one field per input column");
            out.extend_from_slice(b",\"input\":{");
            for (i, (key, value)) in keys.iter().zip(passthrough).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                out.push(b':');
                push_str(out, value);
            }
            out.push(b'}');
        }
        out.push(b'}');
    }

    /// `,"name":1234.50`: money with the CSV's digits, or `null` when there is none.
    fn money(&mut self, out: &mut Vec<u8>, name: &str, value: Option<f64>) {
        self.fixed(out, name, value, self.decimals);
    }

    fn fixed(&mut self, out: &mut Vec<u8>, name: &str, value: Option<f64>, decimals: usize) {
        push_key(out, name);
        match value {
            // `write_fixed` writes what the CSV holds, which is a JSON number for every finite
            // value (`-12.50`, `0.00`, never `-0.00`).
            Some(v) if v.is_finite() => {
                write_fixed(&mut self.number, v, decimals);
                out.extend_from_slice(self.number.as_bytes());
            }
            _ => out.extend_from_slice(b"null"),
        }
    }
}

/// The keys of a record's `components`, escaped once: each part's term under its side, each
/// unit column's name.
struct ComponentKeys {
    /// Per part, in the model's order: its side (0 return, 1 burden) and `"term":`.
    money: Vec<(usize, Vec<u8>)>,
    /// Per unit column, in [`column_names`]' order: `"expected_sales_hours":`.
    units: Vec<Vec<u8>>,
}

impl ComponentKeys {
    fn new(c: &Components) -> ComponentKeys {
        let key = |name: &str| {
            let mut key = Vec::new();
            push_str(&mut key, name);
            key.push(b':');
            key
        };
        ComponentKeys {
            money: c.parts.iter().map(|p| (p.target, key(&p.name))).collect(),
            units: column_names(&c.parts)[c.parts.len()..]
                .iter()
                .map(|n| key(n))
                .collect(),
        }
    }

    /// `,"components":{...}` of `cells`, as [`Components::written_cells`] gives them: the parts
    /// in money, then the units.
    fn render(&self, out: &mut Vec<u8>, cells: &[f64], decimals: usize) {
        let (money, units) = cells.split_at(self.money.len());
        out.extend_from_slice(b",\"components\":{");
        for (side, name) in [(0, "return"), (1, "burden")] {
            if side > 0 {
                out.push(b',');
            }
            push_str(out, name);
            out.extend_from_slice(b":{");
            let mine = self
                .money
                .iter()
                .zip(money)
                .filter(|((s, _), _)| *s == side);
            for (i, ((_, key), v)) in mine.enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                crate::economics::push_fixed(out, *v, decimals);
            }
            out.push(b'}');
        }
        out.extend_from_slice(b",\"units\":{");
        for (i, (key, v)) in self.units.iter().zip(units).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            crate::economics::push_fixed(out, *v, decimals.max(2));
        }
        out.extend_from_slice(b"}}");
    }
}

/// The sum over the targets of `role` of `value(t)`, as `explain` adds them.
fn side(eq: &Equation, role: Role, value: impl Fn(usize) -> f64) -> f64 {
    (0..eq.targets.len())
        .filter(|&t| eq.targets[t].role == role)
        .map(value)
        .sum()
}

/// `,"name":` before a field that is not the first.
fn push_key(out: &mut Vec<u8>, name: &str) {
    out.push(b',');
    push_str(out, name);
    out.push(b':');
}

/// An effect in money at full precision: the shortest digits that read back as the same `f64`.
fn push_effect(out: &mut Vec<u8>, name: &str, value: f64) {
    push_key(out, name);
    // Writing to memory cannot fail; serde_json writes a non-finite number as `null`.
    let _ = serde_json::to_writer(&mut *out, &value);
}

/// A JSON string, escaped.
fn push_str(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// JSON Lines: one record per line, each a complete JSON document, so a reader can stream them
/// and a batch of lines can be appended to another.
pub struct JsonLinesWriter<'e, W: Write> {
    out: W,
    records: JsonRecords<'e>,
    buf: Vec<u8>,
}

impl<'e, W: Write> JsonLinesWriter<'e, W> {
    pub fn new(out: W, records: JsonRecords<'e>) -> Self {
        JsonLinesWriter {
            out,
            records,
            buf: Vec::new(),
        }
    }

    /// Writes a record rendered elsewhere ([`JsonRecords::render`]) as the next line.
    pub fn write_rendered(&mut self, record: &[u8]) -> io::Result<()> {
        self.out.write_all(record)?;
        self.out.write_all(b"\n")
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The underlying writer, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> ScoredWriter for JsonLinesWriter<'_, W> {
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()> {
        self.buf.clear();
        self.records.render(&mut self.buf, lead, passthrough);
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)
    }
}

/// One JSON array of records, one record per line: `[` before the first, a comma between two,
/// `]` on [`finish`](JsonArrayWriter::finish). No lead is held after it is written; the
/// document is whole only once finished (no leads: `[]`).
pub struct JsonArrayWriter<'e, W: Write> {
    out: W,
    records: JsonRecords<'e>,
    buf: Vec<u8>,
    written: u64,
}

impl<'e, W: Write> JsonArrayWriter<'e, W> {
    pub fn new(out: W, records: JsonRecords<'e>) -> Self {
        JsonArrayWriter {
            out,
            records,
            buf: Vec::new(),
            written: 0,
        }
    }

    /// Writes a record rendered elsewhere ([`JsonRecords::render`]) as the next element.
    pub fn write_rendered(&mut self, record: &[u8]) -> io::Result<()> {
        let sep = self.separator();
        self.out.write_all(sep)?;
        self.out.write_all(record)
    }

    /// What goes before the next record: the array's opening, or a comma.
    fn separator(&mut self) -> &'static [u8] {
        self.written += 1;
        if self.written == 1 {
            b"[\n"
        } else {
            b",\n"
        }
    }

    /// How many records have been written.
    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Closes the array and returns the underlying writer, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        let end: &[u8] = if self.written == 0 { b"[]\n" } else { b"\n]\n" };
        self.out.write_all(end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> ScoredWriter for JsonArrayWriter<'_, W> {
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()> {
        self.buf.clear();
        let sep = self.separator();
        self.buf.extend_from_slice(sep);
        self.records.render(&mut self.buf, lead, passthrough);
        self.out.write_all(&self.buf)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use super::*;
    use crate::economics::signed_whole;
    use crate::io::table::{decode, CsvInput};
    use crate::model::columns::FeatureColumns;
    use crate::model::scorer::Scorer;
    use crate::model::Model;
    use crate::write::csv::CsvWriter;

    const DECIMALS: usize = 2;
    const VERSION: &str = "v0002";

    /// Leads the shipped lead list does not have: an unseen category with a blank number, numbers
    /// far out of range, a pooled value spelt another way with a blank pooled region, a lead
    /// whose every category is unseen, and ids a JSON writer must escape.
    const ODD_LEADS: &str = "\
\"Zoë \"\"the closer\"\" Ågren \u{6771}\u{4eac}\",Café \"Ünï\",aerospace,north,,8669388,referral,standard,8693.70
\"tab\there\\back\",Big Co,software,north,60000,5000000000,partner,premium,80666
L-mining,\"Mine, Ltd\",MINING,,19,1505818,outbound,basic,1634.43
L-unknown,Nobody,aerospace,mars,,8669388,pigeon,deluxe,8693.70
";

    struct Scored {
        model: Model,
        leads: Vec<ScoredLead>,
        /// The input columns carried along (all but the id) and each lead's fields.
        header: Vec<String>,
        fields: Vec<Vec<String>>,
    }

    impl Scored {
        fn equation(&self) -> Equation {
            Equation::from_model(&self.model).unwrap()
        }
    }

    /// Scores `leads` (a CSV with the id first) with the shipped model, as `score` does.
    fn score(leads: &str) -> Scored {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let model = Model::load(&root.join("models/model.json")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        std::fs::write(&path, leads).unwrap();
        let scorer = Scorer::new(&model).unwrap();
        let mut input = CsvInput::open(&path, Default::default()).unwrap();
        let cols = FeatureColumns::locate(&input, &model.feature_specs(), "").unwrap();
        let header = input.headers()[1..].to_vec();
        let mut record = crate::io::records::Record::new();
        let (mut scored, mut fields) = (Vec::new(), Vec::new());
        while input.read(&mut record).unwrap() {
            let mut lead = ScoredLead::default();
            scorer
                .score(input.source(), &cols, &record, DECIMALS, &mut lead)
                .unwrap();
            lead.id = decode(&record[0]).into_owned();
            scored.push(lead);
            fields.push(
                record
                    .iter()
                    .skip(1)
                    .map(|f| decode(f).into_owned())
                    .collect(),
            );
        }
        drop(scorer);
        Scored {
            model,
            leads: scored,
            header,
            fields,
        }
    }

    /// The shipped lead list with the odd leads after it.
    fn all_leads() -> Scored {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shipped = std::fs::read_to_string(root.join("data/leads.csv")).unwrap();
        score(&(shipped + ODD_LEADS))
    }

    fn odd_leads() -> Scored {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shipped = std::fs::read_to_string(root.join("data/leads.csv")).unwrap();
        let header = shipped.lines().next().unwrap();
        score(&format!("{header}\n{ODD_LEADS}"))
    }

    fn passthrough(fields: &[String]) -> Vec<Cow<'_, str>> {
        fields.iter().map(|f| Cow::Borrowed(f.as_str())).collect()
    }

    /// The leads as JSON Lines, with their input when `input`.
    fn json_lines(s: &Scored, input: bool) -> String {
        let eq = s.equation();
        let mut records = JsonRecords::new(&eq, VERSION, DECIMALS);
        if input {
            records = records.with_input(&s.header);
        }
        let mut w = JsonLinesWriter::new(Vec::new(), records);
        for (lead, fields) in s.leads.iter().zip(&s.fields) {
            let carried = if input {
                passthrough(fields)
            } else {
                Vec::new()
            };
            w.write(lead, &carried).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    /// The leads as one JSON array, with their input.
    fn json_array(s: &Scored) -> String {
        let eq = s.equation();
        let records = JsonRecords::new(&eq, VERSION, DECIMALS).with_input(&s.header);
        let mut w = JsonArrayWriter::new(Vec::new(), records);
        for (lead, fields) in s.leads.iter().zip(&s.fields) {
            w.write(lead, &passthrough(fields)).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    fn parse_lines(text: &str) -> Vec<Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn number(v: &Value) -> f64 {
        v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
    }

    fn cents(v: f64) -> i64 {
        (v * 100.0).round() as i64
    }

    /// `leads` with `parts`, as the CSV writer's records and as JSON Lines.
    fn csv_and_json(
        eq: &Equation,
        leads: &[&ScoredLead],
        parts: crate::write::Parts,
    ) -> (Vec<csv::StringRecord>, String) {
        let mut csv = CsvWriter::new(Vec::new(), eq, DECIMALS)
            .with_components(parts.components)
            .with_breakdown(parts.breakdown);
        let mut records = JsonRecords::new(eq, VERSION, DECIMALS)
            .with_components(parts.components)
            .with_breakdown(parts.breakdown);
        let mut text = Vec::new();
        for lead in leads {
            csv.write(lead, &[]).unwrap();
            records.render(&mut text, lead, &[]);
            text.push(b'\n');
        }
        let rows = records_of(&csv.into_inner().unwrap());
        (rows, String::from_utf8(text).unwrap())
    }

    /// The records of a CSV `CsvWriter` wrote, header and all, as the csv crate reads them.
    fn records_of(csv: &[u8]) -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv)
            .records()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn money_adds_up_and_reasons_are_the_contributions() {
        let s = all_leads();
        let eq = s.equation();
        let text = json_lines(&s, false);
        let records = parse_lines(&text);
        assert_eq!(records.len(), s.leads.len());
        let mut reasons_seen = 0;
        for ((lead, rec), line) in s.leads.iter().zip(&records).zip(text.lines()) {
            // The equation: baseline + every contribution + the floor = the prediction, per
            // target, exactly (summed in the equation's order, as the scorer sums it).
            for (t, target) in eq.targets.iter().enumerate() {
                let mut v = target.baseline;
                for f in 0..eq.terms.len() {
                    v += lead.contribution(f, t);
                }
                assert_eq!(
                    v + lead.floors[t],
                    lead.targets[t],
                    "{} {}",
                    lead.id,
                    target.name
                );
            }
            // The written money is the money as printed, and adds up to the cent.
            let (r, b, n) = (
                number(&rec["expected_return"]),
                number(&rec["expected_burden"]),
                number(&rec["expected_net"]),
            );
            assert_eq!(
                (r, b, n),
                (
                    lead.money.lifetime_return,
                    lead.money.service_burden,
                    lead.money.net
                )
            );
            assert_eq!(cents(r) - cents(b), cents(n), "{}", lead.id);
            assert_eq!(rec["model_version"], VERSION);
            assert!(rec.get("input").is_none());
            // The reasons are the drivers, and their effects the contributions.
            let drivers: Vec<Driver> = lead.drivers::<REASONS>(&eq).into_iter().flatten().collect();
            let reasons = rec["reasons"].as_array().unwrap();
            assert_eq!(reasons.len(), drivers.len(), "{}", lead.id);
            let on_return = raw(line, "effect_on_return");
            let on_burden = raw(line, "effect_on_burden");
            let on_net = raw(line, "effect_on_net");
            for (i, (reason, driver)) in reasons.iter().zip(drivers).enumerate() {
                reasons_seen += 1;
                let effects = (on_return[i], on_burden[i], on_net[i]);
                match driver {
                    Driver::Feature(f) => {
                        assert_eq!(reason["feature"], eq.terms[f].name());
                        assert_eq!(
                            effects,
                            (
                                lead.contribution(f, 0),
                                lead.contribution(f, 1),
                                lead.net_contribution(&eq, f)
                            )
                        );
                        let (value, scored_as) = lead.value_and_scored_as(&eq, f);
                        assert_eq!(reason["value"], value.as_str());
                        assert_eq!(
                            reason.get("scored_as").and_then(Value::as_str),
                            scored_as.as_deref()
                        );
                    }
                    Driver::Floor(t) => {
                        assert_eq!(reason["floor"], eq.targets[t].name);
                        assert_eq!(effects.2, eq.targets[t].role.sign() * lead.floors[t]);
                    }
                }
            }
        }
        assert!(reasons_seen > 2000, "{reasons_seen} reasons");
    }

    #[test]
    fn numbers_read_back_as_the_csv_writes_them_in_the_same_order() {
        let s = all_leads();
        let eq = s.equation();
        let mut csv = CsvWriter::new(Vec::new(), &eq, DECIMALS);
        for (lead, fields) in s.leads.iter().zip(&s.fields) {
            csv.write(lead, &passthrough(fields)).unwrap();
        }
        let rows = records_of(&csv.into_inner().unwrap());
        let array: Value = serde_json::from_str(&json_array(&s)).unwrap();
        let records = array.as_array().unwrap();
        let text = json_lines(&s, true);
        let lines = parse_lines(&text);
        assert_eq!(records, &lines, "the array holds the lines' records");
        assert_eq!(records.len(), rows.len());
        let n = crate::write::SCORE_COLUMNS.len();
        for ((row, rec), line) in rows.iter().zip(records).zip(text.lines()) {
            assert_eq!(rec["lead_id"], row[0]);
            for (i, column) in crate::write::SCORE_COLUMNS[..6].iter().enumerate() {
                let field = &row[i + 1];
                if field.is_empty() {
                    assert!(rec[column].is_null(), "{column} of {}", &row[0]);
                } else {
                    // The same digits, so exactly the same number.
                    assert_eq!(
                        number(&rec[column]),
                        field.parse::<f64>().unwrap(),
                        "{column}"
                    );
                    assert!(line.contains(&format!("\"{column}\":{field},")), "{line}");
                }
            }
            assert_eq!(rec["tier"], row[7]);
            assert_eq!(rec["recommendation"], row[8]);
            // The CSV's reasons name the same drivers with the same effects, rounded.
            let reasons: Vec<&str> = row[9].split("; ").filter(|r| !r.is_empty()).collect();
            let objects = rec["reasons"].as_array().unwrap();
            assert_eq!(reasons.len(), objects.len());
            for (text, obj) in reasons.iter().zip(objects) {
                let name = match obj.get("feature") {
                    Some(f) => format!("{}=", f.as_str().unwrap()),
                    None => {
                        let t = eq.targets.iter().find(|t| obj["floor"] == t.name).unwrap();
                        format!("{} floored at 0", t.short)
                    }
                };
                assert!(text.starts_with(&name), "{text} vs {obj}");
                let whole = signed_whole(number(&obj["effect_on_net"]));
                assert!(text.ends_with(&format!(" {whole}")), "{text} vs {obj}");
            }
            let warnings: Vec<&str> = rec["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect();
            assert_eq!(warnings.join("; "), row[10]);
            let input = rec["input"].as_object().unwrap();
            assert_eq!(input.len(), s.header.len());
            for (i, name) in s.header.iter().enumerate() {
                assert_eq!(input[name], row[n + 1 + i], "{name}");
            }
        }
    }

    #[test]
    fn reasons_say_what_the_model_scored_a_value_as() {
        let s = odd_leads();
        let text = json_lines(&s, false);
        let records = parse_lines(&text);
        let reason = |lead: usize, feature: &str| -> Value {
            records[lead]["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["feature"] == feature)
                .unwrap_or_else(|| panic!("no reason {feature} in {}", records[lead]))
                .clone()
        };
        let shown = |r: &Value| (r["value"].clone(), r.get("scored_as").cloned());
        // A number out of range: as read, and the clamped value used.
        assert_eq!(
            shown(&reason(1, "employees")),
            ("60,000".into(), Some("704.15".into()))
        );
        // Another spelling of a pooled value, and a blank where blanks were pooled.
        assert_eq!(
            shown(&reason(2, "industry")),
            ("MINING".into(), Some("(other)".into()))
        );
        assert_eq!(
            shown(&reason(2, "region")),
            ("(missing)".into(), Some("(other)".into()))
        );
        // Every category unseen (each scored as the average: no effect, so no reason) and a
        // blank number, imputed with the training median.
        assert_eq!(
            shown(&reason(3, "employees")),
            ("(missing)".into(), Some("35".into()))
        );
        assert_eq!(records[3]["reasons"].as_array().unwrap().len(), 3);
        let warnings = records[3]["warnings"].as_array().unwrap();
        assert!(warnings.contains(&Value::from(
            "industry \"aerospace\" not seen in training, scored as the average"
        )));
        // A value the model read as given has no `scored_as`.
        assert_eq!(shown(&reason(0, "lead_source")), ("referral".into(), None));
        // Ids keep their quotes, non-ASCII letters, tabs and backslashes, escaped as JSON.
        assert_eq!(records[0]["lead_id"], "Zoë \"the closer\" Ågren 東京");
        assert_eq!(records[1]["lead_id"], "tab\there\\back");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "one line per lead");
        assert!(lines[0].starts_with(r#"{"lead_id":"Zoë \"the closer\" Ågren 東京","#));
        assert!(lines[1].starts_with(r#"{"lead_id":"tab\there\\back","#));
    }

    #[test]
    fn no_leads_make_an_empty_array_and_no_lines() {
        let s = odd_leads();
        let eq = s.equation();
        let array = JsonArrayWriter::new(Vec::new(), JsonRecords::new(&eq, VERSION, DECIMALS));
        let text = String::from_utf8(array.finish().unwrap()).unwrap();
        assert_eq!(text, "[]\n");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            Value::Array(Vec::new())
        );
        let lines = JsonLinesWriter::new(Vec::new(), JsonRecords::new(&eq, VERSION, DECIMALS));
        assert!(lines.finish().unwrap().is_empty());
    }

    /// A writer that keeps what reached it by each call, to see what was written when.
    #[derive(Default)]
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_array_is_written_lead_by_lead() {
        let s = odd_leads();
        let eq = s.equation();
        let mut w =
            JsonArrayWriter::new(Calls::default(), JsonRecords::new(&eq, VERSION, DECIMALS));
        let mut one = JsonRecords::new(&eq, VERSION, DECIMALS);
        for (i, lead) in s.leads.iter().enumerate() {
            w.write(lead, &[]).unwrap();
            // Each lead is out in one call as soon as it is written: nothing is held back.
            let calls = &w.get_ref().0;
            assert_eq!(calls.len(), i + 1);
            let mut record = Vec::new();
            one.render(&mut record, lead, &[]);
            let opening: &[u8] = if i == 0 { b"[\n" } else { b",\n" };
            assert_eq!(calls[i], [opening, &record].concat());
        }
        assert_eq!(w.written(), 4);
        let calls = w.finish().unwrap().0;
        assert_eq!(calls.last().unwrap(), b"\n]\n");
        let text = String::from_utf8(calls.concat()).unwrap();
        assert_eq!(
            text.lines().count(),
            4 + 2,
            "one record per line between the brackets"
        );

        // Records rendered elsewhere (by score workers) make the same document.
        let mut rendered =
            JsonArrayWriter::new(Vec::new(), JsonRecords::new(&eq, VERSION, DECIMALS));
        let mut lines = JsonLinesWriter::new(Vec::new(), JsonRecords::new(&eq, VERSION, DECIMALS));
        for lead in &s.leads {
            let mut record = Vec::new();
            one.render(&mut record, lead, &[]);
            rendered.write_rendered(&record).unwrap();
            lines.write_rendered(&record).unwrap();
        }
        assert_eq!(String::from_utf8(rendered.finish().unwrap()).unwrap(), text);
        let lines = String::from_utf8(lines.finish().unwrap()).unwrap();
        assert_eq!(lines, json_lines(&s, false));
    }

    /// The odd leads' second lead with a burden floored at zero as its biggest driver, the
    /// money still adding up.
    fn floored() -> (Scored, ScoredLead) {
        let s = odd_leads();
        let eq = s.equation();
        let mut lead = s.leads[1].clone();
        let t = eq
            .targets
            .iter()
            .position(|t| t.role == Role::Burden)
            .unwrap();
        lead.floors[t] = 30_000.0;
        lead.targets[t] += 30_000.0;
        lead.money = crate::economics::Printed::new(
            lead.total(&eq, Role::Return),
            lead.total(&eq, Role::Burden),
            DECIMALS,
        );
        (s, lead)
    }

    #[test]
    fn a_floor_that_drives_the_net_value_is_a_reason() {
        let (s, lead) = floored();
        let eq = s.equation();
        let mut out = Vec::new();
        JsonRecords::new(&eq, VERSION, DECIMALS).render(&mut out, &lead, &[]);
        let rec: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            rec["reasons"][0],
            serde_json::json!({
                "floor": "service_burden",
                "effect_on_return": 0.0,
                "effect_on_burden": 30000.0,
                "effect_on_net": -30000.0,
            })
        );
        let mut csv = String::new();
        crate::write::push_reasons(&eq, &lead, &mut csv);
        assert!(
            csv.starts_with("burden floored at 0 -30,000; employees="),
            "{csv}"
        );
    }

    /// The text of every number after `"key":` in a record, read with Rust's own parser, which
    /// rounds correctly: serde_json's default one may miss a long number by its last bit.
    fn raw(line: &str, key: &str) -> Vec<f64> {
        let key = format!("\"{key}\":");
        line.match_indices(&key)
            .map(|(at, _)| {
                let rest = &line[at + key.len()..];
                let end = rest.find([',', '}']).unwrap();
                rest[..end].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn records_match_the_shipped_schema() {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        let schema: Value = serde_json::from_str(RECORD_SCHEMA).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        compiler
            .add_resource("scored-lead.schema.json", schema)
            .unwrap();
        // Compiling checks the schema against the draft's own meta-schema.
        let index = compiler
            .compile("scored-lead.schema.json", &mut schemas)
            .unwrap();
        let valid = |rec: &Value| schemas.validate(rec, index).map_err(|e| format!("{e:#}"));

        let s = all_leads();
        let array: Value = serde_json::from_str(&json_array(&s)).unwrap();
        for rec in array.as_array().unwrap() {
            valid(rec).unwrap();
        }
        for rec in parse_lines(&json_lines(&s, false)) {
            valid(&rec).unwrap();
        }
        // With the breakdown (`export --breakdown`), and the input after it.
        let eq = s.equation();
        let mut records = JsonRecords::new(&eq, VERSION, DECIMALS)
            .with_input(&s.header)
            .with_breakdown(true);
        for (lead, fields) in s.leads.iter().zip(&s.fields) {
            let mut out = Vec::new();
            records.render(&mut out, lead, &passthrough(fields));
            valid(&serde_json::from_slice(&out).unwrap()).unwrap();
        }
        drop(records);
        let (s, lead) = floored();
        let eq = s.equation();
        let mut out = Vec::new();
        JsonRecords::new(&eq, VERSION, DECIMALS).render(&mut out, &lead, &[]);
        let floored: Value = serde_json::from_slice(&out).unwrap();
        valid(&floored).unwrap();
        out.clear();
        JsonRecords::new(&eq, VERSION, DECIMALS)
            .with_breakdown(true)
            .render(&mut out, &lead, &[]);
        let broken_down: Value = serde_json::from_slice(&out).unwrap();
        valid(&broken_down).unwrap();
        // With components (`export --components`), before the breakdown.
        let components = Components::from_model(&s.model).unwrap();
        out.clear();
        JsonRecords::new(&eq, VERSION, DECIMALS)
            .with_components(Some(&components))
            .with_breakdown(true)
            .render(&mut out, &lead, &[]);
        let with_components: Value = serde_json::from_slice(&out).unwrap();
        valid(&with_components).unwrap();

        // And the schema does refuse what is not a record.
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut rec = floored.clone();
            edit(&mut rec);
            assert!(valid(&rec).is_err(), "accepted {rec}");
        };
        broken(&|r| r["tier"] = "E".into());
        broken(&|r| r["expected_net"] = "4520.23".into());
        broken(&|r| {
            r.as_object_mut().unwrap().remove("model_version");
        });
        broken(&|r| r["reasons"][0]["feature"] = "employees".into());
        broken(&|r| {
            r["reasons"][1]
                .as_object_mut()
                .unwrap()
                .remove("effect_on_net");
        });
        broken(&|r| r["reasons"][1]["scored_as"] = Value::Null);
        broken(&|r| r["input"] = serde_json::json!({ "employees": 12 }));
        broken(&|r| r["extra"] = true.into());
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut rec = broken_down.clone();
            edit(&mut rec);
            assert!(valid(&rec).is_err(), "accepted {rec}");
        };
        broken(&|r| {
            r["breakdown"].as_object_mut().unwrap().remove("floor_net");
        });
        broken(&|r| {
            r["breakdown"]
                .as_object_mut()
                .unwrap()
                .remove("contributions");
        });
        broken(&|r| r["breakdown"]["baseline_net"] = "2875.00".into());
        broken(&|r| r["breakdown"]["contributions"]["employees"] = Value::Null);
        broken(&|r| r["breakdown"]["reasons"] = serde_json::json!([]));
        broken(&|r| r["breakdown"] = serde_json::json!([1.0, 2.0]));
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut rec = with_components.clone();
            edit(&mut rec);
            assert!(valid(&rec).is_err(), "accepted {rec}");
        };
        broken(&|r| {
            r["components"].as_object_mut().unwrap().remove("units");
        });
        broken(&|r| r["components"]["burden"]["support"] = "13288.97".into());
        broken(&|r| r["components"]["units"]["expected_sales_hours"] = Value::Null);
        broken(&|r| r["components"]["net"] = serde_json::json!({}));
    }

    #[test]
    fn the_components_are_score_components_columns_with_their_digits_and_add_up() {
        let s = all_leads();
        let eq = s.equation();
        let components = Components::from_model(&s.model).unwrap();
        let (_, floored) = floored();
        let leads: Vec<&ScoredLead> = s.leads.iter().chain([&floored]).collect();
        let parts = crate::write::Parts {
            components: Some(&components),
            breakdown: false,
        };
        let (rows, text) = csv_and_json(&eq, &leads, parts);
        let names = column_names(&components.parts);
        let k = components.parts.len();
        let first = crate::write::SCORE_COLUMNS.len() + 1;
        for (row, line) in rows.iter().zip(text.lines()) {
            // The record's text is the CSV's columns, digit for digit: money by term per side,
            // units by the CSV's column name.
            let cells: Vec<&str> = row.iter().skip(first).collect();
            assert_eq!(cells.len(), names.len());
            let side = |t: usize| -> String {
                components
                    .parts
                    .iter()
                    .zip(&cells)
                    .filter(|(p, _)| p.target == t)
                    .map(|(p, v)| format!("\"{}\":{v}", p.name))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let units: Vec<String> = names[k..]
                .iter()
                .zip(&cells[k..])
                .map(|(n, v)| format!("\"{n}\":{v}"))
                .collect();
            let want = format!(
                ",\"components\":{{\"return\":{{{}}},\"burden\":{{{}}},\"units\":{{{}}}}}}}",
                side(0),
                side(1),
                units.join(",")
            );
            assert!(line.ends_with(&want), "{line}\nwant the end {want}");
            // Read as numbers, each side adds up to its written figure to the cent.
            let rec: Value = serde_json::from_str(line).unwrap();
            for (name, figure) in [("return", "expected_return"), ("burden", "expected_burden")] {
                let sum: i64 = rec["components"][name]
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|v| cents(number(v)))
                    .sum();
                assert_eq!(sum, cents(number(&rec[figure])), "{name}: {line}");
            }
        }
        assert_eq!(rows.len(), leads.len());
    }

    #[test]
    fn the_breakdown_is_score_breakdowns_columns_with_their_digits_and_adds_up() {
        let s = all_leads();
        let eq = s.equation();
        // Scored by the same shipped model.
        let (_, floored) = floored();
        let leads: Vec<&ScoredLead> = s.leads.iter().chain([&floored]).collect();
        let parts = crate::write::Parts {
            components: None,
            breakdown: true,
        };
        let (rows, text) = csv_and_json(&eq, &leads, parts);
        let names = crate::model::scorer::breakdown_columns(&eq);
        let first = crate::write::SCORE_COLUMNS.len() + 1;
        let mut floors = 0;
        for (row, line) in rows.iter().zip(text.lines()) {
            // The record's text is the CSV's columns, digit for digit, features in the
            // model's order.
            let parts: Vec<&str> = row.iter().skip(first).collect();
            assert_eq!(parts.len(), names.len());
            let contributions: Vec<String> = eq
                .terms
                .iter()
                .zip(&parts[1..parts.len() - 1])
                .map(|(t, v)| format!("\"{}\":{v}", t.name()))
                .collect();
            let want = format!(
                ",\"breakdown\":{{\"baseline_net\":{},\"contributions\":{{{}}},\"floor_net\":{}}}}}",
                parts[0],
                contributions.join(","),
                parts[parts.len() - 1]
            );
            assert!(line.ends_with(&want), "{line}\nwant the end {want}");
            // Read as numbers, the parts add up to the written net value to the cent.
            let rec: Value = serde_json::from_str(line).unwrap();
            let b = &rec["breakdown"];
            let sum: i64 = [&b["baseline_net"], &b["floor_net"]]
                .into_iter()
                .chain(b["contributions"].as_object().unwrap().values())
                .map(|v| cents(number(v)))
                .sum();
            assert_eq!(sum, cents(number(&rec["expected_net"])), "{line}");
            floors += usize::from(number(&b["floor_net"]) != 0.0);
        }
        assert_eq!(rows.len(), leads.len());
        // The floored lead's floor is a part of its own: 30,000 off its net value.
        assert_eq!(floors, 1);
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["breakdown"]["floor_net"], -30000.0);
    }
}
