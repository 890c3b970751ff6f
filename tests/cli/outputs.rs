//! Nothing `-o` names is destroyed by mistake: an output that is an input (under any name, a
//! hard link included) or the model is refused; a symlink is followed and kept; a device or a
//! FIFO is written through, never replaced by a plain file; a run ended by a signal removes its
//! temporary files, and one killed outright has its leftovers swept by the next write.

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::commands::{fixture_env, succeeded, trained_env, LEADS};
use crate::util::Env;

/// The shipped layout: a models directory holding only `model.json`.
fn shipped_env() -> Env {
    let env = fixture_env();
    succeeded(&env.run(&[
        "train",
        "--history",
        "history.csv",
        "--models",
        "models/model.json",
    ]));
    env
}

#[test]
fn an_output_that_is_an_input_or_the_model_is_refused_by_inode() {
    let env = shipped_env();
    let model = env.read("models/model.json");
    let leads = env.read(LEADS);
    std::fs::hard_link(env.path(LEADS), env.path("same-leads.csv")).unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["score", LEADS, "-o", "models/model.json"],
            "error: -o models/model.json is the model itself; write to another file\n",
        ),
        (
            &["export", LEADS, "-o", "same-leads.csv"],
            "error: -o same-leads.csv is the lead list leads.csv under another name; write to another file\n",
        ),
        (
            &["score", LEADS, "--skip-invalid", "models/../leads.csv"],
            "error: --skip-invalid models/../leads.csv is the lead list leads.csv under another name; write to another file\n",
        ),
    ];
    for (args, message) in cases {
        let run = env.run(args);
        assert_eq!((run.code, run.stderr.as_str()), (2, message), "{args:?}");
    }
    assert_eq!(env.read("models/model.json"), model);
    assert_eq!(env.read(LEADS), leads);
}

/// `train --models` names where a model goes: a `.json` file that is the history, the config
/// or the lead list (by a link too) used to be replaced by the model, and the customer data was
/// gone; a history not ending in `.json` failed only when the registry was made over it (exit 1,
/// "File exists"). Both are refused before anything is read, and nothing changes.
#[test]
fn train_never_writes_its_model_over_an_input() {
    let env = fixture_env();
    let history = env.read("history.csv");
    std::fs::copy(env.path("history.csv"), env.path("history.json")).unwrap();
    std::fs::copy(env.path("leadscore.toml"), env.path("config.json")).unwrap();
    std::fs::copy(env.path(LEADS), env.path("leads.json")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("history.json", env.path("link.json")).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--history", "history.json", "--models", "history.json"],
            "error: --models history.json is the history itself; write to another file\n",
        ),
        (
            vec!["--history", "history.json", "--config", "config.json", "--models", "config.json"],
            "error: --models config.json is the config itself; write to another file\n",
        ),
        (
            vec!["--history", "history.csv", "--leads", "leads.json", "--models", "leads.json"],
            "error: --models leads.json is the lead list itself; write to another file\n",
        ),
        #[cfg(unix)]
        (
            vec!["--history", "history.json", "--models", "link.json"],
            "error: --models link.json is the history history.json under another name; write to another file\n",
        ),
        (
            vec!["--history", "history.csv", "--models", "history.csv"],
            "error: --models history.csv is the history itself, not a models directory; name a directory (it is made if missing), or a .json file to train into a single model file\n",
        ),
        (
            vec!["--history", "history.csv", "--models", "leadscore.toml"],
            "error: --models leadscore.toml is the config itself, not a models directory; name a directory (it is made if missing), or a .json file to train into a single model file\n",
        ),
    ];
    for (args, message) in cases {
        let run = env.run(&[&["train"][..], &args].concat());
        assert_eq!((run.code, run.stderr.as_str()), (2, message), "{args:?}");
    }
    assert_eq!(env.read("history.json"), history);
    assert_eq!(env.read("history.csv"), history);
    assert!(!env.path("models").exists());
}

#[test]
fn a_directory_named_as_an_output_is_refused_before_any_work() {
    let env = trained_env();
    env.write("out/keep.txt", "");
    let refused = "is a directory: name a file to write\n";
    let cases: [(&[&str], String); 7] = [
        // Sorted scores used to be refused only when put in place, after scoring every lead,
        // and as a runtime failure (exit 1).
        (
            &["score", LEADS, "-o", "out"],
            format!("error: -o out {refused}"),
        ),
        (
            &["score", LEADS, "--keep-order", "-o", "out/"],
            format!("error: -o out/ {refused}"),
        ),
        (
            &["score", LEADS, "--skip-invalid", "out"],
            format!("error: --skip-invalid out {refused}"),
        ),
        (
            &["plan", LEADS, "--capacity", "sales_hours=100", "-o", "out"],
            format!("error: -o out {refused}"),
        ),
        (
            &["sql", "--dialect", "sqlite", "-o", "out"],
            format!("error: -o out {refused}"),
        ),
        (&["init", "-o", "out"], format!("error: -o out {refused}")),
        (
            &["init", "-o", "out", "--force"],
            format!("error: -o out {refused}"),
        ),
    ];
    for (args, message) in cases {
        let run = env.run(args);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (2, message.as_str()),
            "{args:?}"
        );
    }
    assert_eq!(env.files("out"), ["keep.txt"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_is_followed_and_kept() {
    let env = trained_env();
    std::fs::create_dir(env.path("shared")).unwrap();
    env.write("shared/scores.csv", "old");
    std::os::unix::fs::symlink("shared/scores.csv", env.path("latest.csv")).unwrap();
    succeeded(&env.run(&["score", LEADS, "-o", "latest.csv"]));
    let link = std::fs::symlink_metadata(env.path("latest.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    assert!(env.read("shared/scores.csv").starts_with("lead_id,"));
    assert_eq!(
        env.files("shared"),
        ["scores.csv"],
        "nothing left beside it"
    );
}

#[cfg(unix)]
#[test]
fn a_device_or_fifo_is_written_through_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let env = trained_env();
    // /dev/null stays a device (as root, renaming over it would replace it).
    succeeded(&env.run(&["score", LEADS, "-o", "/dev/null"]));
    succeeded(&env.run(&["export", LEADS, "--format", "json", "-o", "/dev/null"]));
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(
        null.file_type().is_char_device(),
        "/dev/null is no longer a device"
    );

    // A FIFO: a reader gets the scores, and the FIFO is still one afterwards.
    let fifo = env.path("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!(
            "SKIPPED: the FIFO half of a_device_or_fifo_is_written_through_not_replaced — mkfifo failed; FIFOs were NOT checked"
        );
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    succeeded(&env.run(&["score", LEADS, "-o", "pipe"]));
    let text = reader.join().unwrap();
    assert!(text.starts_with("lead_id,expected_return"), "{text}");
    assert_eq!(text.lines().count(), 11);
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(
        env.files(""),
        [
            "history.csv",
            "leads.csv",
            "leadscore.toml",
            "models",
            "pipe"
        ]
    );
}

/// Waits until `dir` holds a temporary file of a run, or gives up.
fn wait_for_temporary(env: &Env, dir: &str) -> bool {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if env.files(dir).iter().any(|f| f.starts_with(".leadscore-")) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[cfg(unix)]
#[test]
fn a_run_ended_by_a_signal_leaves_no_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    // Enough leads that writing the workbook takes a while after its temporary file appears.
    let f = std::io::BufWriter::new(std::fs::File::create(env.path("big.csv")).unwrap());
    crate::story::write_leads(f, 150_000, 9, |_, _| {}).unwrap();
    for (signal, name) in [
        (libc::SIGINT, "INT"),
        (libc::SIGTERM, "TERM"),
        (libc::SIGHUP, "HUP"),
    ] {
        let mut child = env
            .command("", &["export", "big.csv", "-o", "big.xlsx"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if !wait_for_temporary(&env, "") {
            let _ = child.kill();
            panic!("SIG{name}: no temporary file appeared");
        }
        // SAFETY: sends a signal to the child we spawned.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(signal), "SIG{name}: {status:?}");
        assert_eq!(
            env.files(""),
            ["big.csv", "models"],
            "SIG{name} left something behind"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_training_ended_by_a_signal_during_its_fits_leaves_no_staging_directory() {
    use std::os::unix::process::ExitStatusExt;
    // Into an existing models directory the new version is staged, with a copy of the history,
    // before the models fit: a Ctrl-C during the fits takes the staging directory with it.
    let env = Env::new();
    env.copy("leadscore.toml", "leadscore.toml");
    let f = std::io::BufWriter::new(std::fs::File::create(env.path("customers.csv")).unwrap());
    crate::story::write_customers(f, 60_000, 5).unwrap();
    std::fs::create_dir(env.path("models")).unwrap();
    let mut child = env
        .command("", &["train", "--history", "customers.csv"])
        // The copy starts early only with a second thread to run it.
        .env("LEADSCORE_THREADS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(120);
    let staged = loop {
        if env
            .files("models")
            .iter()
            .any(|f| f.starts_with(".staging-"))
        {
            break true;
        }
        if Instant::now() > until || child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    if !staged {
        let _ = child.kill();
        panic!("no staging directory appeared while the training ran");
    }
    // SAFETY: sends a signal to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert_eq!(
        env.files("models"),
        [".lock"],
        "the signal left something behind"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn leftovers_of_a_killed_run_are_swept_by_the_next_write_but_not_a_running_ones() {
    let env = trained_env();
    // A process that no longer exists: spawn one and wait for it.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    env.write(&format!(".leadscore-{dead}-abc123.tmp"), "half a file");
    std::fs::create_dir(env.path(&format!(".leadscore-{dead}-def456.dir"))).unwrap();
    // This test's own process is running: its file stays.
    let alive = std::process::id();
    env.write(&format!(".leadscore-{alive}-ghi789.tmp"), "in use");
    // A name from before process ids were in names: left alone.
    env.write(".leadscore-Xy12ab.tmp", "unknown");
    succeeded(&env.run(&["score", LEADS, "-o", "scores.csv"]));
    let files = env.files("");
    assert!(
        !files.iter().any(|f| f.contains(&format!("-{dead}-"))),
        "{files:?}"
    );
    assert!(
        files.contains(&format!(".leadscore-{alive}-ghi789.tmp")),
        "{files:?}"
    );
    assert!(
        files.contains(&".leadscore-Xy12ab.tmp".to_string()),
        "{files:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_model_file_another_run_wrote_meanwhile_is_replaced_with_a_warning() {
    // A single model file has no lock, so the last of two trainings wins; it must say so. The
    // history is a FIFO: the training has started (and noted the model file) and waits for its
    // data while "another run" writes the model file.
    let env = fixture_env();
    env.write("model.json", "the model another run wrote earlier\n");
    let fifo = env.path("history.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: a_model_file_another_run_wrote_meanwhile_is_replaced_with_a_warning — mkfifo failed; NOT checked");
        return;
    }
    let child = env
        .command(
            "",
            &[
                "train",
                "--history",
                "history.fifo",
                "--models",
                "model.json",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the FIFO for writing blocks until the training opens it for reading: by then it
    // has looked at the model file.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    env.write("model.json", "the model another run wrote meanwhile\n");
    std::io::Write::write_all(&mut writer, env.read("history.csv").as_bytes()).unwrap();
    drop(writer);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        "warning: model.json changed while this training ran (another run wrote it); replacing it with this model. Train into a models directory to have each run wait for the other and keep both versions.\n"
    );
    assert!(env
        .read("model.json")
        .contains("\"format\": \"leadscore-model\""));

    // Nothing wrote it meanwhile: no warning.
    let again = env.run(&[
        "train",
        "--history",
        "history.csv",
        "--models",
        "model.json",
    ]);
    succeeded(&again);
    assert_eq!(again.stderr, "");
}
