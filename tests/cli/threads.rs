//! Results do not depend on how many threads run: training on 1 or 4 threads writes the same
//! model file byte for byte, and scoring and exporting write the same files.

use std::fs::File;
use std::io::BufWriter;

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
