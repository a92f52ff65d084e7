//! Sans-IO PowerShell Remoting Protocol (MS-PSRP): fragments, messages, and the RunspacePool
//! and Pipeline state machines. No tokio and no sockets: callers feed bytes in, poll events
//! out and take bytes to send.
//!
//! ```
//! use psremote_psrp::{Command, Event, PipelineOptions, PowerShell, RunspacePool,
//!     RunspacePoolOptions, RunspacePoolState};
//!
//! let mut pool = RunspacePool::new(RunspacePoolOptions::default());
//! pool.open()?;
//! // SESSION_CAPABILITY + INIT_RUNSPACEPOOL: over WS-Man, the Create's creationXml.
//! let opening = pool.data_to_send().expect("opening fragments");
//! assert_eq!(opening.pipeline_id, None);
//! // … the transport sends it and feeds what the server answers:
//! // pool.receive_data(&received)?;
//! while let Some(event) = pool.next_event() {
//!     if let Event::RunspacePoolStateChanged { state: RunspacePoolState::Opened, .. } = event {}
//! }
//! // Pipelines need an Opened pool; before that the call is refused, not a panic.
//! let ps = PowerShell::from(Command::new("Get-Service").param("Name", "win*"));
//! assert!(pool.create_pipeline(ps, PipelineOptions::default()).is_err());
//! # Ok::<(), psremote_psrp::Error>(())
//! ```

pub use psremote_clixml as clixml;

mod command;
mod crypto;
mod error;
mod event;
mod fragment;
mod message;
mod messages;
mod obj;
mod pipeline_xml;
mod pool;
mod types;

pub use command::{Argument, Command, ExtraCmdsMode, PipelineResultTypes, PowerShell};
pub use crypto::{
    KeyExchange, RSA_KEY_BITS, SessionKey, decode_public_key_blob, encode_public_key_blob,
    wrap_session_key,
};
pub use error::{Error, FragmentError};
pub use event::{Event, Payload, StreamKind};
pub use fragment::{
    DEFAULT_ENVELOPE_OVERHEAD, DefragmentLimits, Defragmenter, FLAG_END, FLAG_START,
    FRAGMENT_HEADER_LEN, Fragment, FragmentRef, Fragmenter, Target, max_payload_for_envelope,
};
pub use message::{Destination, HEADER_LEN, Message, MessageHeader, MessageType, UTF8_BOM};
pub use messages::{
    Availability, CreatePipeline, GetCommandMetadata, HostCall, HostResponse, InitRunspacePool,
    MessageData, SessionCapability,
};
pub use pool::{FINISHED_PIPELINES_KEPT, PipelineOptions, RunspacePool, RunspacePoolOptions};
pub use types::{
    ApartmentState, ApplicationPrivateData, CommandTypes, HostInfo, HostMethodIdentifier,
    PSInvocationState, PSThreadOptions, ProtocolVersion, RemoteStreamOptions, RunspacePoolState,
};
