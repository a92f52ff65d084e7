//! psremote: PowerShell remoting for Rust.
//!
//! This facade re-exports the runtime (sessions, transports, CLIXML values) and the
//! `#[remote_commands]` attribute macro, the way `sqlx` re-exports its pieces.

pub use psremote_macros::*;
pub use psremote_runtime::*;
