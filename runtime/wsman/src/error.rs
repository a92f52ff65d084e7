//! Typed errors of the WS-Man client.

use std::fmt;
use std::time::Duration;

/// A SOAP fault returned by the WinRM service (MS-WSMV 2.2.4.43 WSManFault inside `s:Detail`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WsmanFault {
    /// `s:Code/s:Value` without its prefix: `Sender` or `Receiver`.
    pub code: String,
    /// `s:Subcode/s:Value` without its prefix, e.g. `InvalidSelectors`, `TimedOut`.
    pub subcode: String,
    /// `s:Reason/s:Text`.
    pub reason: String,
    /// `f:WSManFault/@Code`, a Win32/WinRM error number (e.g. 2150858843).
    pub wsman_code: Option<u32>,
    /// `f:WSManFault/@Machine`.
    pub machine: Option<String>,
    /// The innermost `f:Message` text (the provider's own words when there is a ProviderFault).
    pub message: Option<String>,
    /// `w:FaultDetail` URI when present.
    pub detail: Option<String>,
    /// A one-line fix for the common faults.
    pub hint: Option<&'static str>,
}

impl WsmanFault {
    /// The fault Receive answers when nothing arrived within OperationTimeout: poll again.
    pub fn is_timed_out(&self) -> bool {
        self.subcode == "TimedOut"
            || self.wsman_code == Some(crate::fault::code::OPERATION_TIMED_OUT)
    }
}

impl fmt::Display for WsmanFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self
            .message
            .as_deref()
            .filter(|m| !m.is_empty())
            .unwrap_or(&self.reason);
        write!(f, "WS-Management fault {}", self.subcode)?;
        if let Some(c) = self.wsman_code {
            write!(f, " ({c})")?;
        }
        if let Some(m) = &self.machine {
            write!(f, " from {m}")?;
        }
        write!(f, ": {}", text.trim())?;
        if let Some(h) = self.hint {
            write!(f, " — {h}")?;
        }
        Ok(())
    }
}

/// Which TLS problem stopped the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The certificate chain does not end at a trusted CA.
    UnknownIssuer,
    /// The certificate is not valid for the host name in the URL.
    NameMismatch,
    /// Expired or not yet valid.
    Expired,
    /// The server refused our client certificate (or asked for one we did not have).
    ClientCertificate,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Boxed: a fault carries several strings and errors travel through every `Result`.
    #[error("{0}")]
    Fault(Box<WsmanFault>),
    /// An HTTP status without a parsable SOAP fault.
    #[error("HTTP {status} from the WinRM service{}", body_hint(.body))]
    Http { status: u16, body: String },
    /// 401 (or a failed security context).
    #[error("authentication failed: {message}{}", offered_hint(.offered))]
    Auth {
        message: String,
        /// The mechanisms the server offered in WWW-Authenticate (e.g. `Negotiate`, `Kerberos`).
        offered: Vec<String>,
    },
    #[error("TLS failure ({kind:?}): {message}")]
    Tls { kind: TlsFailure, message: String },
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    #[error("connection error: {0}")]
    Io(String),
    /// The server sent something that is not WS-Man as we know it.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Message encryption: a sealed part did not verify or could not be produced.
    #[error("message encryption failed: {0}")]
    Encryption(String),
    /// The request is refused locally (bad settings, e.g. Basic over HTTP without the opt-in).
    #[error("configuration error: {0}")]
    Config(String),
}

fn body_hint(body: &str) -> String {
    let b = body.trim();
    if b.is_empty() {
        String::new()
    } else {
        let cut: String = b.chars().take(200).collect();
        format!(": {cut}")
    }
}

fn offered_hint(offered: &[String]) -> String {
    if offered.is_empty() {
        String::new()
    } else {
        format!(" (the server offers: {})", offered.join(", "))
    }
}

impl Error {
    pub fn fault(&self) -> Option<&WsmanFault> {
        match self {
            Error::Fault(f) => Some(f.as_ref()),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
