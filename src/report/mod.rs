//! What commands show people: reports built as data, rendered as text or JSON, and charts.

pub mod chart;
pub mod evaluate;
pub mod explain;
pub mod export;
pub mod format;
pub mod models;
pub mod plan;
pub mod retrain;
pub mod score;
pub mod train;
