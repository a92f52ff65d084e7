//! Sans-IO PowerShell Remoting Protocol (MS-PSRP): fragments, messages, and the RunspacePool
//! and Pipeline state machines. No tokio and no sockets: callers feed bytes in, poll events
//! out and take bytes to send.

pub use psremote_clixml as clixml;
