//! Sans-IO PowerShell Remoting Protocol (MS-PSRP): fragments, messages, and the RunspacePool
//! and Pipeline state machines. No tokio and no sockets: callers feed bytes in, poll events
//! out and take bytes to send.

pub use psremote_clixml as clixml;

mod command;
mod crypto;
mod error;
mod event;
mod fragment;
mod message;
mod messages;
mod obj;
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
pub use message::{Destination, HEADER_LEN, Message, MessageType, UTF8_BOM};
pub use messages::{
    Availability, CreatePipeline, GetCommandMetadata, HostCall, HostResponse, InitRunspacePool,
    MessageData, SessionCapability,
};
pub use pool::{PipelineOptions, RunspacePool, RunspacePoolOptions};
pub use types::{
    ApartmentState, ApplicationPrivateData, CommandTypes, HostInfo, HostMethodIdentifier,
    PSInvocationState, PSThreadOptions, ProtocolVersion, RemoteStreamOptions, RunspacePoolState,
};
