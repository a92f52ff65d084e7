//! Errors of the PSRP layer. Everything that comes off the wire fails with one of these,
//! never with a panic.

use uuid::Uuid;

/// Why a fragment stream could not be reassembled (MS-PSRP 2.2.4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    #[error("truncated fragment: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    #[error("fragment {fragment_id} of object {object_id} arrived without a Start fragment")]
    MissingStart { object_id: u64, fragment_id: u64 },
    #[error("Start fragment of object {object_id} arrived while that object was in flight")]
    DuplicateStart { object_id: u64 },
    #[error("object {object_id}: fragment {got} arrived, {expected} expected")]
    OutOfOrder {
        object_id: u64,
        expected: u64,
        got: u64,
    },
    #[error("Start fragment of object {object_id} has FragmentId {fragment_id}, not 0")]
    BadStartId { object_id: u64, fragment_id: u64 },
    #[error("object {object_id} is {size} bytes, over the limit of {limit}")]
    MessageTooLarge {
        object_id: u64,
        size: usize,
        limit: usize,
    },
    #[error("{limit} objects already in flight")]
    TooManyObjects { limit: usize },
}

/// Errors of the PSRP layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("fragment: {0}")]
    Fragment(#[from] FragmentError),
    #[error("PSRP message of {len} bytes is shorter than the 40-byte header")]
    MessageTooShort { len: usize },
    #[error("PSRP message has unknown destination {0:#x}")]
    BadDestination(u32),
    #[error("{message}: invalid payload: {reason}")]
    Payload {
        message: &'static str,
        reason: String,
    },
    #[error("{message}: the CLIXML payload could not be read: {reason}")]
    Clixml {
        message: &'static str,
        reason: String,
    },
    #[error("invalid state: {0}")]
    InvalidState(String),
    #[error("unknown pipeline {0}")]
    UnknownPipeline(Uuid),
    #[error("message for runspace pool {got}, this pool is {expected}")]
    WrongRunspacePool { expected: Uuid, got: Uuid },
    #[error("session key: {0}")]
    Crypto(String),
    #[error("server speaks PSRP protocol {server}, which this client cannot use")]
    UnsupportedProtocol { server: String },
}

impl Error {
    pub(crate) fn payload(message: &'static str, reason: impl Into<String>) -> Error {
        Error::Payload {
            message,
            reason: reason.into(),
        }
    }

    pub(crate) fn state(reason: impl Into<String>) -> Error {
        Error::InvalidState(reason.into())
    }
}
