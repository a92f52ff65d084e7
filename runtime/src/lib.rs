//! psremote runtime: sessions over WS-Man, SSH and local processes, fan-out over many hosts.
//! Re-exports the layers below it.

pub use psremote_clixml as clixml;
pub use psremote_psrp as psrp;
pub use psremote_wsman as wsman;

pub mod binding;
pub mod connection;
pub mod error;
pub mod fanout;
pub mod host;
pub mod implicit;
pub mod outofproc;
mod proto;
pub mod record;
pub mod session;
pub mod stream;
pub mod transport;

pub use binding::{CatalogCheck, LazySession};
pub use connection::{
    AuthMethod, AuthMethod as Auth, ConnectionInfo, Credentials, Target, TlsSettings,
};
pub use error::{Error, Result};
pub use fanout::{FanOutEvent, FanOutOptions, invoke_many};
pub use host::{Host, HostCall, HostError, NoHost};
pub use psremote_clixml::Value;
pub use psremote_psrp::{Command, PowerShell};
pub use record::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};
pub use session::{Session, SessionOptions, SessionState, Stopper};
pub use stream::{Invocation, InvocationState, PipelineStream, StreamItem};
