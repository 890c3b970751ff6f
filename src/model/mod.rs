//! The model: the file training writes (`file`, with its `schema`), the scoring equation that
//! file describes (`equation`: the one statement of how a lead becomes money), and scoring leads
//! with it (`scorer`, `warning`, `drift`), each economics term's part of a lead's return and burden
//! (`components`), matching category values to what the model knows
//! (`matching`); the config it was trained with (`stored_config`); and the registry of every
//! version kept, one of them current (`registry`).

pub mod checksum;
pub mod columns;
pub mod components;
pub mod drift;
pub mod equation;
pub mod file;
pub mod matching;
pub mod registry;
pub mod schema;
pub mod scorer;
pub mod stored_config;
pub mod warning;

pub use file::Model;
