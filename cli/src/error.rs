//! What the user sees when something fails: one line naming what failed (and on which
//! computer), the remote ErrorRecord's CategoryInfo / FullyQualifiedErrorId where there is
//! one, and a hint on how to fix it. Never a Debug dump.

use std::fmt::Write as _;

use psremote_runtime::Error as RuntimeError;
use psremote_runtime::wsman::Error as WsmanError;
use psremote_runtime::wsman::error::TlsFailure;

use crate::render::records::ErrorView;

/// Exit code for a run where something failed on a computer (connection, pipeline, errors).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for bad usage (as clap uses).
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad flags or input the user can fix locally.
    #[error("{0}")]
    Usage(String),
    /// A failure talking to a computer.
    #[error("{}", describe(.computer.as_deref(), .error))]
    Runtime {
        computer: Option<String>,
        error: RuntimeError,
    },
    /// Anything else, already worded for the user.
    #[error("{0}")]
    Message(String),
}

impl CliError {
    pub fn usage(s: impl Into<String>) -> CliError {
        CliError::Usage(s.into())
    }

    pub fn runtime(computer: Option<&str>, error: RuntimeError) -> CliError {
        CliError::Runtime {
            computer: computer.map(str::to_string),
            error,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// The full text for stderr (no trailing newline), without the `psremote: ` prefix for
    /// remote errors, which read like PowerShell's.
    pub fn report(&self) -> Option<String> {
        match self {
            CliError::Runtime { computer, error } => {
                Some(report_runtime(computer.as_deref(), error))
            }
            other => Some(format!("psremote: {other}")),
        }
    }
}

fn describe(computer: Option<&str>, e: &RuntimeError) -> String {
    report_runtime(computer, e)
}

/// A runtime error as PowerShell words a remoting failure: `[computer] message`, the
/// ErrorRecord lines for a failed pipeline, and the fix hint.
pub fn report_runtime(computer: Option<&str>, e: &RuntimeError) -> String {
    if let RuntimeError::PipelineFailed(record) = e {
        let view = ErrorView::from_value(&record.value);
        return view.render(computer).trim_end().to_string();
    }
    let mut s = String::new();
    if let Some(c) = computer {
        let _ = write!(s, "[{c}] ");
    }
    let _ = write!(s, "{}", one_line(&e.to_string()));
    // The wsman layer words its own hints into fault messages; add ours for the rest.
    if let Some(h) = hint(e) {
        let _ = write!(s, "\n    hint: {h}");
    }
    s
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A fix for the failures users cause most (about_Remote_Troubleshooting).
pub fn hint(e: &RuntimeError) -> Option<&'static str> {
    match e {
        RuntimeError::Wsman(w) => wsman_hint(w),
        RuntimeError::HostNotReachable { .. } => Some(
            "check the computer name and port, that WinRM listens there (Enable-PSRemoting / \
             `winrm quickconfig` on the server; 5985 for HTTP, 5986 for HTTPS) and that no \
             firewall is in the way",
        ),
        RuntimeError::Timeout { .. } => Some(
            "the computer did not answer in time: check it is up, or raise --connect-timeout / --operation-timeout",
        ),
        RuntimeError::RunspacePoolBroken { .. } | RuntimeError::Closed => {
            Some("the remote session ended; run the command again to open a new one")
        }
        _ => None,
    }
}

fn wsman_hint(w: &WsmanError) -> Option<&'static str> {
    match w {
        // Fault messages already end with the wsman layer's own hint.
        WsmanError::Fault(_) => None,
        WsmanError::Auth { .. } => Some(
            "check the user name (-u, PSREMOTE_USER) and password (PSREMOTE_PASSWORD, \
             --password-stdin), and the mechanism (--auth); the account must be allowed to use \
             the endpoint (a local Administrator or a member of Remote Management Users)",
        ),
        WsmanError::Http { status: 401, .. } => {
            Some("authentication was refused: check the user, password and --auth")
        }
        WsmanError::Http { status: 404, .. } => {
            Some("no WinRM listener at this URL: check the port and the /wsman path")
        }
        WsmanError::Tls { kind, .. } => Some(match kind {
            TlsFailure::UnknownIssuer => {
                "the server's certificate is not trusted: pass its CA with --ca-file (or \
                 --insecure-skip-verify for a test machine)"
            }
            TlsFailure::NameMismatch => {
                "the certificate does not name this host: connect by the name in the \
                 certificate, or --insecure-skip-verify for a test machine"
            }
            TlsFailure::Expired => "the server's certificate has expired or is not yet valid",
            TlsFailure::ClientCertificate => {
                "the server refused the client certificate: check --cert/--key and the \
                 server's certificate mapping"
            }
            TlsFailure::Other => "check that the port speaks HTTPS (--https) and its certificate",
        }),
        WsmanError::Io(_) => Some(
            "check the computer name and port, that WinRM listens there (Enable-PSRemoting / \
             `winrm quickconfig` on the server; 5985 for HTTP, 5986 for HTTPS) and that no \
             firewall is in the way",
        ),
        WsmanError::Timeout(_) => Some(
            "the computer did not answer in time: raise --operation-timeout or check the network",
        ),
        WsmanError::Config(_) => None,
        _ => None,
    }
}

/// Prints an error and gives its exit code.
pub fn print(e: &CliError) -> i32 {
    if let Some(text) = e.report() {
        eprintln!("{text}");
    }
    e.exit_code()
}
