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
