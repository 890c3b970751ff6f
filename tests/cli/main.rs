//! One integration-test binary: every test runs the real `leadscore` binary (or, for the
//! accuracy tests, the library) on small fixtures.

mod util;

mod accuracy;
mod commands;
mod errors;
mod evaluate;
mod explain;
mod formats;
mod shipped;
mod telco;
