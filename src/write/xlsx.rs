//! Scored leads as an Excel workbook for sales managers: a **Leads** sheet (one row per lead, the
//! same columns and figures as the CSV, numbers as numbers in the model's currency, tier colours,
//! frozen header, autofilter), a **Summary** sheet (count and money per tier and per
//! recommendation, and what calling only the `contact` leads is worth; headed by the export's
//! scope, [`XlsxWriter::with_scope`], when it holds only some of the leads) and a **Model** sheet
//! (which model scored them and how well it did in cross-validation). With the breakdown
//! (`export --breakdown`), the Leads sheet has `score --breakdown`'s columns in its place, after
//! the warnings: each lead's net value as the baseline, every feature's part and the floors',
//! money like the other money, adding up to the net value to the cent. With components
//! (`export --components`), `score --components`' columns come first, in the same place: each
//! economics term's share of return and burden as money, adding up to them to the cent, then
//! in its column's units (hours, complaints), grouped numbers to at least 2 decimals.
//!
//! Numbers: our figures are numbers, and so is a carried input value (`employees`,
//! `first_order_value`) when writing it as one loses nothing, by the rule of [`carried_number`]:
//! it is exactly how Rust writes the number it parses to (`527`, `18560.01`, `-3.5`), finite,
//! not `-0`, and of at most 15 significant digits (all Excel keeps). Anything else stays the
//! text it was (`00123`, `+49 30 1234`, `1e5`, `1,000`, `12.50`, `.5`, a 16-digit id), since a
//! number would show it otherwise. So Excel sorts and sums numeric columns without its "number
//! stored as text" flag, and a zip code keeps its leading zero; a column whose values are
//! written with trailing zeros (`400.00`) keeps those values as text. From a lead list with a
//! decimal comma (not comma-separated), `6951,94` is read as `6951.94` by the same rule
//! ([`XlsxWriter::with_decimal_comma`]).
//!
//! Memory: the Leads sheet is a rust_xlsxwriter "constant memory" worksheet. Each row is flushed
//! to a temporary file as soon as the next one starts and strings are stored inline, so writing
//! 100k leads holds one row, not 1.1M cells. What that mode takes away (going back to a written
//! row, `autofit`) we do not need: leads arrive in order, and column widths are measured here as
//! rows go by and set at the end, which the mode allows because widths, the frozen pane and the
//! autofilter are sheet settings written when the workbook is saved. Summary and Model are a few
//! dozen cells and use the ordinary mode. The row file lives in the system's temporary directory
//! (rust_xlsxwriter's default; `Workbook::set_tempdir` could move it where `/tmp` is in memory).
//! Measured on 100k generated leads (release build, 2 cores): scoring and writing took 2.3-2.9 s
//! against 0.25 s for CSV, at 6 MB peak resident memory; about half is deflating the sheet and a
//! tenth is rust_xlsxwriter hashing each cell's `Format`.
//!
//! Safety: every text cell is written as a string, never a formula (rust_xlsxwriter writes a
//! formula only through `write_formula`), and text that could read as a formula by the rule in
//! [`crate::write::formula`] (starting with `=`, `+`, `-`, `@`, tab or a line break, unless a
//! plain signed number) also gets Excel's quote prefix, so that editing the cell in Excel keeps
//! it text instead of turning a lead id like `=HYPERLINK(…)` into a live link (OWASP "CSV
//! injection"). The prefix is a cell style, not a character, so the text reads back unchanged.
//! Numbers, negative ones included, stay numbers. rust_xlsxwriter escapes what OOXML would
//! otherwise decode (control characters, a literal `_x0041_`), so every text reads back as given.
//!
//! Text longer than an Excel cell holds (32,767 UTF-16 code units, as Excel counts characters)
//! is an input problem, not a failure to write: [`ScoredWriter::write`] refuses the lead with an
//! [`io::ErrorKind::InvalidData`] error naming the lead, its line and the column, before any of
//! its cells is written.
//!
//! The workbook is saved to a temporary file beside the target and renamed into place
//! ([`crate::io::output`]), so a half-written workbook never appears under the target's name.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    ColNum, Color, Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};

use crate::economics::{Decisions, Printed, Recommendation, Tier};
use crate::error::{Error, Result};
use crate::io::table::shown;
use crate::model::equation::Equation;
use crate::model::registry::Located;
use crate::model::scorer::ScoredLead;
use crate::model::Model;
use crate::write::formula::is_formula;
use crate::write::totals::Accumulator;
pub use crate::write::totals::{Tally, Totals};
use crate::write::{header_with, push_reasons, push_warnings, Parts, ScoredWriter};

/// The most leads one Excel sheet holds: 1,048,576 rows less the header.
pub const MAX_LEADS: u32 = 1_048_575;

/// The most characters an Excel cell holds, counted as Excel does (UTF-16 code units).
pub const MAX_CELL_TEXT: usize = 32_767;

/// The most significant digits Excel keeps of a number: a longer one would change when stored.
const EXCEL_DIGITS: usize = 15;

/// The sheets, in the order a manager finds them.
pub const LEADS_SHEET: &str = "Leads";
pub const SUMMARY_SHEET: &str = "Summary";
pub const MODEL_SHEET: &str = "Model";

/// Which model scored the leads, as the Model sheet shows it. The caller fills it, usually
/// through [`ModelInfo::new`] from what `model::registry::load` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// The registry version, `v0002`; `None` for a model file outside a registry.
    pub version: Option<String>,
    /// The model file that scored the leads.
    pub file: String,
    /// When it was trained (RFC 3339).
    pub trained_at: String,
    /// The history it learnt from, as named when training.
    pub trained_on: String,
    /// How many past customers it learnt from.
    pub customers: usize,
    /// The currency of every amount (`EUR`).
    pub currency: String,
    /// Cross-validated mean absolute error of the net value, in money.
    pub net_mae: f64,
    /// Cross-validated R² of the net value; `None` when it could not be measured.
    pub net_r2: Option<f64>,
    /// The thresholds that decided tiers and recommendations.
    pub decisions: Decisions,
}

impl ModelInfo {
    pub fn new(model: &Model, located: &Located) -> ModelInfo {
        ModelInfo {
            version: located.version.clone(),
            file: located.file.display().to_string(),
            trained_at: model.created_at.clone(),
            trained_on: model.training.file.clone(),
            customers: model.training.rows_used,
            currency: model.currency.clone(),
            net_mae: model.validation.net_value.mae,
            net_r2: model.validation.net_value.r2,
            decisions: model.decisions,
        }
    }
}

/// The columns of the Leads sheet, by index.
const ID: ColNum = 0;
const RETURN: ColNum = 1;
const RATIO: ColNum = 6;
const TIER: ColNum = 7;
const RECOMMENDATION: ColNum = 8;
const REASONS: ColNum = 9;
const WARNINGS: ColNum = 10;
/// With components or the breakdown, their first column; else the first input column carried
/// along ([`XlsxWriter::passthrough`]).
const PARTS: ColNum = 11;
/// The money columns of every lead, from [`RETURN`] on: return, burden, net, and the interval.
const FIGURES: usize = 5;

/// Column widths, in characters of Excel's default font: narrow enough to see several columns at
/// once, wide enough for a figure or a name. Reasons and warnings may be wider, and wrap beyond.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 40;
const MAX_TEXT_WIDTH: usize = 90;
/// The height of one line of text in points (Excel's default row), and the most lines a row
/// grows to for its reasons or warnings (the rest is read in the cell).
const LINE_HEIGHT: f64 = 15.0;
const MAX_LINES: usize = 8;
/// The Summary sheet's columns: labels, then four figures; the scope spans all five.
const SUMMARY_LABEL_WIDTH: usize = 26;
const SUMMARY_FIGURE_WIDTH: usize = 20;
const SUMMARY_CHARS: usize = SUMMARY_LABEL_WIDTH + 4 * SUMMARY_FIGURE_WIDTH;
/// What a header needs beyond its text: the autofilter's drop-down arrow.
const FILTER_ARROW: usize = 3;

/// The formats of every cell kind, made once.
struct Formats {
    header: Format,
    money: Format,
    /// A component in its column's units: grouped, to at least 2 decimals, no currency.
    units: Format,
    ratio: Format,
    count: Format,
    r2: Format,
    tiers: [Format; 4],
    /// Text that would read as a formula: a quote prefix keeps it text even when edited.
    quoted: Format,
    wrap: Format,
    wrap_quoted: Format,
    bold: Format,
    bold_money: Format,
    bold_count: Format,
}

impl Formats {
    fn new(currency: &str, decimals: usize) -> Formats {
        let money = money_format(currency, decimals);
        // Excel's own palette for good, neutral and bad: A and B green, C amber, D red.
        let tier = |fill: u32, font: u32| {
            Format::new()
                .set_background_color(Color::RGB(fill))
                .set_font_color(Color::RGB(font))
                .set_align(FormatAlign::Center)
        };
        let wrap = Format::new().set_text_wrap();
        Formats {
            header: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin)
                .set_background_color(Color::RGB(0xD9E1F2)),
            money: Format::new().set_num_format(&money),
            units: Format::new().set_num_format(units_format(decimals.max(2))),
            ratio: Format::new().set_num_format("0.00"),
            count: Format::new().set_num_format("#,##0"),
            r2: Format::new().set_num_format("0.000"),
            tiers: [
                tier(0xC6EFCE, 0x006100),
                tier(0xE2EFDA, 0x375623),
                tier(0xFFEB9C, 0x9C5700),
                tier(0xFFC7CE, 0x9C0006),
            ],
            quoted: Format::new().set_quote_prefix(),
            wrap_quoted: wrap.clone().set_quote_prefix(),
            wrap,
            bold: Format::new().set_bold(),
            bold_money: Format::new().set_bold().set_num_format(&money),
            bold_count: Format::new().set_bold().set_num_format("#,##0"),
        }
    }
}

/// `#,##0.00 "EUR";[Red]-#,##0.00 "EUR"`: grouped, the output's decimals, the currency code after
/// the amount (a code is unambiguous where a symbol is not: `$` is several currencies), losses in
/// red. A `"` in the code would end the quoted literal, so it is dropped.
fn money_format(currency: &str, decimals: usize) -> String {
    let number = grouped(decimals);
    let code: String = currency.chars().filter(|&c| c != '"').collect();
    format!("{number} \"{code}\";[Red]-{number} \"{code}\"")
}

/// `#,##0.00;[Red]-#,##0.00`: [`money_format`] without a currency, for hours and counts.
fn units_format(decimals: usize) -> String {
    let number = grouped(decimals);
    format!("{number};[Red]-{number}")
}

/// `#,##0.00`: grouped thousands, `decimals` places.
fn grouped(decimals: usize) -> String {
    let mut number = String::from("#,##0");
    if decimals > 0 {
        number.push('.');
        number.extend(std::iter::repeat_n('0', decimals));
    }
    number
}

/// Writes a text cell: nothing for empty text, a string (never a formula) otherwise, with the
/// quote prefix when it looks like a formula.
fn put_text(
    ws: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    text: &str,
    plain: Option<&Format>,
    quoted: &Format,
) -> std::result::Result<(), XlsxError> {
    if text.is_empty() {
        return Ok(());
    }
    match (is_formula(text), plain) {
        (true, _) => ws.write_string_with_format(row, col, text, quoted)?,
        (false, Some(f)) => ws.write_string_with_format(row, col, text, f)?,
        (false, None) => ws.write_string(row, col, text)?,
    };
    Ok(())
}

/// `-0.0` as `0.0`: a rounded loss of less than a cent is no loss.
fn positive_zero(v: f64) -> f64 {
    v + 0.0
}

/// The number a carried input value is written as, when writing it as a number loses nothing:
/// `text` parses as a finite `f64` that is not `-0`, the shortest text that reads back as that
/// number (Rust's `{}`, which never uses an exponent) is exactly `text`, and it has at most 15
/// significant digits, all Excel keeps (leading zeros are not counted; an integer's trailing
/// zeros are). So `527`, `18560.01`, `-3.5` and `0.05` are numbers, and `00123`, `+49 30 1234`,
/// `1e5`, `1,000`, `12.50`, `.5`, ` 7`, `NaN` and `1234567890123456` stay text: a number would
/// show them otherwise. `shown` is a buffer, to spare an allocation per cell.
pub fn carried_number(text: &str, shown: &mut String) -> Option<f64> {
    use std::fmt::Write as _;
    // Most text fails here, before parsing.
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-') {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    if !v.is_finite() || (v == 0.0 && v.is_sign_negative()) {
        return None;
    }
    shown.clear();
    let _ = write!(shown, "{v}");
    let digits = shown
        .bytes()
        .skip_while(|b| matches!(b, b'-' | b'0' | b'.'))
        .filter(u8::is_ascii_digit)
        .count();
    (*shown == text && digits <= EXCEL_DIGITS).then_some(v)
}

/// Writes scored leads into an Excel workbook, one lead at a time in the order given, and puts
/// it in place with [`XlsxWriter::finish`]. Dropping it unfinished leaves nothing behind.
pub struct XlsxWriter<'e> {
    workbook: Workbook,
    temp: tempfile::NamedTempFile,
    path: PathBuf,
    equation: &'e Equation,
    decimals: usize,
    model: ModelInfo,
    formats: Formats,
    /// The widest content seen in each column, in characters (capped at its bound).
    widths: Vec<usize>,
    /// The largest magnitude in each number column, and whether any was negative: the
    /// [`FIGURES`] from [`RETURN`] on, then the parts' from [`PARTS`] on.
    extremes: Vec<(f64, bool)>,
    /// What each lead shows in the columns from [`PARTS`] on: its components (`export
    /// --components`), then its net value broken down (`export --breakdown`).
    parts: Parts<'e>,
    /// Of the parts' columns, those in units rather than money (the components' units).
    units: std::ops::Range<usize>,
    /// The components at full precision and the breakdown as written, reused from lead to lead.
    exact: Vec<f64>,
    breakdown: Vec<f64>,
    /// The first input column carried along: after the parts', when there are any.
    passthrough: ColNum,
    /// Leads written so far; lead `n` is on row `n + 1`.
    leads: u32,
    sums: Accumulator,
    /// The Leads sheet's header, to name a column in an error.
    names: Vec<String>,
    /// Which leads the workbook holds, when not every lead scored: see [`XlsxWriter::with_scope`].
    scope: Option<String>,
    /// The lead list writes numbers with a decimal comma (it is not comma-separated): a carried
    /// `6951,94` is the number 6951.94 there. See [`XlsxWriter::with_decimal_comma`].
    decimal_comma: bool,
    reasons: String,
    warnings: String,
    /// A carried number as written back, for [`carried_number`].
    shown: String,
}

impl<'e> XlsxWriter<'e> {
    /// Starts a workbook that will be written to `path`: its temporary file is made beside
    /// `path` now, so a missing directory is reported before any lead is scored. `decimals` is
    /// the precision the leads were scored with; `id` is the id column's name and `passthrough`
    /// the names of the input columns carried along, as [`ScoredWriter::write`] will get them.
    /// `parts`: each lead's components (`export --components`) and net value broken down
    /// (`export --breakdown`) after the warnings, in the columns and with the figures of
    /// `score --components --breakdown`, money like the other money.
    pub fn create(
        path: &Path,
        equation: &'e Equation,
        decimals: usize,
        model: ModelInfo,
        id: &str,
        passthrough: &[&str],
        parts: Parts<'e>,
    ) -> Result<XlsxWriter<'e>> {
        let temp = crate::io::output::temp_beside_with_suffix(path, ".xlsx")?;
        let columns = parts.columns(equation);
        let units = parts.components.map_or(0..0, |c| {
            c.parts.len()..crate::model::components::column_names(&c.parts).len()
        });
        let names = header_with(id, &columns, passthrough);
        if names.len() > 16_384 {
            return Err(Error::file(
                path.display(),
                format!(
                    "an Excel sheet holds at most 16,384 columns; the leads would need {}",
                    names.len()
                ),
            ));
        }
        let formats = Formats::new(&model.currency, decimals);
        let mut workbook = Workbook::new();
        // A workbook records when it was made; under `SOURCE_DATE_EPOCH` that is the fixed
        // time, so two runs on the same leads write the same bytes, as every other output does.
        // (Out of range it keeps the clock: the setting was checked before the run.)
        if let Some(created) = crate::io::date::source_date_epoch()
            .ok()
            .flatten()
            .and_then(|s| rust_xlsxwriter::ExcelDateTime::from_timestamp(s as i64).ok())
        {
            workbook.set_properties(
                &rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created),
            );
        }
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .and_then(|ws| ws.set_name(LEADS_SHEET))
            .map_err(|e| xlsx_error(path, e))?;
        let mut widths = Vec::with_capacity(names.len());
        for (col, name) in names.iter().enumerate() {
            put_text(
                sheet,
                0,
                col as ColNum,
                name,
                Some(&formats.header),
                &formats.header.clone().set_quote_prefix(),
            )
            .map_err(|e| xlsx_error(path, e))?;
            widths.push(name.chars().count() + FILTER_ARROW);
        }
        // The header row and the id column stay in view while scrolling.
        sheet
            .set_freeze_panes(1, 1)
            .map_err(|e| xlsx_error(path, e))?;
        Ok(XlsxWriter {
            workbook,
            temp,
            path: path.to_path_buf(),
            equation,
            decimals,
            model,
            formats,
            widths,
            extremes: vec![(0.0, false); FIGURES + columns.len()],
            parts,
            units,
            exact: Vec::new(),
            breakdown: Vec::new(),
            passthrough: PARTS + columns.len() as ColNum,
            leads: 0,
            sums: Accumulator::new(decimals),
            names,
            scope: None,
            decimal_comma: false,
            reasons: String::new(),
            warnings: String::new(),
            shown: String::new(),
        })
    }

    /// Says which leads the workbook holds when it is not every lead scored (`--top`,
    /// `--min-tier`, a split's file): `scope` is shown as written, in bold, at the top of the
    /// Summary sheet, and the Summary's totals are labelled "All leads in this file" and "Every
    /// lead in this file" rather than "All leads" and "Every lead", so that they are not taken
    /// for the whole pipeline. The caller words it ("The top 3 of 212 leads in region north
    /// with tier B or better; 1,000 leads scored from data/leads.csv"); text that would read as
    /// a formula is kept text, as in every cell.
    pub fn with_scope(mut self, scope: String) -> Self {
        self.scope = Some(scope);
        self
    }

    /// The carried columns come from a lead list with a decimal comma (`;`- or tab-separated,
    /// as leadscore reads its features): a value with a comma and no dot (`6951,94`, `-3,5`) is
    /// a number when, read with a decimal point, [`carried_number`] takes it as one; `12,50`
    /// and `1.234,5` stay text, as `12.50` and `1,234.5` do.
    pub fn with_decimal_comma(mut self, decimal_comma: bool) -> Self {
        self.decimal_comma = decimal_comma;
        self
    }

    /// Lays out the sheets, saves the workbook beside its target, syncs it and renames it into
    /// place. Returns what the Summary sheet shows.
    pub fn finish(mut self) -> Result<Totals> {
        let path = self.path.clone();
        let totals = self.totals();
        self.lay_out_leads().map_err(|e| xlsx_error(&path, e))?;
        write_summary(
            &mut self.workbook,
            &self.formats,
            &self.model,
            self.scope.as_deref(),
            &totals,
        )
        .map_err(|e| xlsx_error(&path, e))?;
        write_model(&mut self.workbook, &self.formats, &self.model)
            .map_err(|e| xlsx_error(&path, e))?;
        let mut out = BufWriter::with_capacity(256 * 1024, self.temp.as_file_mut());
        // Deflating the sheet's XML is most of the time a workbook takes. Level 3 instead of the
        // default 6 saved 14% of the time of a 100k-lead export for a 14% larger file (13.7 MB
        // to 15.6 MB); level 1 was no faster, its larger file costing what it saved.
        self.workbook.set_zip_compression_level(3);
        self.workbook
            .save_to_writer(&mut out)
            .map_err(|e| xlsx_error(&path, e))?;
        out.flush().map_err(|e| Error::write(path.display(), e))?;
        drop(out);
        crate::io::output::persist(self.temp, &path)?;
        Ok(totals)
    }

    fn totals(&self) -> Totals {
        self.sums.totals()
    }

    /// Column widths from what was written, and the autofilter over every lead.
    fn lay_out_leads(&mut self) -> std::result::Result<(), XlsxError> {
        let currency = self.model.currency.chars().count();
        for (i, &(max, negative)) in self.extremes.iter().enumerate() {
            let col = money_column(i) as usize;
            let shown = if i >= FIGURES && self.units.contains(&(i - FIGURES)) {
                money_width(max, negative, self.decimals.max(2))
            } else {
                money_width(max, negative, self.decimals) + 1 + currency
            };
            self.widths[col] = self.widths[col].max(shown);
        }
        let last = (self.widths.len() - 1) as ColNum;
        let ws = self.workbook.worksheet_from_index(0)?;
        for (col, &w) in self.widths.iter().enumerate() {
            let bound = match col as ColNum {
                REASONS | WARNINGS => MAX_TEXT_WIDTH,
                _ => MAX_WIDTH,
            };
            // Two characters of padding, as Excel's own autofit leaves.
            ws.set_column_width(col as ColNum, (w + 2).clamp(MIN_WIDTH, bound) as f64)?;
        }
        ws.autofilter(0, 0, self.leads, last)?;
        Ok(())
    }

    /// Notes the width of a text cell, counting no further than any bound.
    fn measure(&mut self, col: ColNum, text: &str) {
        let w = &mut self.widths[col as usize];
        let n = text.chars().take(MAX_TEXT_WIDTH).count();
        if n > *w {
            *w = n;
        }
    }

    fn write_lead(
        &mut self,
        lead: &ScoredLead,
        passthrough: &[Cow<'_, str>],
    ) -> std::result::Result<(), XlsxError> {
        let row = self.leads + 1;
        let m: &Printed = &lead.money;
        let interval = lead.interval_around(m.net);
        let d = self.decimals;
        // The figures exactly as the CSV writer prints them: the interval rounded to the
        // output's decimals, the ratio to two.
        let money: [Option<f64>; FIGURES] = [
            Some(m.lifetime_return),
            Some(m.service_burden),
            Some(m.net),
            interval.map(|(lo, _)| crate::economics::round_to(lo, d)),
            interval.map(|(_, hi)| crate::economics::round_to(hi, d)),
        ];
        let ratio = m.ratio().map(|r| crate::economics::round_to(r, 2));

        let f = &self.formats;
        let ws = self.workbook.worksheet_from_index(0)?;
        put_text(ws, row, ID, &lead.id, None, &f.quoted)?;
        for (i, v) in money.iter().enumerate() {
            if let Some(v) = v {
                let v = positive_zero(*v);
                ws.write_number_with_format(row, RETURN + i as ColNum, v, &f.money)?;
                let e = &mut self.extremes[i];
                e.0 = e.0.max(v.abs());
                e.1 |= v < 0.0;
            }
        }
        if let Some(r) = ratio {
            ws.write_number_with_format(row, RATIO, positive_zero(r), &f.ratio)?;
        }
        // Rounded as the CSV prints them: a written part is apportioned or a difference of
        // written figures, which in binary may miss the cent by a last bit.
        let mut cells = match self.parts.components {
            Some(c) => c.written_cells(self.equation, lead, d, &mut self.exact),
            None => Vec::new(),
        };
        if self.parts.breakdown {
            lead.breakdown(self.equation, d, &mut self.breakdown);
            cells.extend_from_slice(&self.breakdown);
        }
        for (i, v) in cells.into_iter().enumerate() {
            let (decimals, format) = if self.units.contains(&i) {
                (d.max(2), &f.units)
            } else {
                (d, &f.money)
            };
            let v = positive_zero(crate::economics::round_to(v, decimals));
            ws.write_number_with_format(row, PARTS + i as ColNum, v, format)?;
            let e = &mut self.extremes[FIGURES + i];
            e.0 = e.0.max(v.abs());
            e.1 |= v < 0.0;
        }
        ws.write_string_with_format(row, TIER, lead.tier.as_str(), &f.tiers[lead.tier as usize])?;
        ws.write_string(row, RECOMMENDATION, lead.recommendation.as_str())?;
        put_text(
            ws,
            row,
            REASONS,
            &self.reasons,
            Some(&f.wrap),
            &f.wrap_quoted,
        )?;
        put_text(
            ws,
            row,
            WARNINGS,
            &self.warnings,
            Some(&f.wrap),
            &f.wrap_quoted,
        )?;
        for (i, text) in passthrough.iter().enumerate() {
            let col = self.passthrough + i as ColNum;
            let pointed = (self.decimal_comma && text.contains(',') && !text.contains('.'))
                .then(|| text.replace(',', "."));
            match carried_number(pointed.as_deref().unwrap_or(text), &mut self.shown) {
                Some(v) => {
                    ws.write_number(row, col, v)?;
                }
                None => put_text(ws, row, col, text, None, &f.quoted)?,
            }
        }
        // Reasons or warnings longer than their column's widest bound wrap. Excel grows such a
        // row when it opens the file, LibreOffice does not (the lines then run over the next
        // row), so the height is set here, while the row is still open in constant-memory mode.
        // Text up to the bound needs none: its column ends at least as wide as it.
        let longest = self
            .reasons
            .chars()
            .count()
            .max(self.warnings.chars().count());
        if longest > MAX_TEXT_WIDTH {
            // Words wrap whole and proportional letters vary: a line holds about four fifths
            // of the column's width in characters.
            let lines = longest.div_ceil(MAX_TEXT_WIDTH * 4 / 5).min(MAX_LINES);
            ws.set_row_height(row, LINE_HEIGHT * lines as f64)?;
        }

        self.measure(ID, &lead.id);
        let reasons = std::mem::take(&mut self.reasons);
        self.measure(REASONS, &reasons);
        self.reasons = reasons;
        let warnings = std::mem::take(&mut self.warnings);
        self.measure(WARNINGS, &warnings);
        self.warnings = warnings;
        for (i, text) in passthrough.iter().enumerate() {
            self.measure(self.passthrough + i as ColNum, text);
        }
        self.sums.add(lead);
        self.leads += 1;
        Ok(())
    }
}

impl ScoredWriter for XlsxWriter<'_> {
    /// Writes one lead on the next row of the Leads sheet. Errors: more leads than a sheet
    /// holds, or a `passthrough` of another length than the header's, are the caller's mistakes
    /// (kind `Other`); text longer than a cell holds in any column (the id, the reasons or
    /// warnings, which name category values as read, or a carried value) is a problem of the
    /// input, of kind [`io::ErrorKind::InvalidData`], worded `lead L000008 (line 10): column
    /// "notes" holds 40,000 characters; an Excel cell holds at most 32,767` (characters counted
    /// as Excel does, in UTF-16 code units), and nothing of that lead is written. Other kinds
    /// are failures to write.
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()> {
        if self.leads >= MAX_LEADS {
            return Err(io::Error::other(format!(
                "an Excel sheet holds at most {} leads; write CSV, or split the list",
                crate::economics::money(MAX_LEADS as f64, 0)
            )));
        }
        if passthrough.len() + self.passthrough as usize != self.widths.len() {
            return Err(io::Error::other(format!(
                "lead {} carries {} input fields, the header {}",
                lead_named(&lead.id),
                passthrough.len(),
                self.widths.len() - self.passthrough as usize
            )));
        }
        push_reasons(self.equation, lead, &mut self.reasons);
        push_warnings(lead, &mut self.warnings);
        let texts = [
            (ID, lead.id.as_str()),
            (REASONS, self.reasons.as_str()),
            (WARNINGS, self.warnings.as_str()),
        ];
        let carried = passthrough
            .iter()
            .enumerate()
            .map(|(i, t)| (self.passthrough + i as ColNum, t.as_ref()));
        for (col, text) in texts.into_iter().chain(carried) {
            // Bytes bound the UTF-16 length from above: most cells are counted no further.
            if text.len() > MAX_CELL_TEXT {
                let units = text.encode_utf16().count();
                if units > MAX_CELL_TEXT {
                    return Err(too_long(lead, &self.names[col as usize], units));
                }
            }
        }
        self.write_lead(lead, passthrough).map_err(|e| match e {
            // Checked above; kept for any text the check does not see.
            XlsxError::MaxStringLengthExceeded => io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "lead {} (line {}) has text longer than the {} characters an Excel cell holds",
                    lead_named(&lead.id),
                    lead.line,
                    crate::economics::money(MAX_CELL_TEXT as f64, 0)
                ),
            ),
            XlsxError::IoError(e) => e,
            other => io::Error::other(other),
        })
    }
}

/// A lead with text longer than a cell holds: an input problem, named by lead, line and column.
fn too_long(lead: &ScoredLead, column: &str, units: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "lead {} (line {}): column {} holds {} characters; an Excel cell holds at most {}",
            lead_named(&lead.id),
            lead.line,
            shown(column),
            crate::economics::money(units as f64, 0),
            crate::economics::money(MAX_CELL_TEXT as f64, 0)
        ),
    )
}

/// A lead's id as a message names it: as it is (`lead L000008`) when [`shown`] would quote it
/// unchanged, else as `shown` writes it. The id is the one value the check above finds too
/// long for a cell, and printed whole a 40,000-character id made a 40 KB message.
fn lead_named(id: &str) -> Cow<'_, str> {
    let quoted = shown(id);
    if quoted.len() == id.len() + 2 {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(quoted)
    }
}

/// The column of money column `i` as [`XlsxWriter::extremes`] counts them.
fn money_column(i: usize) -> ColNum {
    if i < FIGURES {
        RETURN + i as ColNum
    } else {
        PARTS + (i - FIGURES) as ColNum
    }
}

/// How many characters a money figure up to `max` in magnitude takes with grouping.
fn money_width(max: f64, negative: bool, decimals: usize) -> usize {
    let whole = max.abs().trunc();
    let digits = if whole < 10.0 {
        1
    } else {
        whole.log10().floor() as usize + 1
    };
    digits + (digits - 1) / 3 + usize::from(decimals > 0) + decimals + usize::from(negative)
}

fn xlsx_error(path: &Path, e: XlsxError) -> Error {
    match e {
        XlsxError::IoError(e) => Error::write(path.display(), e),
        other => Error::write(path.display(), io::Error::other(other)),
    }
}

/// The Summary sheet: the scope when there is one, then per tier, per recommendation, and the
/// call list's worth.
fn write_summary(
    workbook: &mut Workbook,
    f: &Formats,
    model: &ModelInfo,
    scope: Option<&str>,
    totals: &Totals,
) -> std::result::Result<(), XlsxError> {
    let ws = workbook.add_worksheet();
    ws.set_name(SUMMARY_SHEET)?;
    let columns = [
        "Leads",
        "Expected return",
        "Expected burden",
        "Expected net",
    ];
    // A row of figures; `label` is a tier's colour, bold for a total, or plain text.
    let tally = |ws: &mut Worksheet,
                 row: RowNum,
                 label: &str,
                 label_format: Option<&Format>,
                 t: &Tally,
                 bold: bool|
     -> std::result::Result<(), XlsxError> {
        let (count_f, money_f) = if bold {
            (&f.bold_count, &f.bold_money)
        } else {
            (&f.count, &f.money)
        };
        put_text(ws, row, 0, label, label_format, &f.quoted)?;
        ws.write_number_with_format(row, 1, t.leads as f64, count_f)?;
        ws.write_number_with_format(row, 2, positive_zero(t.lifetime_return), money_f)?;
        ws.write_number_with_format(row, 3, positive_zero(t.service_burden), money_f)?;
        ws.write_number_with_format(row, 4, positive_zero(t.net), money_f)?;
        Ok(())
    };
    let heading = |ws: &mut Worksheet, row: RowNum, first: &str| {
        ws.write_string_with_format(row, 0, first, &f.header)?;
        for (i, c) in columns.iter().enumerate() {
            ws.write_string_with_format(row, 1 + i as ColNum, *c, &f.header)?;
        }
        Ok::<_, XlsxError>(())
    };

    // With a scope the totals are of this file's leads, and say so.
    let (all, every) = match scope {
        Some(_) => ("All leads in this file", "Every lead in this file"),
        None => ("All leads", "Every lead"),
    };
    let mut row: RowNum = 0;
    if let Some(scope) = scope {
        // Bold, across the table's width, wrapped onto as many lines as it needs, and never a
        // formula.
        let mut format = f.bold.clone().set_text_wrap().set_align(FormatAlign::Top);
        if is_formula(scope) {
            format = format.set_quote_prefix();
        }
        ws.merge_range(0, 0, 0, columns.len() as ColNum, scope, &format)?;
        let lines = scope
            .chars()
            .count()
            .div_ceil(SUMMARY_CHARS * 4 / 5)
            .clamp(1, MAX_LINES);
        ws.set_row_height(0, LINE_HEIGHT * lines as f64)?;
        row += 2;
    }
    heading(ws, row, "Tier")?;
    for tier in Tier::ALL {
        row += 1;
        let colour = Some(&f.tiers[tier as usize]);
        tally(ws, row, tier.as_str(), colour, &totals.tier(tier), false)?;
    }
    row += 1;
    tally(ws, row, all, Some(&f.bold), &totals.all, true)?;

    row += 2;
    heading(ws, row, "Recommendation")?;
    for r in Recommendation::ALL {
        row += 1;
        tally(ws, row, r.as_str(), None, &totals.recommendation(r), false)?;
    }
    row += 1;
    tally(ws, row, all, Some(&f.bold), &totals.all, true)?;

    row += 2;
    heading(ws, row, "Who to call")?;
    row += 1;
    let contact = totals.recommendation(Recommendation::Contact);
    tally(
        ws,
        row,
        "Only the contact leads",
        Some(&f.bold),
        &contact,
        true,
    )?;
    row += 1;
    tally(ws, row, every, None, &totals.all, false)?;
    row += 2;
    let note = format!(
        "Amounts in {}: sums of the figures on the Leads sheet. Expected net = expected return - expected burden.",
        model.currency
    );
    put_text(ws, row, 0, &note, None, &f.quoted)?;

    ws.set_column_width(0, SUMMARY_LABEL_WIDTH as f64)?;
    for col in 1..=4 {
        ws.set_column_width(col, SUMMARY_FIGURE_WIDTH as f64)?;
    }
    Ok(())
}

/// The Model sheet: which model scored the leads and how well it did.
fn write_model(
    workbook: &mut Workbook,
    f: &Formats,
    model: &ModelInfo,
) -> std::result::Result<(), XlsxError> {
    let ws = workbook.add_worksheet();
    ws.set_name(MODEL_SHEET)?;
    ws.write_string_with_format(0, 0, "Model", &f.header)?;
    ws.write_string_with_format(0, 1, "", &f.header)?;
    let mut row: RowNum = 0;
    let mut text = |ws: &mut Worksheet, label: &str, value: &str| {
        row += 1;
        ws.write_string(row, 0, label)?;
        put_text(ws, row, 1, value, None, &f.quoted)?;
        Ok::<_, XlsxError>(row)
    };
    text(
        ws,
        "Version",
        model.version.as_deref().unwrap_or("(not in a registry)"),
    )?;
    text(ws, "Model file", &model.file)?;
    text(ws, "Trained at", &model.trained_at)?;
    text(ws, "Trained on", &model.trained_on)?;
    let r = text(ws, "Customers learnt from", "")?;
    ws.write_number_with_format(r, 1, model.customers as f64, &f.count)?;
    text(ws, "Currency", &model.currency)?;
    let r = text(ws, "Net value, cross-validated MAE", "")?;
    ws.write_number_with_format(r, 1, model.net_mae, &f.money)?;
    let r = text(ws, "Net value, cross-validated R²", "")?;
    match model.net_r2 {
        Some(r2) => ws.write_number_with_format(r, 1, r2, &f.r2)?,
        None => ws.write_string(r, 1, "not measured")?,
    };
    let d = &model.decisions;
    for (label, v) in [
        ("Contact at net of at least", d.contact_at),
        ("Skip below net of", d.skip_below),
        ("Tier A from net of", d.tier_a),
        ("Tier B from net of", d.tier_b),
        ("Tier C from net of", d.tier_c),
    ] {
        let r = text(ws, label, "")?;
        ws.write_number_with_format(r, 1, positive_zero(v), &f.money)?;
    }
    ws.set_column_width(0, 32)?;
    ws.set_column_width(1, (model.file.chars().count() + 2).clamp(24, 80) as f64)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use calamine::{open_workbook, Data, Range, Reader, Xlsx};

    use super::*;
    use crate::model::scorer::Scorer;
    use crate::write::sample::{as_csv, model_info as info, scored, shipped, PASSED};

    /// A workbook of the leads' scores without components or breakdown, to 2 decimals.
    fn plain_workbook<'e>(
        path: &Path,
        eq: &'e Equation,
        model: &Model,
        passthrough: &[&str],
    ) -> XlsxWriter<'e> {
        XlsxWriter::create(
            path,
            eq,
            2,
            info(model),
            "lead_id",
            passthrough,
            Parts::default(),
        )
        .unwrap()
    }

    /// Writes `leads` to `path` and returns the totals.
    fn write_workbook(path: &Path, model: &Model, leads: &[(ScoredLead, Vec<String>)]) -> Totals {
        let eq = Scorer::new(model).unwrap().equation().clone();
        let mut w = plain_workbook(path, &eq, model, &PASSED);
        for (lead, passed) in leads {
            let passed: Vec<Cow<str>> = passed.iter().map(|p| Cow::Borrowed(p.as_str())).collect();
            w.write(lead, &passed).unwrap();
        }
        w.finish().unwrap()
    }

    fn sheet(path: &Path, name: &str) -> Range<Data> {
        let mut book: Xlsx<_> = open_workbook(path).unwrap();
        book.worksheet_range(name).unwrap()
    }

    /// The cents of a written figure.
    fn cents(text: &str) -> i128 {
        (text.parse::<f64>().unwrap() * 100.0).round() as i128
    }

    /// Carried values that are numbers written as they read, and others that are not.
    const CARRIED: [&str; 16] = [
        "527",
        "18560.01",
        "-3.5",
        "0",
        "0.05",
        "00123",
        "+49 30 1234",
        "1e5",
        "1,000",
        "12.50",
        ".5",
        "-0",
        "NaN",
        "1234567890123456",
        "=1+1",
        "north",
    ];

    #[test]
    fn every_lead_and_every_figure_reads_back_exactly_as_the_csv_prints_it() {
        let model = shipped();
        let mut leads = scored(&model, 150);
        // The second carried column holds numbers and text that only looks like them.
        for (i, (_, passed)) in leads.iter_mut().enumerate() {
            passed[1] = CARRIED[i % CARRIED.len()].to_string();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.xlsx");
        write_workbook(&path, &model, &leads);

        let csv = as_csv(&model, &leads);
        let range = sheet(&path, LEADS_SHEET);
        assert_eq!(range.start(), Some((0, 0)));
        let rows: Vec<&[Data]> = range.rows().collect();
        assert_eq!(rows.len(), csv.len());
        assert_eq!(rows.len(), leads.len() + 1);
        let numeric = 1..=6;
        let mut shown = String::new();
        let (mut carried_numbers, mut carried_texts) = (0, 0);
        for (r, (row, record)) in rows.iter().zip(&csv).enumerate() {
            assert_eq!(row.len(), record.len(), "row {r}");
            for (c, (cell, field)) in row.iter().zip(record.iter()).enumerate() {
                // The CSV's text, without the `'` it puts before a formula.
                let field = crate::write::formula::unprefix(field);
                let carried = r > 0 && c >= PARTS as usize;
                let number = carried && carried_number(field, &mut shown).is_some();
                match cell {
                    Data::Float(v) => {
                        assert!(
                            r > 0 && (numeric.contains(&c) || number),
                            "row {r} col {c}: {v}"
                        );
                        assert_eq!(*v, field.parse::<f64>().unwrap(), "row {r} col {c}");
                        carried_numbers += usize::from(carried);
                    }
                    Data::String(s) => {
                        assert!(
                            r == 0 || !(numeric.contains(&c) || number),
                            "row {r} col {c}: {s:?}"
                        );
                        assert_eq!(s, field, "row {r} col {c}");
                        carried_texts += usize::from(carried && c == PARTS as usize + 1);
                    }
                    Data::Empty => assert_eq!(field, "", "row {r} col {c}"),
                    other => panic!("row {r} col {c}: {other:?}"),
                }
            }
        }
        // Both kinds of carried value were written: 5 numbers and 11 texts in every 16 rows.
        assert!(carried_numbers >= 5 * (150 / 16), "{carried_numbers}");
        assert!(carried_texts >= 10 * (150 / 16), "{carried_texts}");
        // The sample covers what the sheet has to show: several tiers, losses, warnings.
        let tiers: std::collections::BTreeSet<&str> = csv[1..].iter().map(|r| &r[7]).collect();
        assert!(tiers.len() >= 3, "{tiers:?}");
        assert!(csv[1..].iter().any(|r| r[3].starts_with('-')));
    }

    #[test]
    fn summary_totals_are_the_exact_sums_of_the_leads_written() {
        let model = shipped();
        let leads = scored(&model, 150);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.xlsx");
        let totals = write_workbook(&path, &model, &leads);
        let csv = as_csv(&model, &leads);

        // Sums in cents of the figures the CSV prints, per group.
        let sum = |keep: &dyn Fn(&csv::StringRecord) -> bool| {
            let rows: Vec<_> = csv[1..].iter().filter(|r| keep(r)).collect();
            let total = |c: usize| rows.iter().map(|r| cents(&r[c])).sum::<i128>() as f64 / 100.0;
            Tally {
                leads: rows.len() as u64,
                lifetime_return: total(1),
                service_burden: total(2),
                net: total(3),
            }
        };
        assert_eq!(totals.all, sum(&|_| true));
        for t in Tier::ALL {
            assert_eq!(totals.tier(t), sum(&|r| &r[7] == t.as_str()), "{t:?}");
        }
        for rec in Recommendation::ALL {
            assert_eq!(
                totals.recommendation(rec),
                sum(&|r| &r[8] == rec.as_str()),
                "{rec:?}"
            );
        }
        assert_eq!(
            totals.by_tier.iter().map(|t| t.leads).sum::<u64>(),
            leads.len() as u64
        );

        // The Summary sheet shows those totals, as numbers, on the rows its labels name.
        let range = sheet(&path, SUMMARY_SHEET);
        let row_of = |label: &str, after: usize| {
            (after..range.height())
                .find(|&r| range.get((r, 0)) == Some(&Data::String(label.into())))
                .unwrap_or_else(|| panic!("no row {label:?}"))
        };
        let figures = |r: usize| -> Tally {
            let n = |c: usize| match range.get((r, c)) {
                Some(Data::Float(v)) => *v,
                other => panic!("row {r} col {c}: {other:?}"),
            };
            Tally {
                leads: n(1) as u64,
                lifetime_return: n(2),
                service_burden: n(3),
                net: n(4),
            }
        };
        for t in Tier::ALL {
            assert_eq!(figures(row_of(t.as_str(), 0)), totals.tier(t));
        }
        assert_eq!(figures(row_of("All leads", 0)), totals.all);
        let recs = row_of("Recommendation", 0);
        for rec in Recommendation::ALL {
            assert_eq!(
                figures(row_of(rec.as_str(), recs)),
                totals.recommendation(rec)
            );
        }
        assert_eq!(
            figures(row_of("Only the contact leads", 0)),
            totals.recommendation(Recommendation::Contact)
        );
        assert_eq!(figures(row_of("Every lead", 0)), totals.all);
    }

    #[test]
    fn text_that_reads_as_a_formula_is_written_as_that_text() {
        let model = shipped();
        let mut leads = scored(&model, 8);
        let ids = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "-2",
            "@SUM(A1)",
            "\tL1",
            "\rL2",
            "L_x0041_3",
            "L4",
        ];
        for ((lead, passed), id) in leads.iter_mut().zip(ids) {
            lead.id = id.to_string();
            passed[0] = "=1+1".into();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.xlsx");
        write_workbook(&path, &model, &leads);

        let range = sheet(&path, LEADS_SHEET);
        for (r, id) in ids.iter().enumerate() {
            assert_eq!(range.get((r + 1, 0)), Some(&Data::String(id.to_string())));
            assert_eq!(range.get((r + 1, 11)), Some(&Data::String("=1+1".into())));
            // Negative figures stay numbers.
            assert!(matches!(range.get((r + 1, 3)), Some(Data::Float(_))));
        }
        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        for name in [LEADS_SHEET, SUMMARY_SHEET, MODEL_SHEET] {
            let formulas = book.worksheet_formula(name).unwrap();
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{name}"
            );
        }
    }

    #[test]
    fn an_empty_lead_list_makes_a_workbook_with_headers_and_zero_totals() {
        let model = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.xlsx");
        let totals = write_workbook(&path, &model, &[]);
        assert_eq!(totals, Totals::default());

        let leads = sheet(&path, LEADS_SHEET);
        assert_eq!(leads.height(), 1);
        let header: Vec<String> = leads
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(header, crate::write::header("lead_id", &PASSED));
        let summary = sheet(&path, SUMMARY_SHEET);
        assert_eq!(summary.get((5, 0)), Some(&Data::String("All leads".into())));
        assert_eq!(summary.get((5, 1)), Some(&Data::Float(0.0)));
        assert_eq!(summary.get((5, 4)), Some(&Data::Float(0.0)));
    }

    #[test]
    fn the_model_sheet_names_the_version_and_its_cross_validated_figures() {
        let model = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.xlsx");
        write_workbook(&path, &model, &[]);
        let range = sheet(&path, MODEL_SHEET);
        let value = |label: &str| {
            let r = (0..range.height())
                .find(|&r| range.get((r, 0)) == Some(&Data::String(label.into())))
                .unwrap_or_else(|| panic!("no row {label:?}"));
            range.get((r, 1)).cloned().unwrap()
        };
        assert_eq!(value("Version"), Data::String("v0002".into()));
        assert_eq!(value("Currency"), Data::String("EUR".into()));
        assert_eq!(value("Trained at"), Data::String(model.created_at.clone()));
        assert_eq!(
            value("Customers learnt from"),
            Data::Float(model.training.rows_used as f64)
        );
        assert_eq!(
            value("Net value, cross-validated MAE"),
            Data::Float(model.validation.net_value.mae)
        );
        assert_eq!(
            value("Net value, cross-validated R²"),
            Data::Float(model.validation.net_value.r2.unwrap())
        );
        assert_eq!(
            value("Contact at net of at least"),
            Data::Float(model.decisions.contact_at)
        );
    }

    #[test]
    fn only_a_finished_workbook_appears_and_nothing_is_left_beside_it() {
        let model = shipped();
        let leads = scored(&model, 3);
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.xlsx");
        let names = || -> Vec<String> {
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };

        let mut w = plain_workbook(&path, &eq, &model, &[]);
        w.write(&leads[0].0, &[]).unwrap();
        assert!(!path.exists());
        drop(w);
        assert!(names().is_empty(), "{:?}", names());

        write_workbook(&path, &model, &leads);
        assert_eq!(names(), ["leads.xlsx"]);
    }

    #[test]
    fn a_lead_with_the_wrong_number_of_input_fields_is_refused() {
        let model = shipped();
        let leads = scored(&model, 1);
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let dir = tempfile::tempdir().unwrap();
        let mut w = plain_workbook(&dir.path().join("x.xlsx"), &eq, &model, &PASSED);
        let err = w.write(&leads[0].0, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "lead L000001 carries 0 input fields, the header 2"
        );
    }

    #[test]
    fn a_carried_value_is_a_number_only_when_nothing_is_lost() {
        let mut shown = String::new();
        let mut number = |t: &str| carried_number(t, &mut shown);
        for (text, v) in [
            ("527", 527.0),
            ("18560.01", 18560.01),
            ("-3.5", -3.5),
            ("0", 0.0),
            ("0.05", 0.05),
            ("123456789012345", 123_456_789_012_345.0),
            ("0.000000000000001", 1e-15),
        ] {
            assert_eq!(number(text), Some(v), "{text}");
        }
        for text in [
            "",
            "00123",
            "+49 30 1234",
            "+5",
            "1e5",
            "1E5",
            "1,000",
            "12.50",
            "5.",
            ".5",
            "-.5",
            " 7",
            "7 ",
            "-0",
            "0.0",
            "NaN",
            "inf",
            "-inf",
            "1234567890123456",
            "0x1F",
            "1_000",
            "12345678901234567890",
            "north",
            "=1+1",
            "-",
            "--1",
        ] {
            assert_eq!(number(text), None, "{text:?}");
        }
    }

    #[test]
    fn text_longer_than_a_cell_holds_is_an_input_error_naming_the_column() {
        let model = shipped();
        let leads = scored(&model, 2);
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.xlsx");
        let mut w = plain_workbook(&path, &eq, &model, &PASSED);
        let mut lead = leads[0].0.clone();
        lead.line = 10;
        let fits = "x".repeat(MAX_CELL_TEXT);
        w.write(&lead, &[Cow::Borrowed(fits.as_str()), "north".into()])
            .unwrap();
        // An emoji is two of Excel's characters: 20,000 of them are 40,000.
        let emoji = "🙂".repeat(20_000);
        let err = w
            .write(&lead, &["ok".into(), Cow::Borrowed(emoji.as_str())])
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            "lead L000001 (line 10): column \"region\" holds 40,000 characters; an Excel cell holds at most 32,767"
        );
        // The id too long for a cell is named by its start and length, not printed whole.
        lead.id = "L".repeat(MAX_CELL_TEXT + 1);
        let err = w.write(&lead, &["ok".into(), "north".into()]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            format!("lead \"{}…\" (32,768 characters) (line 10): column \"lead_id\" holds 32,768 characters; an Excel cell holds at most 32,767", "L".repeat(40)),
        );
        // So is an id with control characters, which would drive the terminal.
        lead.id = "L\u{1b}[2J".into();
        let err = w
            .write(&lead, &["ok".into(), emoji.as_str().into()])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "lead \"L\\u{1b}[2J\" (line 10): column \"region\" holds 40,000 characters; an Excel cell holds at most 32,767"
        );
        // The refused leads left nothing behind: the workbook holds the one that fitted.
        w.finish().unwrap();
        let range = sheet(&path, LEADS_SHEET);
        assert_eq!(range.height(), 2);
        assert_eq!(range.get((1, PARTS as usize)), Some(&Data::String(fits)));
    }

    /// The Summary sheet's rows: each row's first cell and its figures, as read back.
    fn summary_rows(path: &Path) -> Vec<(String, Vec<Data>)> {
        let range = sheet(path, SUMMARY_SHEET);
        range
            .rows()
            .map(|r| (r[0].to_string(), r[1..].to_vec()))
            .collect()
    }

    #[test]
    fn a_scope_heads_the_summary_and_its_totals_say_they_are_this_files() {
        let model = shipped();
        let leads = scored(&model, 5);
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let dir = tempfile::tempdir().unwrap();
        let scope = "The top 5 of 212 leads in region north with tier B or better; 1,000 leads scored from data/leads.csv";
        let write = |name: &str, scope: Option<&str>| {
            let path = dir.path().join(name);
            let mut w = plain_workbook(&path, &eq, &model, &PASSED);
            if let Some(scope) = scope {
                w = w.with_scope(scope.to_string());
            }
            for (lead, passed) in &leads {
                let passed: Vec<Cow<str>> =
                    passed.iter().map(|p| Cow::Borrowed(p.as_str())).collect();
                w.write(lead, &passed).unwrap();
            }
            let totals = w.finish().unwrap();
            (summary_rows(&path), totals)
        };
        let (plain, totals) = write("plain.xlsx", None);
        let (scoped, scoped_totals) = write("scoped.xlsx", Some(scope));
        assert_eq!(totals, scoped_totals);
        let labels = |rows: &[(String, Vec<Data>)]| -> Vec<String> {
            rows.iter().map(|r| r.0.clone()).collect()
        };
        let all = "All leads in this file".to_string();
        let every = "Every lead in this file".to_string();
        // Without a scope the sheet starts with its table and its totals are "all leads".
        assert_eq!(plain[0].0, "Tier");
        assert!(labels(&plain).contains(&"All leads".into()));
        assert!(labels(&plain).contains(&"Every lead".into()));
        assert!(!labels(&plain).contains(&all));
        // With one, the scope comes first, then the same table with this file's labels.
        assert_eq!(scoped[0].0, scope);
        assert_eq!(scoped[1].0, "");
        assert_eq!(scoped.len(), plain.len() + 2);
        let renamed: Vec<String> = labels(&plain)
            .into_iter()
            .map(|l| match l.as_str() {
                "All leads" => all.clone(),
                "Every lead" => every.clone(),
                _ => l,
            })
            .collect();
        assert_eq!(labels(&scoped)[2..], renamed[..]);
        for (a, b) in plain.iter().zip(&scoped[2..]) {
            assert_eq!(a.1, b.1, "{}", a.0);
        }
        let at = |label: &str| scoped.iter().find(|r| r.0 == label).unwrap().1[0].clone();
        assert_eq!(at(&all), Data::Float(5.0));
        assert_eq!(at(&every), Data::Float(5.0));

        // A scope that reads as a formula stays text.
        let (evil, _) = write("evil.xlsx", Some("=HYPERLINK(\"http://x\")"));
        assert_eq!(evil[0].0, "=HYPERLINK(\"http://x\")");
        let mut book: Xlsx<_> = open_workbook(dir.path().join("evil.xlsx")).unwrap();
        let formulas = book.worksheet_formula(SUMMARY_SHEET).unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    }

    #[test]
    fn money_is_formatted_in_the_models_currency_with_losses_in_red() {
        assert_eq!(
            money_format("EUR", 2),
            "#,##0.00 \"EUR\";[Red]-#,##0.00 \"EUR\""
        );
        assert_eq!(money_format("JPY", 0), "#,##0 \"JPY\";[Red]-#,##0 \"JPY\"");
        // A component in its units (hours, complaints): the same number, no currency.
        assert_eq!(units_format(2), "#,##0.00;[Red]-#,##0.00");
        assert_eq!(units_format(3), "#,##0.000;[Red]-#,##0.000");
        assert_eq!(money_width(1_234_567.0, true, 2), "-1,234,567.00".len());
        assert_eq!(money_width(0.5, false, 0), 1);
    }
}
