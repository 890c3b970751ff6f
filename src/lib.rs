pub mod economics;
pub mod error;
pub mod ridge;
pub mod stats;
pub mod table;
