//! `kehoach hook …`: server-side hooks for the shared bare repository.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::output::CliError;
use crate::model::text::sanitize;
use crate::store::branches;

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Run as git's pre-receive hook: refuse pushes to the protected branch that break the
    /// review policy or leave invalid records (reads git's ref updates on stdin).
    PreReceive,
    /// Install the pre-receive hook in a (bare) repository.
    Install {
        /// The repository's git folder (default: the repository around the current folder).
        git_dir: Option<PathBuf>,
    },
}

pub fn run(cwd: &Path, cmd: HookCommand) -> Result<(), CliError> {
    match cmd {
        HookCommand::PreReceive => {
            let repo = branches::open_repository(cwd)?;
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input)?;
            let updates = crate::review::hook::pre_receive(
                &repo,
                &crate::review::hook::parse_updates(&input),
            )?;
            if updates.is_empty() {
                return Ok(());
            }
            eprintln!("kehoach: push refused: the review policy does not hold");
            for r in &updates {
                eprintln!("kehoach:   {}", sanitize(r));
            }
            eprintln!(
                "kehoach: changes reach the protected branch through `kehoach review submit` and an approval"
            );
            Err(CliError::silent(1))
        }
        HookCommand::Install { git_dir } => {
            let repo = match git_dir {
                Some(d) => git2::Repository::open(cwd.join(d))
                    .map_err(|e| CliError::new(format!("not a git repository: {e}")))?,
                None => branches::open_repository(cwd)?,
            };
            let exe = std::env::current_exe()?;
            let hook = repo.path().join("hooks").join("pre-receive");
            let script = format!(
                "#!/bin/sh\n# Installed by `kehoach hook install`: the review policy on pushes.\nexec '{}' hook pre-receive\n",
                exe.display().to_string().replace('\'', "'\\''")
            );
            crate::store::commit::write_atomic(&hook, script.as_bytes())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
            }
            outln!("installed {}", hook.display());
            Ok(())
        }
    }
}
