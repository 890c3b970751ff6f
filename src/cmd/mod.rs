//! One module per subcommand, each with `pub fn run(args: &XArgs) -> Result<()>`.

pub mod evaluate;
pub mod explain;
pub mod init;
pub mod score;
pub mod train;
