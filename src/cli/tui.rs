//! `kehoach tui` (and `kehoach` with no command): the terminal UI on the data repository here.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::output::CliError;
use crate::tui::{Lang, Options, TuiError};

#[derive(Debug, Clone, Default, clap::Args)]
#[command(
    after_help = "Keys: j/k or arrows move, Enter opens, Tab switches pane, / searches, \
e edits, E edits in $EDITOR, L shows history, ? lists every key, q quits.\n\n\
Settings: $XDG_CONFIG_HOME/kehoach/config.toml (else ~/.config/kehoach/config.toml):\n  \
lang = \"vi\"\n  [keys.browse]\n  quit = \"Q\""
)]
pub struct Args {
    /// Interface language (default: KEHOACH_LANG, the config file, then the locale).
    #[arg(long, value_parser = ["vi", "en"])]
    pub lang: Option<String>,
    /// Print screens as plain text without the alternate screen (for screen readers and logs);
    /// keys are read as lines: `j j enter`, `"text"`, `ctrl-s`.
    #[arg(long)]
    pub plain: bool,
    /// Read settings from FILE instead of the default config file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(dir: &Path, args: Args) -> Result<(), CliError> {
    let plain = args.plain || !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal();
    let opts = Options {
        dir: dir.to_path_buf(),
        lang: args.lang.as_deref().and_then(Lang::parse),
        plain,
        config: args.config,
    };
    crate::tui::run(opts).map_err(|e| match e {
        TuiError::Store(s) => CliError::from(s),
        TuiError::Config { path, message } => {
            CliError::new(format!("{}: {message}", path.display())).with_hint(
                "the config file takes lang = \"vi\"|\"en\", color = true|false and [keys.SCREEN] action = \"key\"",
            )
        }
        other => CliError::new(other.to_string()),
    })
}
