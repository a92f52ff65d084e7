//! WS-Management (MS-WSMV) client for the WinRM shell resource: SOAP envelopes, operations,
//! faults, authentication and message encryption.
//!
//! The crate moves opaque PSRP bytes: `creationXml`, `Arguments` and `rsp:Stream` contents are
//! whatever the caller's PSRP layer produced.
//!
//! Connections: NTLM and Kerberos authenticate a TCP connection, and message encryption's
//! sequence numbers run per connection, so the transport owns its connections explicitly
//! (hyper's connection API, no hidden pool): a small pool of slots, each one TCP (or TLS)
//! connection with its own security context, used by one request at a time. A slot
//! re-authenticates when its connection was closed or the server forgot the context (401).
//! Once a slot is warm a pipeline costs exactly its WS-Man operations: Command + Receive.
//!
//! Authentication: Basic, NTLM, Negotiate (SPNEGO, Kerberos with NTLM fallback) and Kerberos
//! through the pure-Rust `sspi` crate, and TLS client certificates. Over plain HTTP the SSPI
//! mechanisms seal every message (MS-WSMV 2.2.9.1); over HTTPS they bind to the server
//! certificate (tls-server-end-point). Basic over plain HTTP is refused unless allowed.
//!
//! ```no_run
//! # async fn demo() -> psremote_wsman::Result<()> {
//! use psremote_wsman::{Auth, Credentials, Endpoint, ShellOptions, WsmanClient};
//! let client = WsmanClient::new(Endpoint::new(
//!     "http://server:5985/wsman",
//!     Auth::Negotiate(Credentials::new("user", "password")),
//! ))?;
//! let shell = client
//!     .create_shell("http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
//!                   ShellOptions { creation_xml: Some(vec![/* PSRP fragments */]), ..Default::default() })
//!     .await?;
//! client.delete(&shell).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod client;
pub mod encryption;
pub mod error;
pub mod fault;
pub mod response;
pub mod soap;
pub mod transport;
pub mod xml;

pub use auth::{Auth, ClientCertificate, Credentials, KerberosOptions};
pub use client::{
    CONFIG_RESOURCE, Endpoint, POWERSHELL_RESOURCE_PREFIX, ShellOptions, Signal, WsmanClient,
};
pub use error::{Error, Result, TlsFailure, WsmanFault};
pub use response::{CommandState, CommandStatus, Identity, Received, Shell, StreamData};
pub use soap::WsOption;
pub use transport::{Encryption, Proxy, Stats, TlsOptions};
