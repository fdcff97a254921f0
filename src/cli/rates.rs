//! `kehoach status PLAN`: the agency × period reporting matrix and rates.

use std::path::Path;

use super::output::CliError;

#[allow(dead_code)] // Called by `kehoach status PLAN`.
pub fn run(
    _cwd: &Path,
    plan: &str,
    _period: Option<&str>,
    _today: Option<&str>,
    _json: bool,
) -> Result<(), CliError> {
    Err(CliError::new(format!(
        "reporting rates for {plan} are not available yet"
    )))
}
