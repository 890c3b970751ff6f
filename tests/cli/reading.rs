//! What people read: years and codes are written as they are (1977, 90210), never as amounts
//! (1,977), in the training report, the reasons and the warnings.

use crate::util::{csv_rows, Env};

/// 60 customers whose revenue falls with the year their company was founded and rises with a
/// postal code (a stand-in for region), both whole numbers.
fn year_and_zip_history(env: &Env) {
    let mut history = String::from("id,Year_Founded,zip,employees,revenue,hours\n");
    for i in 0..60 {
        let year = 1950 + (i * 7) % 60;
        let zip = 10_000 + (i * 1_499) % 89_000;
        let employees = 1_000 + i * 37;
        let revenue = 90_000.0 - 500.0 * (year - 1950) as f64 + 0.2 * zip as f64 + employees as f64;
        history.push_str(&format!(
            "C{i},{year},{zip},{employees},{revenue},{}\n",
            10 + i % 7
        ));
    }
    env.write("h.csv", history);
    env.write(
        "c.toml",
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n\
         [features]\nnumeric = [\"Year_Founded\", \"zip\", \"employees\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"hours\"\nrate = 10\n\
         [model]\nfolds = 3\nwinsorize = [0.05, 0.95]\n",
    );
}

#[test]
fn years_and_codes_keep_their_digits_together_while_counts_are_grouped() {
    let env = Env::new();
    year_and_zip_history(&env);
    let run = env.run(&["train", "--history", "h.csv", "--config", "c.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let clamp_line = |feature: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("Clamped {feature} ")))
            .unwrap_or_else(|| panic!("no clamp line for {feature}:\n{}", run.stdout))
            .to_string()
    };
    let year = clamp_line("Year_Founded");
    assert!(
        year.starts_with("Clamped Year_Founded to the training range [1952.95, 2006.05] for 6 customers, most extreme first: C0 (1950), C17 (2009)"),
        "{year}"
    );
    let zip = clamp_line("zip");
    assert!(
        !zip.contains(",0") && !zip.contains(",1"),
        "zip grouped: {zip}"
    );
    // employees is a count: grouped as before.
    let employees = clamp_line("employees");
    assert!(employees.contains("[1,"), "{employees}");

    env.write(
        "leads.csv",
        "id,Year_Founded,zip,employees\nL1,1893,90210,1200\nL2,,90210,\n",
    );
    let scored = env.run(&["score", "leads.csv", "--keep-order"]);
    assert_eq!(scored.code, 0, "{}", scored.stderr);
    let rows = csv_rows(&scored.stdout);
    let (reasons, warnings) = (&rows[1][9], &rows[1][10]);
    assert!(
        warnings.contains("Year_Founded 1893 below the training range, counted as 1952.95"),
        "{warnings}"
    );
    assert!(
        reasons.contains("Year_Founded=1893 (as 1952.95)"),
        "{reasons}"
    );
    assert!(
        !reasons.contains("90,210") && !warnings.contains("90,210"),
        "{reasons} | {warnings}"
    );
    // A blank year is imputed with the median year, written as a year.
    let imputed = &rows[2][10];
    assert!(
        imputed.contains("Year_Founded missing, imputed training median 19"),
        "{imputed}"
    );
    assert!(!imputed.contains("1,9"), "{imputed}");
}
