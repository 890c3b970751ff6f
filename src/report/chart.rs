//! Line charts as PNG and SVG: gain, lift and whale curves.
//!
//! Drawing uses `plotters` without system font or image libraries: text is rasterised by
//! `ab_glyph` from DejaVu Sans, built into the binary (`assets/DejaVuSans.ttf`, licence in
//! `assets/README.md`), and PNG encoding is pure Rust. Both files are written to a temporary
//! file beside the target and renamed into place, so a reader never sees half a chart.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Pixel size of both the PNG and the SVG.
const SIZE: (u32, u32) = (800, 500);
/// The family every text element asks for; the embedded font is registered under it.
const FAMILY: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Tableau 10: distinct from each other and readable on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One line on a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend entry; an empty name leaves the series out of the legend.
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed: for reference lines such as "random" and "perfect".
    pub dashed: bool,
}

/// A labelled point to mark (e.g. the whale curve's peak).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub label: String,
    pub at: (f64, f64),
}

/// A line chart: title, axis labels, lines, markers. x and y ranges are computed from the data
/// with a little padding; y may be negative (whale curves fall below 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Label the y axis as percentages (0.25 → "25%").
    pub y_percent: bool,
    /// Label the x axis as percentages (0.25 → "25%").
    pub x_percent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The font built into the binary did not parse: a broken build, not bad input.
    #[error("{path}: cannot draw the chart: the built-in font (assets/DejaVuSans.ttf) is not a usable font")]
    Font { path: String },
    /// plotters failed to draw or to encode the image.
    #[error("{path}: cannot draw the chart: {problem}")]
    Draw { path: String, problem: String },
    /// Creating, writing or renaming the file failed.
    #[error("cannot write {path}: {err}")]
    Write { path: String, err: std::io::Error },
}

impl ChartError {
    fn write(path: &Path, err: std::io::Error) -> Self {
        ChartError::Write {
            path: path.display().to_string(),
            err,
        }
    }

    /// A failure of the shared output helpers, which only fail creating, writing or renaming.
    fn from_output(e: crate::error::Error) -> Self {
        match e {
            crate::error::Error::Io { path, err, .. } => ChartError::Write { path, err },
            other => ChartError::Write {
                path: String::new(),
                err: std::io::Error::other(other.to_string()),
            },
        }
    }

    fn draw(path: &Path, problem: impl std::fmt::Display) -> Self {
        ChartError::Draw {
            path: path.display().to_string(),
            problem: problem.to_string(),
        }
    }
}

/// A chart that cannot be drawn or written is a failure of the run (exit 1), not of the
/// user's input: the directory was there or was made, so the disk, the permissions or the build
/// are at fault.
impl From<ChartError> for crate::error::Error {
    fn from(e: ChartError) -> Self {
        let (action, path, err) = match e {
            ChartError::Write { path, err } => ("cannot write", path, err),
            ChartError::Font { path } => (
                "cannot draw the chart",
                path,
                std::io::Error::other(
                    "the built-in font (assets/DejaVuSans.ttf) is not a usable font",
                ),
            ),
            ChartError::Draw { path, problem } => (
                "cannot draw the chart",
                path,
                std::io::Error::other(problem),
            ),
        };
        crate::error::Error::Io { action, path, err }
    }
}

/// Writes `<stem>.png` (800×500) and `<stem>.svg`, each atomically (a temporary file in the same
/// directory, renamed into place), and returns both paths, PNG first.
///
/// `.png` and `.svg` are appended to `stem`, so a stem such as `out/whale.v2` keeps its dot.
pub fn write(chart: &Chart, stem: &Path) -> Result<[PathBuf; 2], ChartError> {
    let png_path = with_suffix(stem, ".png");
    let svg_path = with_suffix(stem, ".svg");
    if !register_font() {
        return Err(ChartError::Font {
            path: png_path.display().to_string(),
        });
    }
    let layout = Layout::new(chart);

    // Draw both before renaming either, so a drawing failure leaves neither file changed.
    // The PNG encoder picks its format from the file name, so its temporary file ends in .png.
    let png_temp = temp_beside(&png_path, ".png")?;
    {
        let root = BitMapBackend::new(png_temp.path(), SIZE).into_drawing_area();
        draw(chart, &layout, &root).map_err(|e| ChartError::draw(&png_path, e))?;
        root.present().map_err(|e| ChartError::draw(&png_path, e))?;
    }

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(chart, &layout, &root).map_err(|e| ChartError::draw(&svg_path, e))?;
        root.present().map_err(|e| ChartError::draw(&svg_path, e))?;
    }
    let mut svg_temp = temp_beside(&svg_path, ".svg")?;
    std::io::Write::write_all(&mut svg_temp, svg.as_bytes())
        .map_err(|e| ChartError::write(&svg_path, e))?;

    persist(png_temp, &png_path)?;
    persist(svg_temp, &svg_path)?;
    Ok([png_path, svg_path])
}

/// Registers the embedded font once per process; plotters' `ab_glyph` text needs it before any
/// text is measured or drawn, for the SVG backend too (it measures the legend).
fn register_font() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
    })
}

fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A temporary file beside `path` ending in `suffix`, as every output file is made.
fn temp_beside(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile, ChartError> {
    crate::io::output::temp_beside_with_suffix(path, suffix).map_err(ChartError::from_output)
}

/// Syncs and renames a finished temporary file into place, and syncs the directory.
fn persist(temp: tempfile::NamedTempFile, path: &Path) -> Result<(), ChartError> {
    crate::io::output::persist(temp, path).map_err(ChartError::from_output)
}

/// Everything computed from the data before drawing: ranges, label formats, legend corner.
struct Layout {
    x: (f64, f64),
    y: (f64, f64),
    x_decimals: usize,
    y_decimals: usize,
    y_label_width: u32,
    legend: SeriesLabelPosition,
}

const X_LABELS: usize = 11;
const Y_LABELS: usize = 9;

impl Layout {
    fn new(chart: &Chart) -> Self {
        let lines: Vec<Vec<(f64, f64)>> = chart.series.iter().map(|s| finite(&s.points)).collect();
        let marks: Vec<(f64, f64)> = chart
            .markers
            .iter()
            .map(|m| m.at)
            .filter(|&(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let all = || lines.iter().flatten().chain(marks.iter()).copied();
        let x = padded(all().map(|p| p.0), 0.02, 0.02);
        // More room above when there are markers, for their labels.
        let top = if marks.is_empty() { 0.05 } else { 0.12 };
        let y = padded(all().map(|p| p.1), 0.05, top);

        let x_decimals = decimals(x.1 - x.0, chart.x_percent, X_LABELS);
        let y_decimals = decimals(y.1 - y.0, chart.y_percent, Y_LABELS);
        let widest = [y.0, y.1, (y.0 + y.1) / 2.0]
            .iter()
            .map(|&v| label(v, chart.y_percent, y_decimals).chars().count())
            .max()
            .unwrap_or(1) as u32;
        // About 8 px a character at 13 px, plus the rotated axis title.
        let y_label_width = (widest * 8 + 40).max(60);

        let legend = legend_corner(chart, &lines, x, y, y_label_width);
        Layout {
            x,
            y,
            x_decimals,
            y_decimals,
            y_label_width,
            legend,
        }
    }
}

fn finite(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .copied()
        .filter(|&(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// The range of `values` widened by `low` and `high` (fractions of the span); (0, 1) when there
/// are none, and a zero span is widened around the single value.
fn padded(values: impl Iterator<Item = f64>, low: f64, high: f64) -> (f64, f64) {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        min = min.min(v);
        max = max.max(v);
    }
    if min > max {
        return (0.0, 1.0);
    }
    let span = max - min;
    if span <= f64::EPSILON * max.abs().max(min.abs()).max(1.0) {
        let half = if min.abs() > 0.0 {
            min.abs() * 0.1
        } else {
            0.5
        };
        return (min - half, max + half);
    }
    (min - span * low, max + span * high)
}

/// Decimal places that tell ticks apart: enough for the tick step, the first 1, 2 or 5 times a
/// power of ten that keeps at most `labels` ticks across `span`.
fn decimals(span: f64, percent: bool, labels: usize) -> usize {
    let span = if percent { span * 100.0 } else { span };
    let rough = span / labels.max(1) as f64;
    if !rough.is_finite() || rough <= 0.0 {
        return 0;
    }
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= rough * (1.0 - 1e-9))
        .unwrap_or(10.0 * power);
    (-step.log10().floor()).clamp(0.0, 6.0) as usize
}

/// A tick label: `25%`, `-1,250`, `0.35`. Never `-0`.
fn label(v: f64, percent: bool, decimals: usize) -> String {
    let v = if percent { v * 100.0 } else { v };
    let text = crate::economics::money(v, decimals);
    if percent {
        text + "%"
    } else {
        text
    }
}

/// The plot corner that the legend box would cover the fewest line and marker points in.
fn legend_corner(
    chart: &Chart,
    lines: &[Vec<(f64, f64)>],
    x: (f64, f64),
    y: (f64, f64),
    y_label_width: u32,
) -> SeriesLabelPosition {
    let names: Vec<&str> = chart
        .series
        .iter()
        .zip(lines)
        .filter(|(s, pts)| !s.name.is_empty() && !pts.is_empty())
        .map(|(s, _)| s.name.as_str())
        .collect();
    // Approximate plot size in pixels and legend size as a fraction of it.
    let plot_w = (SIZE.0 as f64 - y_label_width as f64 - 40.0).max(100.0);
    let plot_h = (SIZE.1 as f64 - 130.0).max(100.0);
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as f64;
    let w = ((longest * 8.0 + 60.0) / plot_w).min(1.0);
    let h = ((names.len() as f64 * 22.0 + 30.0) / plot_h).min(1.0);

    // Sample along each segment so a line crossing a corner counts, not only its vertices.
    let mut samples: Vec<(f64, f64)> = Vec::new();
    for pts in lines {
        samples.extend(pts.first().copied());
        for pair in pts.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            for k in 1..=16 {
                let t = k as f64 / 16.0;
                samples.push((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t));
            }
        }
    }
    samples.extend(
        chart
            .markers
            .iter()
            .map(|m| m.at)
            .filter(|&(a, b)| a.is_finite() && b.is_finite()),
    );
    let norm: Vec<(f64, f64)> = samples
        .iter()
        .map(|&(a, b)| ((a - x.0) / (x.1 - x.0), (b - y.0) / (y.1 - y.0)))
        .collect();
    let count = |left: bool, top: bool| {
        norm.iter()
            .filter(|&&(a, b)| {
                let in_x = if left { a <= w } else { a >= 1.0 - w };
                let in_y = if top { b >= 1.0 - h } else { b <= h };
                in_x && in_y
            })
            .count()
    };
    // Ties go to the earlier corner.
    [
        (SeriesLabelPosition::UpperLeft, count(true, true)),
        (SeriesLabelPosition::LowerRight, count(false, false)),
        (SeriesLabelPosition::UpperRight, count(false, true)),
        (SeriesLabelPosition::LowerLeft, count(true, false)),
    ]
    .into_iter()
    .min_by_key(|&(_, n)| n)
    .map(|(pos, _)| pos)
    .unwrap_or(SeriesLabelPosition::UpperLeft)
}

fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&RGBColor(40, 40, 40))
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (x0, x1) = layout.x;
    let (y0, y1) = layout.y;
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(layout.y_label_width);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, font(22.0));
    }
    let mut plot = builder.build_cartesian_2d(x0..x1, y0..y1)?;

    let x_fmt = |v: &f64| label(*v, chart.x_percent, layout.x_decimals);
    let y_fmt = |v: &f64| label(*v, chart.y_percent, layout.y_decimals);
    plot.configure_mesh()
        .x_labels(X_LABELS)
        .y_labels(Y_LABELS)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .label_style(font(13.0))
        .axis_desc_style(font(15.0))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .axis_style(BLACK.mix(0.6))
        .draw()?;

    // A zero line when y goes negative, so "below break-even" is visible at a glance.
    if y0 < 0.0 && y1 > 0.0 {
        plot.draw_series(LineSeries::new(
            [(x0, 0.0), (x1, 0.0)],
            BLACK.mix(0.45).stroke_width(1),
        ))?;
    }

    let mut labelled = false;
    for (i, series) in chart.series.iter().enumerate() {
        let points = finite(&series.points);
        if points.is_empty() {
            continue;
        }
        let colour = PALETTE[i % PALETTE.len()];
        let style = colour.stroke_width(2);
        let drawn = if series.dashed {
            plot.draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))?
                .legend(move |(x, y)| DashedPathElement::new([(x, y), (x + 24, y)], 8, 5, style))
        } else {
            plot.draw_series(LineSeries::new(points.clone(), style))?
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style))
        };
        if !series.name.is_empty() {
            drawn.label(series.name.as_str());
            labelled = true;
        }
        // A line through one point draws nothing: show the point itself.
        if points.len() == 1 {
            plot.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
        }
    }

    let ink = RGBColor(30, 30, 30);
    plot.draw_series(
        chart
            .markers
            .iter()
            .filter(|m| m.at.0.is_finite() && m.at.1.is_finite())
            .map(|m| {
                let nx = (m.at.0 - x0) / (x1 - x0);
                let ny = (m.at.1 - y0) / (y1 - y0);
                // Keep the label inside the plot: left of points on the right, below points at
                // the very top (with the extra top padding, a curve's peak still has room above).
                let (h, dx) = if nx > 0.6 {
                    (HPos::Right, -9)
                } else {
                    (HPos::Left, 9)
                };
                let (v, dy) = if ny > 0.94 {
                    (VPos::Top, 7)
                } else {
                    (VPos::Bottom, -7)
                };
                let text = font(13.0).color(&ink).pos(Pos::new(h, v));
                EmptyElement::at(m.at)
                    + Circle::new((0, 0), 5, ink.filled())
                    + Circle::new((0, 0), 5, WHITE.stroke_width(1))
                    + Text::new(m.label.clone(), (dx, dy), text)
            }),
    )?;

    if labelled {
        plot.configure_series_labels()
            .position(layout.legend.clone())
            .margin(12)
            .legend_area_size(30)
            .label_font(font(13.0))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.35))
            .draw()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// A whale-like curve: profit climbs over the best leads, then falls below zero.
    fn whale() -> Chart {
        let model: Vec<(f64, f64)> = (0..=50)
            .map(|i| {
                let x = i as f64 / 50.0;
                (x, 1.6 * x * (1.0 - x).powi(2) * 4.0 - 0.35 * x)
            })
            .collect();
        let peak =
            model.iter().copied().fold(
                (0.0, f64::NEG_INFINITY),
                |a, p| if p.1 > a.1 { p } else { a },
            );
        Chart {
            title: "Whale curve — cumulative profit by lead rank".into(),
            x_label: "Share of leads contacted (best first)".into(),
            y_label: "Cumulative profit, share of total".into(),
            series: vec![
                Series {
                    name: "Model".into(),
                    points: model,
                    dashed: false,
                },
                Series {
                    name: "Random order".into(),
                    points: vec![(0.0, 0.0), (1.0, -0.35)],
                    dashed: true,
                },
            ],
            markers: vec![Marker {
                label: format!(
                    "peak: {:.0}% of leads, {:.0}%",
                    peak.0 * 100.0,
                    peak.1 * 100.0
                ),
                at: peak,
            }],
            y_percent: true,
            x_percent: true,
        }
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".leadscore-"))
            .collect()
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("whale");
        let [png, svg] = write(&whale(), &stem).unwrap();
        assert_eq!(png, dir.path().join("whale.png"));
        assert_eq!(svg, dir.path().join("whale.svg"));
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(bytes[..8], PNG_SIGNATURE);
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg"));
        assert!(text.contains("Whale curve — cumulative profit by lead rank"));
        assert!(text.contains("Random order"));
        assert!(text.contains("peak: "));
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn empty_chart_still_writes_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let [png, svg] = write(&Chart::default(), &dir.path().join("empty")).unwrap();
        assert_eq!(std::fs::read(&png).unwrap()[..8], PNG_SIGNATURE);
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    }

    #[test]
    fn empty_series_single_points_and_nan_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let chart = Chart {
            title: "Odd data".into(),
            series: vec![
                Series {
                    name: "empty".into(),
                    points: vec![],
                    dashed: false,
                },
                Series {
                    name: "one".into(),
                    points: vec![(0.5, 0.0)],
                    dashed: true,
                },
                Series {
                    name: "nan".into(),
                    points: vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
                    dashed: false,
                },
            ],
            markers: vec![Marker {
                label: "nowhere".into(),
                at: (f64::NAN, 0.0),
            }],
            ..Chart::default()
        };
        write(&chart, &dir.path().join("odd")).unwrap();
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("no-such-dir").join("chart");
        let err = write(&whale(), &stem).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!(
                "{}",
                dir.path().join("no-such-dir/chart.png").display()
            )),
            "{message}"
        );
        assert!(matches!(err, ChartError::Write { .. }));
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn failed_rename_leaves_no_temp_file() {
        // A directory where the SVG should go: the rename fails after both temps were written.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("blocked.svg")).unwrap();
        let err = write(&whale(), &dir.path().join("blocked")).unwrap_err();
        assert!(err.to_string().contains("blocked.svg"), "{err}");
        assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn ranges_are_padded_and_never_empty() {
        assert_eq!(padded(std::iter::empty(), 0.1, 0.1), (0.0, 1.0));
        let (lo, hi) = padded([0.0].into_iter(), 0.1, 0.1);
        assert!(lo < 0.0 && hi > 0.0);
        let (lo, hi) = padded([5.0, 5.0].into_iter(), 0.1, 0.1);
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = padded([-1.0, 1.0].into_iter(), 0.05, 0.05);
        assert!((lo + 1.1).abs() < 1e-12 && (hi - 1.1).abs() < 1e-12);
    }

    #[test]
    fn labels() {
        assert_eq!(label(0.25, true, 0), "25%");
        assert_eq!(label(-0.0001, true, 0), "0%");
        assert_eq!(label(0.125, true, 1), "12.5%");
        assert_eq!(label(-1_234_567.5, false, 1), "-1,234,567.5");
        assert_eq!(label(1234.0, false, 0), "1,234");
        assert_eq!(label(999.0, false, 0), "999");
        assert_eq!(label(0.35, false, 2), "0.35");
        assert_eq!(decimals(1.0, true, 11), 0);
        assert_eq!(decimals(1.0, false, 11), 1);
        assert_eq!(decimals(0.06, true, 11), 0);
        assert_eq!(decimals(0.03, false, 11), 3);
        assert_eq!(decimals(50_000.0, false, 10), 0);
    }
}
