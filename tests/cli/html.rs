//! The HTML page in a real browser: `leadscore export data/leads.csv --format html` writes the
//! page of the shipped leads, headless Chromium loads it, takes a screenshot and dumps the DOM;
//! the test checks the title and headline, and that the chart is drawn: inside the plot area
//! (found by its background colour) there are dots of every tier the leads have, and the
//! break-even line. The page `--components --breakdown` writes is loaded too: in the DOM the
//! browser built, each top lead's row still holds its terms and its breakdown.
//!
//! No browser, no check: where Chromium cannot be found the test says so on standard error (past
//! the test harness's capture) and in `target/tmp/html-browser-test.txt`, which `.ci/run` prints,
//! and returns without passing judgement on the page. It never counts a page it did not see as
//! seen. The page and the screenshot stay in `target/tmp/html/` for a person to look at.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leadscore::economics::Tier;
use leadscore::write::html::{BREAK_EVEN_COLOUR, PLOT_BACKGROUND, TIER_COLOURS};

use crate::util::{repo, Env};

const TEST: &str = "html_page_renders_in_chromium";
const WINDOW: (u32, u32) = (1280, 2400);
/// Long enough for a cold start on a loaded 2-core machine; a hung browser fails the test.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `leadscore export data/leads.csv --format html -o page.html` with `more` flags and the
/// shipped model, copies the page to `page`, and returns what the run said on standard error.
fn export_page(more: &[&str], page: &Path) -> String {
    let env = Env::new();
    env.copy("data/leads.csv", "data/leads.csv");
    env.copy("models/model.json", "models/model.json");
    let mut args = vec![
        "export",
        "data/leads.csv",
        "--format",
        "html",
        "-o",
        "page.html",
    ];
    args.extend(more);
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::copy(env.path("page.html"), page).unwrap();
    run.stderr
}

/// The page of the shipped leads as `leadscore export data/leads.csv --format html -o page.html`
/// writes it with the shipped model, copied to `page`; and how many leads each tier has, as the
/// library scores them, for what the chart must show.
fn shipped_page(page: &Path) -> [u64; 4] {
    let stderr = export_page(&[], page);
    assert!(stderr.contains("as html to page.html"), "{stderr}");

    let model = leadscore::model::Model::load(&repo("models/model.json")).unwrap();
    let (_, scored) = crate::util::score_with_library(&model, &repo("data/leads.csv"));
    let mut tiers = [0u64; 4];
    for (_, lead) in &scored {
        tiers[lead.tier as usize] += 1;
    }
    tiers
}

/// Chromium, where a Debian install or the user put it: `LEADSCORE_CHROMIUM`, then
/// `/usr/bin/chromium`, then `chromium` or `chromium-browser` on the PATH. An empty
/// `LEADSCORE_CHROMIUM` means none (to see the skip, loud as ever, on a machine that has one).
fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LEADSCORE_CHROMIUM") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    let debian = PathBuf::from("/usr/bin/chromium");
    if debian.is_file() {
        return Some(debian);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// Says what happened to the browser check where a person will see it: on standard error
/// written directly (the harness captures only `eprintln!`), and in a file `.ci/run` prints.
fn report(status: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("html-browser-test.txt"), format!("{status}\n"));
    let _ = writeln!(std::io::stderr(), "{status}");
}

/// Runs Chromium headless on `page` with `args` added, killed after [`BROWSER_TIMEOUT`];
/// returns its standard output.
fn chromium(browser: &Path, profile: &Path, page: &Path, args: &[String]) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    // Read both pipes on threads so a chatty browser cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} did not finish within {BROWSER_TIMEOUT:?}; stderr:\n{}",
                browser.display(),
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "{} failed ({status}):\n{err}",
        browser.display()
    );
    out
}

/// A decoded screenshot, 8-bit RGB.
struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

impl Picture {
    fn open(path: &Path) -> Picture {
        let mut decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).unwrap();
        let channels = frame.color_type.samples();
        assert!(channels >= 3, "{:?}", frame.color_type);
        let rgb = buf[..frame.buffer_size()]
            .chunks_exact(channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Picture {
            width: frame.width as usize,
            height: frame.height as usize,
            rgb,
        }
    }

    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        self.rgb[y * self.width + x]
    }

    /// The box of the area painted `colour`: (left, top, right, bottom), inclusive. Only rows
    /// and columns with at least `dense` such pixels count, and only the longest run of them
    /// (gaps of up to 4 pixels bridged), so that pixels of that shade at anti-aliased edges
    /// elsewhere do not stretch the box.
    fn area_of(&self, colour: [u8; 3], dense: usize) -> Option<(usize, usize, usize, usize)> {
        let mut rows = vec![0usize; self.height];
        let mut cols = vec![0usize; self.width];
        for (i, &p) in self.rgb.iter().enumerate() {
            if close(p, colour, 2) {
                rows[i / self.width] += 1;
                cols[i % self.width] += 1;
            }
        }
        // The longest run of dense rows (columns), bridging the few pixels of a grid line: the
        // area itself, not a stray line of the same shade elsewhere.
        let span = |counts: &[usize]| {
            let dense_at: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] >= dense).collect();
            let mut best: Option<(usize, usize)> = None;
            let mut run = *dense_at.first()?;
            for (k, &i) in dense_at.iter().enumerate() {
                let next = dense_at.get(k + 1);
                if next.is_none_or(|&n| n - i > 4) {
                    if best.is_none_or(|(a, b)| i - run > b - a) {
                        best = Some((run, i));
                    }
                    if let Some(&n) = next {
                        run = n;
                    }
                }
            }
            best
        };
        let ((l, r), (t, b)) = (span(&cols)?, span(&rows)?);
        Some((l, t, r, b))
    }

    /// How many pixels inside `area` are within `tolerance` of `colour` on every channel.
    fn count(&self, area: (usize, usize, usize, usize), colour: [u8; 3], tolerance: u8) -> usize {
        let (l, t, r, b) = area;
        (t..=b)
            .flat_map(|y| (l..=r).map(move |x| (x, y)))
            .filter(|&(x, y)| close(self.at(x, y), colour, tolerance))
            .count()
    }
}

fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(&p, q)| p.abs_diff(q) <= tolerance)
}

/// `#1a9641` → `[0x1a, 0x96, 0x41]`.
fn rgb(hex: &str) -> [u8; 3] {
    let n = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

#[test]
fn html_page_renders_in_chromium() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("page.html");
    let shot = dir.join("screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let tiers = shipped_page(&page);

    let Some(browser) = find_chromium() else {
        report(&format!(
            "\n{bar}\nSKIPPED: {TEST} — no Chromium found (install Debian's chromium, or set \
             LEADSCORE_CHROMIUM); the page was NOT checked in a browser\n{bar}\n",
            bar = "!".repeat(78)
        ));
        return;
    };
    let profile = tempfile::tempdir().unwrap();

    // The DOM as the browser built it: the page parsed, titled and headed as written.
    let dom = chromium(&browser, profile.path(), &page, &["--dump-dom".into()]);
    assert!(
        dom.contains("<title>Scored leads: leads.csv</title>"),
        "{dom:.2000}"
    );
    assert!(dom.contains("<h1>Scored leads: leads.csv</h1>"));
    assert!(dom.contains("Expected return against expected burden"));
    assert!(dom.contains("All 1,000 leads are drawn."));
    assert!(dom.contains("<svg class=\"scatter\""));

    chromium(
        &browser,
        profile.path(),
        &page,
        &[format!("--screenshot={}", shot.display())],
    );
    let pic = Picture::open(&shot);
    assert_eq!(
        (pic.width, pic.height),
        (WINDOW.0 as usize, WINDOW.1 as usize)
    );

    // The plot area is the one place with its background colour; the dots sit on it.
    let plot = pic
        .area_of(rgb(PLOT_BACKGROUND), 100)
        .expect("no plot area in the screenshot: the chart was not drawn");
    let (l, t, r, b) = plot;
    assert!(
        r - l > 400 && b - t > 250,
        "the plot area is only {}×{} pixels",
        r - l,
        b - t
    );
    for tier in Tier::ALL {
        let leads = tiers[tier as usize];
        let pixels = pic.count(plot, rgb(TIER_COLOURS[tier as usize]), 24);
        if leads > 0 {
            // A dot is a disc of radius 4: its inside is about 30 pixels of the tier's colour,
            // though neighbours may cover most of it.
            assert!(
                pixels >= 12,
                "tier {}: {leads} leads but {pixels} dot pixels in the plot",
                tier.as_str()
            );
        } else {
            assert!(
                pixels < 4,
                "tier {}: no leads but {pixels} pixels",
                tier.as_str()
            );
        }
    }
    let line = pic.count(plot, rgb(BREAK_EVEN_COLOUR), 40);
    assert!(line >= 100, "break-even line: {line} pixels");

    let broken_down = breakdown_page_in(&browser, profile.path(), &dir);
    report(&format!(
        "RAN: {TEST} — {} checked the page in {}: plot {}×{} px at ({l}, {t}), break-even line {line} px; {broken_down}",
        browser.display(),
        shot.display(),
        r - l,
        b - t
    ));
}

/// `export --components --breakdown`'s page as the browser builds it: each of the 50 top leads'
/// rows keeps its two `<details>` in its last two cells (a table's parser moves what it cannot
/// hold out of the table, so a misplaced tag would show here, not in the text), closed: every
/// economics term (its units on a line of their own where it has them) and the two sides'
/// totals, then the baseline, every feature's part, the floors and the net. Says what it saw.
fn breakdown_page_in(browser: &Path, profile: &Path, dir: &Path) -> String {
    let page = dir.join("breakdown.html");
    export_page(&["--components", "--breakdown"], &page);
    let dom = chromium(browser, profile, &page, &["--dump-dom".into()]);
    let table = dom
        .split_once("<table class=\"leads\">")
        .and_then(|(_, rest)| rest.split_once("</table>"))
        .map(|(table, _)| table)
        .unwrap_or_else(|| panic!("no top-leads table in the DOM: {dom:.2000}"));
    // A lead's row, not the row of its carried input columns under it.
    let rows: Vec<&str> = table
        .split("<tr")
        .skip(2)
        .filter(|row| !row.starts_with(" class=\"input\""))
        .collect();
    assert_eq!(rows.len(), 50, "top-leads rows in the DOM");
    let model = leadscore::model::Model::load(&repo("models/model.json")).unwrap();
    let features = model.feature_specs().len();
    let parts = leadscore::model::components::Components::from_model(&model)
        .unwrap()
        .parts;
    let with_units = parts.iter().filter(|p| p.unit_column.is_some()).count();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<&str> = row.split("<td class=\"parts\">").skip(1).collect();
        assert_eq!(cells.len(), 2, "row {}: {row:.1500}", i + 1);
        for cell in &cells {
            assert!(
                cell.starts_with("<details><summary>Part by part</summary><dl class=\"parts\">"),
                "row {}: {cell:.500}",
                i + 1
            );
            // Closed until clicked: the browser adds `open` only when the markup asks.
            assert!(!cell.starts_with("<details open"), "row {}", i + 1);
            assert!(cell.contains("</dl></details></td>"), "row {}", i + 1);
        }
        let (components, breakdown) = (cells[0], cells[1]);
        // Every term and the two totals; the units of those that have them.
        assert_eq!(
            components.matches("<dt").count(),
            parts.len() + 2,
            "row {}",
            i + 1
        );
        assert_eq!(
            components.matches("<span class=\"u\">").count(),
            with_units,
            "row {}",
            i + 1
        );
        // The baseline, each feature, the floors and the net.
        assert_eq!(
            breakdown.matches("<dt").count(),
            features + 3,
            "row {}",
            i + 1
        );
    }
    format!("the --components --breakdown page's 50 top rows each keep their {} terms and their breakdown ({features} features) in the DOM", parts.len())
}
