//! Results do not depend on how many threads run: training on 1 or 4 threads writes the same
//! model file byte for byte, and scoring and exporting write the same files.

use std::fs::File;
use std::io::BufWriter;

use crate::commands::{trained_env, HISTORY, LEADS};
use crate::story;
use crate::util::Env;

#[test]
fn one_thread_and_four_give_byte_identical_models_and_scores() {
    let env = Env::new();
    env.copy("leadscore.toml", "leadscore.toml");
    // Enough customers that training splits its sums into every part (4 × 8,192 rows), and
    // enough leads for many batches per worker.
    let f = BufWriter::new(File::create(env.path("customers.csv")).unwrap());
    story::write_customers(f, 40_000, 11).unwrap();
    let f = BufWriter::new(File::create(env.path("leads.csv")).unwrap());
    story::write_leads(f, 30_000, 12, |_, _| {}).unwrap();

    let mut models = Vec::new();
    let mut scores = Vec::new();
    let mut exports = Vec::new();
    for threads in ["1", "4"] {
        let dir = format!("models-{threads}");
        let run = env.run_with_env(
            &["train", "--history", "customers.csv", "--models", &dir],
            &[("LEADSCORE_THREADS", threads)],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        models.push(env.model(&dir));
        for order in [&[][..], &["--keep-order"][..]] {
            let out = format!("scores-{threads}-{}.csv", order.len());
            let mut args = vec!["score", "leads.csv", "--model", &dir, "-o", &out];
            args.extend(order);
            let run = env.run_with_env(&args, &[("LEADSCORE_THREADS", threads)]);
            assert_eq!(run.code, 0, "{}", run.stderr);
            scores.push(env.read(&out));
        }
        for format in ["csv", "json", "jsonl", "html"] {
            let out = format!("export-{threads}.{format}");
            let run = env.run_with_env(
                &["export", "leads.csv", "--model", &dir, "-o", &out],
                &[("LEADSCORE_THREADS", threads)],
            );
            assert_eq!(run.code, 0, "{}", run.stderr);
            // The page names the model file, which is in a directory per thread count.
            exports.push(env.read(&out).replace(&dir, "models"));
        }
    }
    assert!(
        models[0] == models[1],
        "the model depends on the thread count"
    );
    assert!(
        scores[0] == scores[2],
        "sorted scores depend on the thread count"
    );
    assert!(
        scores[1] == scores[3],
        "streamed scores depend on the thread count"
    );
    assert_eq!(scores[0].lines().count(), 30_001);
    for (i, format) in ["csv", "json", "jsonl", "html"].iter().enumerate() {
        assert!(
            exports[i] == exports[i + 4],
            "the {format} export depends on the thread count"
        );
    }
}

/// A thread count or a fixed "now" that cannot be used is said before any work (exit 2), not
/// silently replaced by the machine's count or the clock. Twenty thousand threads made the
/// process abort (exit 134) when it could not allocate their stacks; a `SOURCE_DATE_EPOCH` past
/// the year 9999 panicked writing the model's timestamp. Unset and empty mean "not set".
#[test]
fn environment_settings_that_cannot_be_used_are_refused_before_any_work() {
    let env = trained_env();
    let threads = |v: &str| {
        format!("error: LEADSCORE_THREADS=\"{v}\": expected a whole number of threads from 1 to 1024, or unset to use every core\n")
    };
    let epoch = |v: &str| {
        format!("error: SOURCE_DATE_EPOCH=\"{v}\": expected whole seconds since 1970-01-01T00:00:00Z, at most 253402300799 (9999-12-31T23:59:59Z)\n")
    };
    let cases = [
        (("LEADSCORE_THREADS", "abc"), threads("abc")),
        (("LEADSCORE_THREADS", "0"), threads("0")),
        (("LEADSCORE_THREADS", "-1"), threads("-1")),
        (("LEADSCORE_THREADS", "20000"), threads("20000")),
        (("SOURCE_DATE_EPOCH", "abc"), epoch("abc")),
        (("SOURCE_DATE_EPOCH", "-5"), epoch("-5")),
        (("SOURCE_DATE_EPOCH", "253402300800"), epoch("253402300800")),
    ];
    for (var, message) in &cases {
        for args in [
            &["score", LEADS, "-o", "out.csv"][..],
            &["train", "--history", HISTORY, "--models", "m"],
        ] {
            let run = env.run_with_env(args, &[*var]);
            assert_eq!(
                (run.code, run.stderr.as_str()),
                (2, message.as_str()),
                "{var:?} {args:?}"
            );
        }
    }
    assert!(!env.exists("out.csv") && !env.exists("m"));
    // The last second RFC 3339 can write, an empty value and a padded count all work.
    let last = env.run_with_env(
        &["train", "--history", HISTORY, "--models", "last.json"],
        &[
            ("SOURCE_DATE_EPOCH", "253402300799"),
            ("LEADSCORE_THREADS", " 2 "),
        ],
    );
    assert_eq!(last.code, 0, "{}", last.stderr);
    assert!(env
        .read("last.json")
        .contains("\"created_at\": \"9999-12-31T23:59:59Z\""));
    let empty = env.run_with_env(
        &["score", LEADS, "-o", "out.csv"],
        &[("SOURCE_DATE_EPOCH", ""), ("LEADSCORE_THREADS", "")],
    );
    assert_eq!(empty.code, 0, "{}", empty.stderr);
}
