//! One module per subcommand; each returns the exit code it wants.

mod test;

use crate::cli::Command;

pub(crate) async fn run(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Test(args) => test::run(args).await,
    }
}
