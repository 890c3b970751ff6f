//! `init --from` on headers that are not plain identifiers: quotes, backslashes, non-ASCII
//! letters and symbols, and a line break. The config it writes must load and name every column
//! exactly as the header does, so training on the same file finds them all.

use leadscore::config::{Config, FeatureKind};

use crate::commands::succeeded;
use crate::util::Env;

/// An export whose headers need quoting or escaping in TOML: two categories, two numbers, two
/// outcomes (one burden), and a free-text column whose header holds a line break.
fn awkward_csv() -> String {
    let mut csv = String::from(
        "kunden_id,\"annual \"\"gross\"\" revenue\",path\\to,Umsatz (€),número,lifetime_revenue,\"support \"\"hours\"\"\",\"call\nnotes\"\n",
    );
    for i in 0..40usize {
        csv.push_str(&format!(
            "K{i:03},{},{},{}.5,{},{}.25,{}.5,note {i}\n",
            1000 + 37 * i,
            ["north", "south"][i % 2],
            10 + (i % 7) * 3,
            ["x", "y", "z"][i % 3],
            500 + 11 * i,
            i % 9,
        ));
    }
    csv
}

#[test]
fn init_from_headers_with_quotes_backslashes_and_non_ascii_writes_a_config_naming_them_exactly() {
    let env = Env::new();
    env.write("export.csv", awkward_csv());
    let run = env.run(&["init", "--from", "export.csv", "-o", "guess.toml"]);
    succeeded(&run);
    assert_eq!(
        run.stderr,
        "Wrote guess.toml.\n  from 40 rows: id kunden_id, 2 categorical and 2 numeric features, 2 outcome columns\nCheck every line marked CHECK, then run `leadscore train --history FILE`.\n"
    );
    let text = env.read("guess.toml");
    // Headers named in comments stay on their comment line.
    for line in [
        "# CHECK: guessed from the column \"Umsatz (€)\".",
        "# not used: call\\nnotes (free text: 40 distinct values in 40 rows)",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }

    // The project's own loader reads back every name exactly as the header spells it.
    let config = Config::load(&env.path("guess.toml")).unwrap();
    assert_eq!(config.id, "kunden_id");
    assert_eq!(config.economics.currency, "EUR");
    let features: Vec<(&str, bool)> = config
        .features
        .iter()
        .map(|f| (f.name.as_str(), f.kind == FeatureKind::Categorical))
        .collect();
    assert_eq!(
        features,
        [
            ("path\\to", true),
            ("número", true),
            ("annual \"gross\" revenue", false),
            ("Umsatz (€)", false),
        ]
    );
    assert_eq!(
        config.economics.columns(),
        ["lifetime_revenue", "support \"hours\""]
    );
    assert_eq!(config.economics.service_burden[0].name, "support");

    // And training on the file it was guessed from finds every one of those columns.
    succeeded(&env.run(&["train", "--history", "export.csv", "--config", "guess.toml"]));
    assert!(env.exists("models/v0001/model.json"));
}

/// A CRM export with the day each customer was won (ISO, a few blank, few distinct days, so it
/// would pass for a category), a churn date and a sign-up date in a local order.
fn dated_csv() -> String {
    let mut csv = String::from(
        "account_id,won_on,segment,seats,churned_on,signed,lifetime_revenue,support_hours\n",
    );
    for i in 0..40usize {
        let won = if i % 17 == 5 {
            String::new()
        } else {
            format!("2026-0{}-1{}", 1 + i % 9, i % 3)
        };
        let churned = if i % 4 == 0 { "2026-11-02" } else { "" };
        csv.push_str(&format!(
            "A{i:03},{won},{},{},{churned},{:02}.0{}.2025,{}.5,{}.5\n",
            ["smb", "mid"][i % 2],
            1 + i % 13,
            1 + i % 28,
            1 + i % 9,
            900 + 41 * i,
            10 + i % 7,
        ));
    }
    csv
}

#[test]
fn init_from_proposes_a_column_of_iso_dates_as_columns_date_and_never_a_date_as_a_feature() {
    let env = Env::new();
    env.write("export.csv", dated_csv());
    let run = env.run(&["init", "--from", "export.csv", "-o", "guess.toml"]);
    succeeded(&run);
    assert_eq!(
        run.stderr,
        "Wrote guess.toml.\n  \
         from 40 rows: id account_id, date won_on, 1 categorical and 1 numeric features, 2 outcome columns\n  \
         signed: dates, but not ISO (YYYY-MM-DD); write them as 2026-11-30 to use the column as columns.date\n\
         Check every line marked CHECK, then run `leadscore train --history FILE`.\n"
    );
    let text = env.read("guess.toml");
    for line in [
        "# CHECK: the day each customer was won, as ISO dates (2026-11-30): retrain holds out the",
        "date = \"won_on\"",
        "categorical = [\"segment\"]",
        "numeric = [\"seats\"]",
        "# not used: churned_on (dates are never features; columns.date names the day a customer was won)",
        "# not used: signed (dates not in ISO form (YYYY-MM-DD), so not read as dates: 11/03/2026 is March to some and November to others)",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }
    let config = Config::load(&env.path("guess.toml")).unwrap();
    assert_eq!(config.date.as_deref(), Some("won_on"));
    let features: Vec<&str> = config.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(features, ["segment", "seats"]);
    succeeded(&env.run(&["train", "--history", "export.csv", "--config", "guess.toml"]));
}
