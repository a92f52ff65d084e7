//! psremote runtime: sessions over WS-Man, SSH and local processes, fan-out over many hosts.
//! Re-exports the layers below it.

pub use psremote_clixml as clixml;
pub use psremote_psrp as psrp;
pub use psremote_wsman as wsman;

pub mod outofproc;
