//! Learning from past customers: reading the history (`history`), learning the schema
//! (`schema`), and fitting the money models with cross-validation (`training`, `ridge`, and
//! `glm` for log-link fits of amounts that cannot be negative) with optional recency weights
//! (`recency`), outcomes far outside the rest capped for the fit (`outliers`), and features that
//! alone predict an outcome almost perfectly (`leaks`), each economics term predicted on its own
//! (`components`); the model
//! file a training becomes (`build`); and merging new customers into the history the current
//! model learnt from for a retrain (`merge`).

pub mod build;
pub mod components;
mod design;
pub mod glm;
pub mod history;
pub mod leaks;
pub mod merge;
pub mod outliers;
pub mod recency;
pub mod ridge;
pub mod schema;
pub mod training;
