//! How the command reports: one-line failures with an exit code, human text or `--json`.
use std::fmt::Display;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: refused by policy, or the check failed (e.g. `verify` rejected the chain).
pub const EXIT_REFUSED: u8 = 1;
/// Exit code: bad usage, or unreadable/invalid input.
pub const EXIT_USAGE: u8 = 2;

/// Why the command stopped: a one-line message and the exit code to return.
#[derive(Debug)]
pub struct Failure {
    /// 1 (refused / check failed) or 2 (bad usage / unreadable input).
    pub code: u8,
    /// One line, naming the file when a file is at fault.
    pub message: String,
}

impl Failure {
    /// Bad usage or unreadable input (exit 2).
    pub fn usage(message: impl Display) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }

    /// Refused by policy or a failed check (exit 1).
    pub fn refused(message: impl Display) -> Self {
        Failure {
            code: EXIT_REFUSED,
            message: message.to_string(),
        }
    }

    /// A library error about `path`: policy refusals exit 1, everything else 2.
    pub fn file(path: &Path, err: https_pki::Error) -> Self {
        let message = format!("{}: {err}", path.display());
        if err.is_policy() {
            Failure::refused(message)
        } else {
            Failure::usage(message)
        }
    }

    /// A library error not tied to one file.
    pub fn pki(err: https_pki::Error) -> Self {
        if err.is_policy() {
            Failure::refused(err)
        } else {
            Failure::usage(err)
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::usage(format!("{e:#}"))
    }
}

/// Print a JSON value on stdout (pretty, one document).
pub fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("https-kit: cannot encode JSON: {e}"),
    }
}

/// Run `work` with a spinner on stderr when `slow` and stderr is a terminal (never in pipes/CI).
pub fn with_spinner<T>(slow: bool, message: &str, work: impl FnOnce() -> T) -> T {
    if !slow || !std::io::stderr().is_terminal() {
        return work();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    let out = work();
    bar.finish_and_clear();
    out
}

/// A clap value parser: seconds, fractions allowed (`1.5`), above zero.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    match parse_secs_or_zero(s)? {
        d if d.is_zero() => Err("must be above 0".into()),
        d => Ok(d),
    }
}

/// Seconds, zero allowed (meaning "none" where the flag says so).
pub fn parse_secs_or_zero(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s}: not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("{s}: not a duration in seconds"))
}
