//! PSRP messages (MS-PSRP 2.2.1): a 40-byte header and UTF-8 CLIXML data.

use uuid::Uuid;

use crate::error::Error;

/// Who a message is for (MS-PSRP 2.2.1, `Destination`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    Client,
    Server,
}

impl Destination {
    pub fn as_u32(self) -> u32 {
        match self {
            Destination::Client => 1,
            Destination::Server => 2,
        }
    }

    pub fn from_u32(n: u32) -> Result<Destination, Error> {
        match n {
            1 => Ok(Destination::Client),
            2 => Ok(Destination::Server),
            n => Err(Error::BadDestination(n)),
        }
    }
}

macro_rules! message_types {
    ($($(#[$meta:meta])* $variant:ident = $value:literal => $name:literal),+ $(,)?) => {
        /// The message types of MS-PSRP 2.2.1 (`MessageType`), described in 2.2.2.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MessageType {
            $($(#[$meta])* $variant,)+
            /// A type this client does not know; kept, never an error.
            Unknown(u32),
        }

        impl MessageType {
            pub fn as_u32(self) -> u32 {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(n) => n,
                }
            }

            pub fn from_u32(n: u32) -> MessageType {
                match n {
                    $($value => Self::$variant,)+
                    n => Self::Unknown(n),
                }
            }

            /// The spec's name, e.g. `SESSION_CAPABILITY`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                    Self::Unknown(_) => "UNKNOWN",
                }
            }
        }
    };
}

message_types! {
    SessionCapability = 0x0001_0002 => "SESSION_CAPABILITY",
    InitRunspacePool = 0x0001_0004 => "INIT_RUNSPACEPOOL",
    PublicKey = 0x0001_0005 => "PUBLIC_KEY",
    EncryptedSessionKey = 0x0001_0006 => "ENCRYPTED_SESSION_KEY",
    PublicKeyRequest = 0x0001_0007 => "PUBLIC_KEY_REQUEST",
    ConnectRunspacePool = 0x0001_0008 => "CONNECT_RUNSPACEPOOL",
    SetMaxRunspaces = 0x0002_1002 => "SET_MAX_RUNSPACES",
    SetMinRunspaces = 0x0002_1003 => "SET_MIN_RUNSPACES",
    RunspaceAvailability = 0x0002_1004 => "RUNSPACE_AVAILABILITY",
    RunspacePoolState = 0x0002_1005 => "RUNSPACEPOOL_STATE",
    CreatePipeline = 0x0002_1006 => "CREATE_PIPELINE",
    GetAvailableRunspaces = 0x0002_1007 => "GET_AVAILABLE_RUNSPACES",
    UserEvent = 0x0002_1008 => "USER_EVENT",
    ApplicationPrivateData = 0x0002_1009 => "APPLICATION_PRIVATE_DATA",
    GetCommandMetadata = 0x0002_100A => "GET_COMMAND_METADATA",
    RunspacePoolInitData = 0x0002_100B => "RUNSPACEPOOL_INIT_DATA",
    ResetRunspaceState = 0x0002_100C => "RESET_RUNSPACE_STATE",
    RunspacePoolHostCall = 0x0002_1100 => "RUNSPACEPOOL_HOST_CALL",
    RunspacePoolHostResponse = 0x0002_1101 => "RUNSPACEPOOL_HOST_RESPONSE",
    PipelineInput = 0x0004_1002 => "PIPELINE_INPUT",
    EndOfPipelineInput = 0x0004_1003 => "END_OF_PIPELINE_INPUT",
    PipelineOutput = 0x0004_1004 => "PIPELINE_OUTPUT",
    ErrorRecord = 0x0004_1005 => "ERROR_RECORD",
    PipelineState = 0x0004_1006 => "PIPELINE_STATE",
    DebugRecord = 0x0004_1007 => "DEBUG_RECORD",
    VerboseRecord = 0x0004_1008 => "VERBOSE_RECORD",
    WarningRecord = 0x0004_1009 => "WARNING_RECORD",
    ProgressRecord = 0x0004_1010 => "PROGRESS_RECORD",
    InformationRecord = 0x0004_1011 => "INFORMATION_RECORD",
    PipelineHostCall = 0x0004_1100 => "PIPELINE_HOST_CALL",
    PipelineHostResponse = 0x0004_1101 => "PIPELINE_HOST_RESPONSE",
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageType::Unknown(n) => write!(f, "unknown message type {n:#010x}"),
            t => f.write_str(t.name()),
        }
    }
}

/// The UTF-8 byte order mark a Windows peer puts in front of the CLIXML.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Size of the message header: Destination, MessageType, RPID, PID.
pub const HEADER_LEN: usize = 40;

/// The 40-byte header of a PSRP message (MS-PSRP 2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageHeader {
    pub destination: Destination,
    pub message_type: MessageType,
    pub rpid: Uuid,
    pub pid: Uuid,
}

/// One PSRP message (MS-PSRP 2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub destination: Destination,
    pub message_type: MessageType,
    /// RunspacePool id.
    pub rpid: Uuid,
    /// Pipeline id; nil for runspace-pool messages.
    pub pid: Uuid,
    /// The CLIXML data, without the UTF-8 BOM.
    pub data: Vec<u8>,
}

impl Message {
    /// Encodes the message; GUIDs in .NET `Guid.ToByteArray()` order, data behind a UTF-8 BOM
    /// (as Windows sends it; empty data stays empty).
    pub fn encode(&self) -> Vec<u8> {
        let bom = if self.data.is_empty() {
            0
        } else {
            UTF8_BOM.len()
        };
        let mut out = Vec::with_capacity(HEADER_LEN + bom + self.data.len());
        self.encode_into(&mut out);
        out
    }

    /// Like [`Message::encode`], appending to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.destination.as_u32().to_le_bytes());
        out.extend_from_slice(&self.message_type.as_u32().to_le_bytes());
        out.extend_from_slice(&self.rpid.to_bytes_le());
        out.extend_from_slice(&self.pid.to_bytes_le());
        if !self.data.is_empty() {
            out.extend_from_slice(UTF8_BOM);
            out.extend_from_slice(&self.data);
        }
    }

    /// Decodes a whole message; a leading UTF-8 BOM on the data is dropped.
    pub fn decode(bytes: &[u8]) -> Result<Message, Error> {
        let (h, data) = Message::split(bytes)?;
        Ok(Message {
            destination: h.destination,
            message_type: h.message_type,
            rpid: h.rpid,
            pid: h.pid,
            data: data.to_vec(),
        })
    }

    /// Reads the header of a whole message and borrows its data (BOM dropped), without
    /// copying it.
    pub fn split(bytes: &[u8]) -> Result<(MessageHeader, &[u8]), Error> {
        let header = bytes
            .get(..HEADER_LEN)
            .ok_or(Error::MessageTooShort { len: bytes.len() })?;
        let (dest, rest) = header.split_at(4);
        let (mtype, rest) = rest.split_at(4);
        let (rpid, pid) = rest.split_at(16);
        let u32_le = |b: &[u8]| {
            let mut a = [0u8; 4];
            a.copy_from_slice(b);
            u32::from_le_bytes(a)
        };
        let guid = |b: &[u8]| {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            Uuid::from_bytes_le(a)
        };
        let mut data = bytes.get(HEADER_LEN..).unwrap_or_default();
        if let Some(rest) = data.strip_prefix(UTF8_BOM) {
            data = rest;
        }
        Ok((
            MessageHeader {
                destination: Destination::from_u32(u32_le(dest))?,
                message_type: MessageType::from_u32(u32_le(mtype)),
                rpid: guid(rpid),
                pid: guid(pid),
            },
            data,
        ))
    }

    /// The data as text (CLIXML is UTF-8; invalid sequences are an error).
    pub fn data_str(&self) -> Result<&str, Error> {
        std::str::from_utf8(&self.data).map_err(|e| Error::Clixml {
            message: self.message_type.name(),
            reason: format!("not UTF-8: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_le_with_dotnet_guids() {
        let rpid = Uuid::parse_str("846a0576-dc51-244f-9262-ca2a55464b2b").unwrap_or_default();
        let m = Message {
            destination: Destination::Server,
            message_type: MessageType::SessionCapability,
            rpid,
            pid: Uuid::nil(),
            data: b"<Obj/>".to_vec(),
        };
        let bytes = m.encode();
        assert_eq!(&bytes[..8], &[2, 0, 0, 0, 2, 0, 1, 0]);
        // .NET order: the first three groups little-endian.
        assert_eq!(&bytes[8..12], &[0x76, 0x05, 0x6a, 0x84]);
        assert_eq!(&bytes[40..43], UTF8_BOM);
        assert_eq!(Message::decode(&bytes), Ok(m));
    }

    #[test]
    fn unknown_type_and_missing_bom_decode() {
        let mut bytes = vec![1, 0, 0, 0, 0x0e, 0x10, 0x02, 0x00];
        bytes.extend_from_slice(&[0; 32]);
        bytes.extend_from_slice(b"<S>x</S>");
        let m = Message::decode(&bytes);
        assert!(matches!(
            m,
            Ok(Message {
                message_type: MessageType::Unknown(0x0002_100E),
                ..
            })
        ));
        assert_eq!(m.map(|m| m.data), Ok(b"<S>x</S>".to_vec()));
    }

    #[test]
    fn short_and_bad_destination_are_errors() {
        assert_eq!(
            Message::decode(&[1, 0, 0]),
            Err(Error::MessageTooShort { len: 3 })
        );
        let mut bytes = vec![7, 0, 0, 0];
        bytes.extend_from_slice(&[0; 36]);
        assert_eq!(Message::decode(&bytes), Err(Error::BadDestination(7)));
    }
}
