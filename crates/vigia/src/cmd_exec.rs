//! `vigia exec`: debug a plugin as a poller runs it.
#[derive(clap::Args)]
pub struct ExecArgs {}

pub fn run(_args: ExecArgs) -> anyhow::Result<u8> {
    anyhow::bail!("not yet implemented")
}
