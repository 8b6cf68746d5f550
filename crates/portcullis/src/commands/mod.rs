//! One module per subcommand; each returns the exit code it wants.

mod authority;
mod plan;
pub(crate) mod policy;
mod registry;
mod run;
mod test;
mod verify;
mod verify_bundle;
mod verify_commit;

use crate::cli::Command;

pub(crate) async fn run(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Test(args) => test::run(args).await,
        Command::VerifyBundle(args) => verify_bundle::run(&args).await,
        Command::Verify(args) => verify::run(&args).await,
        Command::Policy(command) => policy::run(&command),
        Command::Plan(args) => plan::run(&args).await,
        Command::Run(args) => run::run(&args).await,
        Command::VerifyCommit(args) => verify_commit::run(&args).await,
    }
}
