//! `export --profile`: the CSV a CRM's import tool takes. The built-in profiles' headers (the
//! CRM field names the README documents) and one full row are pinned; a profile of the config
//! writes `;` and decimal commas; the config's personal columns leave every export except a
//! profile that names them; an unknown profile is an error that lists the profiles there are.

use crate::commands::{succeeded, trained_env, Table, CONFIG, LEADS};
use crate::util::Env;

/// The best fixture lead, as `score` writes its figures: the first row of every export.
const L07_DESCRIPTION: &str = "\"Net value 45679.51 (43957.97 to 47568.25), contact, scored 2026-09-21: employees=50,000 +22,098; industry=software +4,769; first_order_value=2,000 -1,153\"";

/// The first two lines an export with `args` writes to standard output.
fn head(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["export", LEADS];
    all.extend(args);
    let run = env.run(&all);
    succeeded(&run);
    run.stdout.lines().take(2).collect::<Vec<_>>().join("\n")
}

#[test]
fn salesforce_writes_a_lead_import_with_the_lead_fields() {
    let env = trained_env();
    assert_eq!(
        head(&env, &["--profile", "salesforce"]),
        format!("Id,Rating,Leadscore_Net_Value__c,Description\nL07,Hot,45679.51,{L07_DESCRIPTION}")
    );
}

#[test]
fn hubspot_writes_a_contact_import_with_its_property_labels() {
    let env = trained_env();
    assert_eq!(
        head(&env, &["--profile", "hubspot"]),
        format!("Record ID,Leadscore net value,Leadscore tier,Leadscore recommendation,Leadscore scored on,Leadscore reasons\nL07,45679.51,A,contact,2026-09-21,{L07_DESCRIPTION}")
    );
}

#[test]
fn a_profile_has_every_lead_with_the_figures_score_writes() {
    let env = trained_env();
    let score = env.run(&["score", LEADS]);
    succeeded(&score);
    let score = Table::parse(&score.stdout);
    let run = env.run(&["export", LEADS, "--profile", "salesforce", "-o", "sf.csv"]);
    succeeded(&run);
    let sf = Table::parse(&env.read("sf.csv"));
    assert_eq!(sf.column("Id"), score.ids());
    assert_eq!(
        sf.column("Leadscore_Net_Value__c"),
        score.column("expected_net")
    );
    let ratings: Vec<&str> = score
        .column("tier")
        .iter()
        .map(|t| match *t {
            "A" => "Hot",
            "B" => "Warm",
            _ => "Cold",
        })
        .collect();
    assert_eq!(sf.column("Rating"), ratings);
}

/// The fixture config with an `[export]` section: `email` is personal, and `crm_de` writes a
/// German Excel's CSV (`;`, decimal comma, grouped thousands, day.month.year) with the email.
const EXPORT: &str = r#"
[export]
personal = ["email"]

[export.profiles.crm_de]
delimiter = ";"
decimal_comma = true
thousands = "."
date_format = "%d.%m.%Y"
fields = [
  { name = "Lead-ID", from = "id" },
  { name = "E-Mail", column = "email" },
  { name = "Nettowert", from = "expected_net" },
  { name = "Spanne", template = "{net_low} bis {net_high}" },
  { name = "Priorität", from = "tier", map = { A = "hoch", B = "mittel", C = "niedrig", D = "niedrig" } },
  { name = "Bewertet am", from = "scored_on" },
  { name = "Gründe", from = "reasons", max_length = 40 },
]
"#;

/// `trained_env` with the fixture leads given an email column and the config an `[export]`.
fn env_with_emails() -> Env {
    let env = trained_env();
    let leads = env.read(LEADS);
    let mut with_email = String::new();
    for (i, line) in leads.lines().enumerate() {
        let email = if i == 0 {
            "email".to_string()
        } else {
            format!("rep{}@example.com", i + 1)
        };
        with_email.push_str(&format!("{line},{email}\n"));
    }
    env.write(LEADS, with_email);
    env.write(CONFIG, env.read(CONFIG) + EXPORT);
    env
}

#[test]
fn a_config_profile_writes_semicolons_decimal_commas_and_the_email_it_names() {
    let env = env_with_emails();
    let run = env.run(&["export", LEADS, "--profile", "crm_de"]);
    succeeded(&run);
    let lines: Vec<&str> = run.stdout.lines().take(3).collect();
    assert_eq!(
        lines,
        [
            "Lead-ID;E-Mail;Nettowert;Spanne;Priorität;Bewertet am;Gründe",
            "L07;rep8@example.com;45.679,51;43.957,97 bis 47.568,25;hoch;21.09.2026;\"employees=50,000 +22,098; industry=soft…\"",
            "L02;rep3@example.com;35.721,36;34.299,51 bis 37.281,28;hoch;21.09.2026;\"employees=250 +6,559; industry=software…\"",
        ]
    );
    // The same with the config named.
    let named = env.run(&["export", LEADS, "--profile", "crm_de", "--config", CONFIG]);
    succeeded(&named);
    assert_eq!(named.stdout, run.stdout);
    // The email is personal, but the profile names it: written, and not said to be left out.
    assert!(!run.stderr.contains("Left out"), "{}", run.stderr);
    // Asking to redact a column the profile writes is a contradiction, refused, never ignored.
    let run = env.run(&["export", LEADS, "--profile", "crm_de", "--redact", "email"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --redact email, but profile \"crm_de\" writes it; remove it from the profile's fields, or leave out --redact email\n"
    );
}

#[test]
fn bom_true_starts_each_file_with_a_byte_order_mark_for_excel() {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let env = env_with_emails();
    succeeded(&env.run(&["export", LEADS, "--profile", "crm_de", "-o", "plain.csv"]));
    env.write(
        CONFIG,
        env.read(CONFIG).replace(
            "decimal_comma = true\n",
            "decimal_comma = true\nbom = true\n",
        ),
    );
    succeeded(&env.run(&["export", LEADS, "--profile", "crm_de", "-o", "excel.csv"]));
    let plain = std::fs::read(env.path("plain.csv")).unwrap();
    let excel = std::fs::read(env.path("excel.csv")).unwrap();
    assert!(plain.starts_with("Lead-ID;".as_bytes()));
    assert_eq!(excel, [BOM, &plain[..]].concat());
    // Every file of a split has one, once; the index is leadscore's own and has none.
    succeeded(&env.run(&[
        "export",
        LEADS,
        "--profile",
        "crm_de",
        "--split-by",
        "region",
        "-o",
        "split",
    ]));
    let files = env.files("split");
    assert_eq!(files, ["index.csv", "north.csv", "south.csv"]);
    for name in ["north.csv", "south.csv"] {
        let bytes = std::fs::read(env.path(&format!("split/{name}"))).unwrap();
        assert!(bytes.starts_with(BOM), "{name}");
        assert!(!bytes[3..].windows(3).any(|w| w == BOM), "{name}");
    }
    assert!(!std::fs::read(env.path("split/index.csv"))
        .unwrap()
        .starts_with(BOM));
    // The built-in profiles write none: their importers take UTF-8 as it is.
    for profile in ["salesforce", "hubspot"] {
        let run = env.run(&["export", LEADS, "--profile", profile]);
        succeeded(&run);
        assert!(!run.stdout.starts_with('\u{feff}'), "{profile}");
    }
}

#[test]
fn personal_columns_leave_every_export_but_a_profile_that_names_them() {
    let env = env_with_emails();
    for format in ["csv", "json", "jsonl"] {
        let run = env.run(&["export", LEADS, "--format", format]);
        succeeded(&run);
        assert!(
            !run.stdout.contains("example.com"),
            "{format}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("email"), "{format}");
    }
    let csv = env.run(&["export", LEADS]);
    assert!(
        csv.stdout.starts_with("lead_id,expected_return,"),
        "{}",
        csv.stdout
    );
    assert!(csv
        .stdout
        .lines()
        .next()
        .unwrap()
        .ends_with(",first_order_value"));
    // --redact adds to the config's list.
    let run = env.run(&["export", LEADS, "--redact", "company"]);
    succeeded(&run);
    assert!(!run.stdout.contains("Giant Software SA"));
    assert!(!run.stdout.contains("example.com"));
}

#[test]
fn an_unknown_profile_lists_the_profiles_there_are() {
    let env = env_with_emails();
    let run = env.run(&["export", LEADS, "--profile", "crm-de"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: no profile \"crm-de\" (did you mean \"crm_de\"?); the profiles are hubspot, salesforce (built in) and crm_de (in leadscore.toml)\n"
    );
    assert!(!env.exists("out.csv"));
    let plain = trained_env();
    let run = plain.run(&["export", LEADS, "--profile", "pipedrive"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: no profile \"pipedrive\"; the profiles are hubspot, salesforce (built in); define your own under [export.profiles.NAME] in leadscore.toml\n"
    );
}

#[test]
fn a_profile_naming_a_missing_column_or_another_format_is_refused() {
    let env = trained_env();
    env.write(
        CONFIG,
        env.read(CONFIG)
            + "\n[[export.profiles.mine.fields]]\nname = \"Mail\"\ncolumn = \"emial\"\n",
    );
    let run = env.run(&["export", LEADS, "--profile", "mine"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: leads.csv: no column \"emial\" (named by field \"Mail\" of profile \"mine\"); the header has: lead_id, company, industry, region, account_manager, employees, first_order_value\n"
    );
    let run = env.run(&["export", LEADS, "--profile", "salesforce", "-o", "x.xlsx"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --profile writes the CSV a CRM imports, not xlsx; leave out --format or write to a .csv file\n"
    );
    // A mistake in the config's profile names its line.
    let config = env
        .read(CONFIG)
        .replace("column = \"emial\"", "from = \"emial\"");
    let line = 1 + config.lines().position(|l| l.contains("emial")).unwrap();
    env.write(CONFIG, config);
    let run = env.run(&["export", LEADS, "--profile", "salesforce"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!("error: leadscore.toml:{line}: export.profiles.mine: field \"Mail\": from = \"emial\" is not one of ours (id, expected_return, expected_burden, expected_net, net_low, net_high, return_to_burden, tier, recommendation, reasons, warnings, scored_on); an input column is column = \"emial\"\n")
    );
}
