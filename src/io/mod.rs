//! Data in and out: CSV files read with every error placed at its file, line and column; results
//! written so that a file appears only when complete; and the pipeline that reads on one thread
//! while workers process batches.

pub mod date;
pub mod ids;
pub mod output;
pub mod pipeline;
pub mod records;
pub mod table;
