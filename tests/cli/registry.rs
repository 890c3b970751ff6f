//! `models list|show|diff|promote|rollback|prune` on the real binary: rolling back restores the
//! scores of before byte for byte, the current version is never pruned, a version that does not
//! load never becomes current, the layout before the registry is version 1 until a retrain
//! imports it, and the JSON of every listing agrees with its text. Histories are generated (see
//! `retrain`), so nothing here depends on data/ or tests/fixtures.

use crate::commands::succeeded;
use crate::retrain::{
    csv, customers, json, leads, line, moved_batch, same_tree, scores, snapshot, trained,
    worse_batch, Market, CONFIG,
};
use crate::util::{Env, Run};

/// Asserts a run failed with exit 2 and exactly `stderr`.
#[track_caller]
fn refused(run: &Run, stderr: &str) {
    assert_eq!(run.code, 2, "{}{}", run.stderr, run.stdout);
    assert_eq!(run.stderr, stderr);
    assert_eq!(run.stdout, "");
}

/// Runs and asserts exit 0 with exactly `stdout`.
#[track_caller]
fn prints(env: &Env, args: &[&str], stdout: &str) {
    let run = env.run(args);
    succeeded(&run);
    assert_eq!(run.stdout, stdout, "{args:?}");
}

#[test]
fn rollback_restores_the_scores_of_before_and_prune_never_removes_the_current_version() {
    let (env, base) = trained();
    let original = scores(&env);
    env.write("new.csv", csv(&moved_batch(&base)));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    let promoted = scores(&env);
    assert_ne!(promoted, original);

    prints(
        &env,
        &["models", "rollback"],
        "Rolled back: v0001 is current again (was v0002).\n",
    );
    assert_eq!(scores(&env), original);
    assert_eq!(
        json(&env, "models/current.json"),
        serde_json::json!({
            "version": "v0001",
            "previous": [],
            "since": "2026-09-21T14:13:20Z",
            "reason": "rolled back from v0002",
        })
    );
    let list = env.run(&["models", "list"]);
    assert!(list.stdout.ends_with(
        "\nCurrent: v0001 since 2026-09-21T14:13:20Z (rolled back from v0002).\nNothing to roll back to.\n"
    ));
    let before = snapshot(&env.path("models"));
    refused(
        &env.run(&["models", "rollback"]),
        "error: nothing to roll back to: v0001 was not preceded by another version still kept in models\n",
    );
    same_tree(&before, &snapshot(&env.path("models")));

    prints(
        &env,
        &["models", "promote", "v2"],
        "v0002 is now current (was v0001).\n",
    );
    assert_eq!(scores(&env), promoted);
    prints(
        &env,
        &["models", "promote", "2"],
        "v0002 is current already.\n",
    );
    prints(
        &env,
        &["models", "rollback"],
        "Rolled back: v0001 is current again (was v0002).\n",
    );
    // The newest version is kept, and so is the current one, however few are asked for.
    prints(
        &env,
        &["models", "prune", "--keep", "1"],
        "Nothing to remove: v0001, v0002 kept (the current one is never removed).\n",
    );
    prints(
        &env,
        &["models", "promote", "v0002"],
        "v0002 is now current (was v0001).\n",
    );
    prints(
        &env,
        &["models", "prune", "--keep", "0"],
        "Removed v0001; kept v0002.\n",
    );
    assert!(!env.exists("models/v0001"));
    assert_eq!(
        json(&env, "models/current.json")["previous"],
        serde_json::json!([])
    );
    assert_eq!(scores(&env), promoted);
    refused(
        &env.run(&["models", "rollback"]),
        "error: nothing to roll back to: v0002 was not preceded by another version still kept in models\n",
    );
    refused(
        &env.run(&["models", "promote", "v1"]),
        "error: there is no v0001 in models (versions kept: v0002)\n",
    );
}

#[test]
fn a_models_directory_in_the_old_layout_is_version_1_until_a_retrain_imports_it() {
    let env = Env::new();
    env.write("leadscore.toml", CONFIG);
    env.write("leads.csv", leads());
    let base = customers(1..401, "2025-01-01", "2025-12-31", Market::BEFORE, 1);
    env.write("base.csv", csv(&base));
    // A model file written as one file is the layout before the registry (and the shipped one).
    succeeded(&env.run(&[
        "train",
        "--history",
        "base.csv",
        "--models",
        "models/model.json",
    ]));
    assert_eq!(env.files("models"), [".lock", "model.json"]);
    let legacy = std::fs::read(env.path("models/model.json")).unwrap();

    let run = env.run(&["score", "leads.csv", "--keep-order", "--model", "models"]);
    succeeded(&run);
    let original = run.stdout;
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "Scored 36 leads with model v0001 (models/model.json), trained 2026-09-21T14:13:20Z on 400 customers (EUR)."
    );
    let list = env.run(&["models", "list"]);
    succeeded(&list);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", list.stdout);
    assert!(
        lines[1].starts_with("* v0001    2026-09-21 train          400  -  "),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with("      -  current"), "{}", lines[1]);
    assert_eq!(
        lines[2..],
        [
            "             the only model, in models/model.json; a retrain keeps it as v0001; figures from its cross-validation",
            "",
            "Current: v0001.",
            "Nothing to roll back to.",
        ]
    );
    let show = env.run(&["models", "show", "v1"]);
    succeeded(&show);
    assert_eq!(
        show.stdout.lines().next().unwrap(),
        "v0001 (current): models/model.json by `train` on 2026-09-21T14:13:20Z (400 customers)."
    );
    assert_eq!(env.run(&["models", "show", "current"]).stdout, show.stdout);
    // Every command that would write treats it as the one version, and changes nothing.
    let before = snapshot(&env.path("models"));
    prints(
        &env,
        &["models", "promote", "v1"],
        "v0001 is current already.\n",
    );
    prints(
        &env,
        &["models", "prune", "--keep", "0"],
        "Nothing to remove: v0001 kept (the current one is never removed).\n",
    );
    refused(
        &env.run(&["models", "rollback"]),
        "error: models holds a single model (no versions yet), so there is nothing to roll back to\n",
    );
    refused(
        &env.run(&["models", "promote", "v2"]),
        "error: there is no v0002 in models (versions kept: v0001)\n",
    );
    same_tree(&before, &snapshot(&env.path("models")));

    // The first retrain imports it as v0001, byte for byte, and removes the old file.
    env.write("new.csv", csv(&moved_batch(&base)));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert!(
        run.stdout
            .contains("\nCurrent model v0001 (models/model.json) against the candidate, on "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("; now current, replacing v0001.\n"));
    assert!(!env.exists("models/model.json"));
    assert_eq!(
        env.files("models"),
        [".lock", "current.json", "v0001", "v0002"]
    );
    assert!(std::fs::read(env.path("models/v0001/model.json")).unwrap() == legacy);
    let info = json(&env, "models/v0001/version.json");
    assert_eq!(info["made_by"], "import");
    assert_eq!(info["decision"], "imported");
    assert_eq!(
        info["reason"],
        "the model that was in models/model.json before versions were kept"
    );
    assert_eq!(
        json(&env, "models/current.json")["previous"],
        serde_json::json!(["v0001"])
    );
    prints(
        &env,
        &["models", "rollback"],
        "Rolled back: v0001 is current again (was v0002).\n",
    );
    assert_eq!(scores(&env), original);
}

#[test]
fn a_version_whose_model_does_not_load_never_becomes_current() {
    let (env, base) = trained();
    env.write("new.csv", csv(&worse_batch(&base)));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 3, "{}{}", run.stderr, run.stdout);
    let original = scores(&env);
    let model = env.read("models/v0002/model.json");

    // Edited into something that is not JSON, and cut short (where depends on the model, so
    // only the start of that message is pinned).
    let cases = [
        (
            "{ edited by hand".to_string(),
            "error: models/v0002/model.json: not a leadscore model file (key must be a string at line 1 column 3)\n",
        ),
        (
            model[..model.len() / 2].to_string(),
            "error: models/v0002/model.json: corrupt model file: EOF while parsing ",
        ),
    ];
    for (text, expected) in cases {
        env.write("models/v0002/model.json", text);
        let before = snapshot(&env.path("models"));
        let run = env.run(&["models", "promote", "v0002"]);
        assert_eq!(run.code, 2, "{}{}", run.stderr, run.stdout);
        assert!(run.stderr.starts_with(expected), "{}", run.stderr);
        assert!(run.stderr.ends_with('\n') && run.stderr.lines().count() == 1);
        same_tree(&before, &snapshot(&env.path("models")));
        assert_eq!(scores(&env), original);
        // Listing still works: it reads the version records, not the models.
        succeeded(&env.run(&["models", "list"]));
    }

    // Nor by rolling back to it: v0003 is forced current, then v0002's model is damaged.
    env.write("models/v0002/model.json", &model);
    succeeded(&env.run(&["models", "promote", "v2"]));
    // (a retrain of the same batch would find nothing new, so `train` makes v0003)
    succeeded(&env.run(&["train", "--history", "base.csv"]));
    env.write("models/v0002/model.json", "{ edited by hand");
    let before = snapshot(&env.path("models"));
    refused(
        &env.run(&["models", "rollback"]),
        "error: models/v0002/model.json: not a leadscore model file (key must be a string at line 1 column 3)\n",
    );
    same_tree(&before, &snapshot(&env.path("models")));
    // The listing does not offer the rollback it would refuse.
    let list = env.run(&["models", "list"]);
    succeeded(&list);
    assert!(
        list.stdout.ends_with(
            "\nNo rollback: v0002, the version before, does not load; `leadscore models promote VERSION` makes a version that loads current.\n"
        ),
        "{}",
        list.stdout
    );
    let list = env.run(&["models", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(list["rollback_to"], serde_json::Value::Null);
    assert_eq!(list["rollback_refused"], "v0002");
}

#[test]
fn models_list_show_and_diff_in_json_agree_with_the_text() {
    let (env, base) = trained();
    env.write("new.csv", csv(&moved_batch(&base)));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    let text = |args: &[&str]| {
        let run = env.run(args);
        succeeded(&run);
        run.stdout
    };
    let parsed = |args: &[&str]| -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&text(&all)).unwrap()
    };
    let whole = |v: &serde_json::Value| {
        let amount = leadscore::economics::signed_whole(v.as_f64().unwrap());
        amount.trim_start_matches('+').to_string()
    };

    // list: one entry per version, newest first, with the text's figures and reasons.
    let list = parsed(&["models", "list"]);
    let list_text = text(&["models", "list"]);
    assert_eq!(list["current"], "v0002");
    assert_eq!(list["rollback_to"], "v0001");
    assert_eq!(
        line(&list_text, "Current: "),
        format!(
            "Current: v0002 since {} ({}).",
            list["since"].as_str().unwrap(),
            list["current_reason"].as_str().unwrap()
        )
    );
    let entries = list["versions"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for (entry, star) in entries.iter().zip(["* ", "  "]) {
        let version = entry["version"].as_str().unwrap();
        let row = line(&list_text, &format!("{star}{version} "));
        assert_eq!(entry["current"], star == "* ");
        for key in ["made_by", "decision"] {
            assert!(row.contains(entry[key].as_str().unwrap()), "{row}");
        }
        assert!(row.contains(&format!(" {} ", entry["customers"])), "{row}");
        assert!(
            row.contains(&format!(" {} ", whole(&entry["mae_net"]))),
            "{row}"
        );
        let reason = format!(
            "             {}; figures from its {}",
            entry["reason"].as_str().unwrap(),
            entry["measured_on"].as_str().unwrap()
        );
        assert!(list_text.lines().any(|l| l == reason), "{reason}");
    }

    // show: the record, the file, the features and every effect as the text lists them.
    let show = parsed(&["models", "show", "v0002"]);
    let show_text = text(&["models", "show", "v0002"]);
    assert_eq!(show["version"], "v0002");
    assert_eq!(show["current"], true);
    assert_eq!(show["file"], "models/v0002/model.json");
    assert_eq!(
        show["features"],
        serde_json::json!(["industry", "region", "employees"])
    );
    assert_eq!(
        show_text.lines().next().unwrap(),
        format!(
            "v0002 (current): models/v0002/model.json by `retrain` on {} (700 customers).",
            show["created_at"].as_str().unwrap()
        )
    );
    let effects = show["effects"].as_array().unwrap();
    let listed: Vec<&str> = show_text
        .lines()
        .filter(|l| l.starts_with("    "))
        .collect();
    assert_eq!(listed.len(), effects.len());
    for (e, l) in effects.iter().zip(&listed) {
        let net = leadscore::economics::signed_whole(e["net"].as_f64().unwrap());
        assert_eq!(
            l.split_whitespace().collect::<Vec<_>>(),
            [e["level"].as_str().unwrap(), net.as_str()]
        );
    }

    // `current` names the version current.json names, wherever a version is named.
    assert_eq!(parsed(&["models", "show", "current"]), show);
    assert_eq!(text(&["models", "show", "current"]), show_text);
    assert_eq!(
        text(&["models", "diff", "v1", "current"]),
        text(&["models", "diff", "v1", "v2"])
    );
    assert_eq!(
        text(&["models", "promote", "current"]),
        "v0002 is current already.\n"
    );
    // A version `train` made was measured by its cross-validation alone: its MAE is said once.
    // One a retrain promoted was also measured on a holdout, said on a line of its own.
    let v1 = text(&["models", "show", "v1"]);
    let mae = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("Decision: ") && l.contains("MAE"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(mae(&v1).len(), 1, "{v1}");
    assert!(
        mae(&v1)[0].starts_with("Cross-validated net value: MAE EUR ") && v1.contains(", Gini "),
        "{v1}"
    );
    assert_eq!(mae(&show_text).len(), 2, "{show_text}");
    assert!(
        mae(&show_text)[1].starts_with("On its holdout of "),
        "{show_text}"
    );

    // diff: from and to as show gives them, and each moved effect as the text lists it.
    let diff = parsed(&["models", "diff", "v1", "v2"]);
    let diff_text = text(&["models", "diff", "v1", "v2"]);
    assert_eq!(diff["to"], show);
    assert_eq!(diff["from"], parsed(&["models", "show", "v1"]));
    assert_eq!(
        diff_text.lines().next().unwrap(),
        "v0001 → v0002: 400 customers → 700 customers."
    );
    let moved = diff["moved"].as_array().unwrap();
    assert!(!moved.is_empty());
    for m in moved {
        let shown = format!(
            "{}={}",
            m["feature"].as_str().unwrap(),
            m["level"].as_str().unwrap()
        );
        let l = line(&diff_text, &format!("  {shown} "));
        let signed = |k: &str| leadscore::economics::signed_whole(m[k].as_f64().unwrap());
        assert_eq!(
            l.split_whitespace().collect::<Vec<_>>(),
            [shown.as_str(), &signed("before"), "→", &signed("after")]
        );
    }
    assert_eq!(diff["added_features"], serde_json::json!([]));
    assert_eq!(diff["dropped_features"], serde_json::json!([]));
}

#[test]
fn an_unknown_version_is_named_with_the_versions_kept() {
    let (env, base) = trained();
    env.write("new.csv", csv(&worse_batch(&base)));
    assert_eq!(env.run(&["retrain", "--history", "new.csv"]).code, 3);
    let before = snapshot(&env.path(""));
    for args in [
        &["models", "show", "v9"][..],
        &["models", "show", "v0009", "--format", "json"],
        &["models", "diff", "v1", "9"],
        &["models", "promote", "v9"],
    ] {
        refused(
            &env.run(args),
            "error: there is no v0009 in models (versions kept: v0001, v0002)\n",
        );
    }
    refused(
        &env.run(&["models", "show", "latest"]),
        "error: \"latest\" is not a version; name one like v0002, or current (see `leadscore models list`)\n",
    );
    // A mistyped directory is not created by a command that would write to it.
    for args in [
        &["models", "promote", "v1", "--models", "modles"][..],
        &["models", "rollback", "--models", "modles"],
        &["models", "prune", "--keep", "1", "--models", "modles"],
    ] {
        refused(
            &env.run(args),
            "error: modles: no such models directory; train a model into it with `leadscore train --history FILE --models DIR`\n",
        );
    }
    same_tree(&before, &snapshot(&env.path("")));
}

/// A version's "customers won A to B" spans the dates of every row the training read: a row
/// left out for a blank outcome still counts (it is in the history kept beside the model),
/// a missing-value text (`n/a`) and a blank date do not.
#[test]
fn a_versions_won_dates_span_every_row_read_with_a_date() {
    let env = Env::new();
    env.write("leadscore.toml", CONFIG);
    let mut text = csv(&customers(
        1..401,
        "2025-01-01",
        "2025-12-31",
        Market::BEFORE,
        1,
    ));
    // The earliest date is on a row with no support hours, left out of the fit.
    text.push_str("C0401,Company 401,2024-06-30,retail,north,12,9000.00,\n");
    // The last rows: a missing-value text and a blank date, after the latest real one.
    text.push_str("C0402,Company 402,n/a,retail,north,12,9000.00,20.0\n");
    text.push_str("C0403,Company 403,,retail,north,12,9000.00,20.0\n");
    env.write("base.csv", text);
    succeeded(&env.run(&["train", "--history", "base.csv"]));
    let version = json(&env, "models/v0001/version.json");
    assert_eq!(
        (&version["first_won"], &version["last_won"]),
        (&"2024-06-30".into(), &"2025-12-31".into())
    );
    let show = env.run(&["models", "show", "v1"]);
    succeeded(&show);
    assert_eq!(
        line(&show.stdout, "Trained on "),
        format!(
            "Trained on base.csv (sha256 {}), customers won 2024-06-30 to 2025-12-31.",
            &version["history_sha256"].as_str().unwrap()[..12]
        )
    );
}

/// A history read with `--delimiter` keeps its delimiter to the end of a training into a models
/// directory. Here the header alone would be taken for comma-separated (its last name holds
/// a dozen commas); when the span of won dates was found by reading the kept history once more,
/// that second read sniffed, failed to find `won_on`, and the training failed after its fits.
#[test]
fn a_history_read_with_a_given_delimiter_trains_into_a_models_directory() {
    let env = Env::new();
    env.write("leadscore.toml", CONFIG);
    let plain = csv(&customers(
        1..201,
        "2025-01-01",
        "2025-12-31",
        Market::BEFORE,
        1,
    ));
    let mut text = String::new();
    for (i, line) in plain.lines().enumerate() {
        text.push_str(&line.replace(',', ";"));
        text.push_str(if i == 0 {
            ";note, a, b, c, d, e, f, g, h, i, j, k\n"
        } else {
            ";x\n"
        });
    }
    env.write("semicolons.csv", text);
    succeeded(&env.run(&["train", "--history", "semicolons.csv", "--delimiter", ";"]));
    let version = json(&env, "models/v0001/version.json");
    assert_eq!(
        (&version["first_won"], &version["last_won"]),
        (&"2025-01-01".into(), &"2025-12-31".into())
    );
}

/// An unreadable `current.json` told every command to "make a version current with `leadscore
/// models promote VERSION`", and promote then failed with the same error: only deleting the file
/// by hand recovered. Promote now replaces it, saying so. A bad entry among the earlier current
/// versions is named as such, not blamed on the current one.
#[test]
fn promote_repairs_an_unreadable_pointer_and_a_bad_earlier_entry_is_named() {
    let (env, base) = trained();
    env.write("new.csv", csv(&moved_batch(&base)));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    let pointer = env.read("models/current.json");

    let mut edited: serde_json::Value = serde_json::from_str(&pointer).unwrap();
    edited["previous"] = serde_json::json!(["v1"]);
    env.write("models/current.json", edited.to_string());
    refused(
        &env.run(&["models", "list"]),
        "error: models/current.json: names \"v1\" among the earlier current versions (previous), which is not a version like v0003; make a version current with `leadscore models promote VERSION`, which rewrites this file\n",
    );

    env.write("models/current.json", "");
    refused(
        &env.run(&["score", "leads.csv"]),
        "error: models/current.json: not a leadscore registry pointer (EOF while parsing a value at line 1 column 0); make a version current with `leadscore models promote VERSION`, which rewrites this file\n",
    );
    prints(
        &env,
        &["models", "promote", "v0002"],
        "v0002 is now current; the pointer it replaces could not be read, so there is no earlier version to roll back to.\n",
    );
    assert_eq!(json(&env, "models/current.json")["version"], "v0002");
    succeeded(&env.run(&["models", "list"]));
}

/// A version directory with neither a record nor a model (an older leadscore interrupted at the
/// wrong moment left an empty `v0019`) made every later `models list` fail. It is listed as
/// unreadable, with what to do, and the rest of the registry still lists and scores.
#[test]
fn an_unreadable_version_is_listed_as_such_not_fatal() {
    let (env, _) = trained();
    std::fs::create_dir(env.path("models/v0002")).unwrap();
    let run = env.run(&["models", "list"]);
    succeeded(&run);
    assert!(
        run.stdout.contains(
            "\n  v0002    -          -                0  -                               -      -  unreadable\n             neither its version record nor its model can be read; remove the directory, or restore it from a backup\n             warning: does not load: models/v0002/model.json: no such model file\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\n* v0001 "), "{}", run.stdout);
    succeeded(&env.run(&["score", "leads.csv", "-o", "scores.csv"]));
}
