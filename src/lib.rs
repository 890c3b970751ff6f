pub mod config;
pub mod economics;
pub mod error;
pub mod features;
pub mod ridge;
pub mod stats;
pub mod table;
