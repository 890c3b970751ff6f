//! One integration-test binary: every test runs the real `leadscore` binary (or, for the
//! accuracy tests, the library) on small fixtures.

mod util;

/// The sample-data generator, with its known true effects.
#[path = "../../examples/gen_data/story.rs"]
mod story;

/// Paths into JSON documents, shared with the fuzz harness.
#[path = "../support/json_paths.rs"]
mod json_paths;

mod accuracy;
mod blanks;
mod breakdown;
mod categories;
mod commands;
mod components;
mod corpus;
mod errors;
mod evaluate;
mod explain;
mod export;
mod export_breakdown;
mod export_components;
mod formats;
mod glm;
mod hostile;
mod html;
mod init;
mod injection;
mod lead_ids;
mod leaks;
mod model_files;
mod outliers;
mod outputs;
mod plan;
mod plot_failures;
mod profiles;
mod reading;
mod recency;
mod registry;
mod retrain;
mod shipped;
mod sql;
mod sql_engines;
mod telco;
mod terminal;
mod threads;
mod train_report;
