//! Learning from past customers: reading the history (`history`), learning the schema
//! (`schema`), and fitting the money models with cross-validation (`training`, `ridge`), and
//! features that alone predict an outcome almost perfectly (`leaks`).

pub mod history;
pub mod leaks;
pub mod ridge;
pub mod schema;
pub mod training;
