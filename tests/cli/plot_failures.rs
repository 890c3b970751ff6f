//! `evaluate --plot DIR` when the charts cannot be written: a failure of the run (exit 1, README:
//! 0 success, 1 runtime failure, 2 usage or input error), naming the file, leaving nothing half
//! written; a file named as the directory is a usage error, found before any work.

use crate::util::Env;

fn shipped_env() -> Env {
    let env = Env::new();
    env.copy("leadscore.toml", "leadscore.toml");
    env.copy("data/leads.csv", "data/leads.csv");
    env.copy("models/model.json", "models/model.json");
    env
}

#[test]
fn a_chart_that_cannot_be_written_is_a_runtime_failure() {
    let env = shipped_env();
    // A directory where a chart file should go: the rename into place fails.
    std::fs::create_dir_all(env.path("charts/whale-leads.png")).unwrap();
    let run = env.run(&["evaluate", "--leads", "data/leads.csv", "--plot", "charts"]);
    assert_eq!(
        run.stderr,
        "error: cannot write charts/whale-leads.png: Is a directory (os error 21)\n"
    );
    assert_eq!(run.code, 1);
    assert_eq!(env.files("charts"), ["whale-leads.png"]);
}

/// A file named as the directory: a usage error before anything is read or printed, and the
/// file (here the lead list itself) is left as it was.
#[test]
fn a_file_in_place_of_the_plot_directory_is_a_usage_error() {
    let env = shipped_env();
    env.write("charts", "not a directory\n");
    let run = env.run(&["evaluate", "--leads", "data/leads.csv", "--plot", "charts"]);
    assert_eq!(
        (run.code, run.stderr.as_str(), run.stdout.as_str()),
        (
            2,
            "error: --plot charts is a file: name a directory to write the charts in\n",
            ""
        )
    );
    assert_eq!(env.read("charts"), "not a directory\n");
    let before = env.read("data/leads.csv");
    let run = env.run(&[
        "evaluate",
        "--leads",
        "data/leads.csv",
        "--plot",
        "data/leads.csv",
    ]);
    assert_eq!(
        (run.code, run.stderr.as_str(), run.stdout.as_str()),
        (
            2,
            "error: --plot data/leads.csv is a file: name a directory to write the charts in\n",
            ""
        )
    );
    assert_eq!(env.read("data/leads.csv"), before);
}
