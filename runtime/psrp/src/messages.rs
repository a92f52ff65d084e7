//! Typed payloads of every PSRP message type (MS-PSRP 2.2.2), to and from CLIXML.

use psremote_clixml::{Limits, ListKind, ObjContent, PsObject, Value, Version};
use uuid::Uuid;

use crate::command::PowerShell;
use crate::error::Error;
use crate::message::{Destination, Message, MessageType};
use crate::obj::{Reader, as_i64, as_list, list_value, ms_object};
use crate::types::{
    ApartmentState, CommandTypes, HostInfo, HostMethodIdentifier, PSInvocationState,
    PSThreadOptions, ProtocolVersion, RemoteStreamOptions, RunspacePoolState,
};

/// SESSION_CAPABILITY (2.2.2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCapability {
    pub protocol_version: Version,
    pub ps_version: Version,
    pub serialization_version: Version,
    /// `TimeZone` (optional, a serialized TimeZoneInfo as bytes), kept as sent.
    pub time_zone: Option<Value>,
}

impl SessionCapability {
    /// What this client announces: protocol 2.3, PSVersion 2.0, serialization 1.1.0.1
    /// (the values Windows PowerShell clients send).
    pub fn client(protocol: ProtocolVersion) -> SessionCapability {
        SessionCapability {
            protocol_version: protocol.to_version(),
            ps_version: Version {
                major: 2,
                minor: 0,
                build: None,
                revision: None,
            },
            serialization_version: Version {
                major: 1,
                minor: 1,
                build: Some(0),
                revision: Some(1),
            },
            time_zone: None,
        }
    }
}

/// INIT_RUNSPACEPOOL (2.2.2.2).
#[derive(Debug, Clone, PartialEq)]
pub struct InitRunspacePool {
    pub min_runspaces: i32,
    pub max_runspaces: i32,
    pub thread_options: PSThreadOptions,
    pub apartment_state: ApartmentState,
    pub host_info: HostInfo,
    /// `ApplicationArguments`: a PSPrimitiveDictionary for `$PSSenderInfo.ApplicationArguments`.
    pub application_arguments: Option<Value>,
}

/// RUNSPACE_AVAILABILITY (2.2.2.8): the answer to SET_MAX/MIN_RUNSPACES and
/// RESET_RUNSPACE_STATE (a bool) or GET_AVAILABLE_RUNSPACES (a count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Succeeded(bool),
    Available(i64),
}

/// CREATE_PIPELINE (2.2.2.10).
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePipeline {
    pub no_input: bool,
    pub apartment_state: ApartmentState,
    pub remote_stream_options: RemoteStreamOptions,
    pub add_to_history: bool,
    pub host_info: HostInfo,
    pub power_shell: PowerShell,
    pub is_nested: bool,
}

/// GET_COMMAND_METADATA (2.2.2.14).
#[derive(Debug, Clone, PartialEq)]
pub struct GetCommandMetadata {
    /// Command name patterns (wildcards allowed).
    pub name: Vec<String>,
    pub command_type: CommandTypes,
    /// Module name patterns.
    pub namespace: Option<Vec<String>>,
    pub argument_list: Option<Vec<Value>>,
}

impl GetCommandMetadata {
    /// Everything matching the name patterns, of every command type a PowerShell 7 or
    /// Windows PowerShell server knows ([`CommandTypes::All`]).
    pub fn names<I, S>(names: I) -> GetCommandMetadata
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GetCommandMetadata {
            name: names.into_iter().map(Into::into).collect(),
            command_type: CommandTypes::All,
            namespace: None,
            argument_list: None,
        }
    }
}

/// A host call (RUNSPACEPOOL_HOST_CALL 2.2.2.15, PIPELINE_HOST_CALL 2.2.2.27; 2.2.3.17).
#[derive(Debug, Clone, PartialEq)]
pub struct HostCall {
    /// `ci`: the call id, echoed in the response.
    pub call_id: i64,
    /// `mi`
    pub method: HostMethodIdentifier,
    /// `mp`: the method's arguments.
    pub parameters: Vec<Value>,
}

/// A host response (RUNSPACEPOOL_HOST_RESPONSE 2.2.2.16, PIPELINE_HOST_RESPONSE 2.2.2.28).
#[derive(Debug, Clone, PartialEq)]
pub struct HostResponse {
    pub call_id: i64,
    pub method: HostMethodIdentifier,
    /// `mr`: the return value.
    pub result: Option<Value>,
    /// `me`: an ErrorRecord when the call failed.
    pub error: Option<Value>,
}

/// The typed content of one PSRP message.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageData {
    SessionCapability(SessionCapability),
    InitRunspacePool(InitRunspacePool),
    /// PUBLIC_KEY (2.2.2.3): base64 of a CAPI PUBLICKEYBLOB.
    PublicKey(String),
    /// ENCRYPTED_SESSION_KEY (2.2.2.4): base64 of a CAPI SIMPLEBLOB.
    EncryptedSessionKey(String),
    /// PUBLIC_KEY_REQUEST (2.2.2.5).
    PublicKeyRequest,
    /// SET_MAX_RUNSPACES (2.2.2.6).
    SetMaxRunspaces {
        max_runspaces: i32,
        call_id: i64,
    },
    /// SET_MIN_RUNSPACES (2.2.2.7).
    SetMinRunspaces {
        min_runspaces: i32,
        call_id: i64,
    },
    RunspaceAvailability {
        call_id: i64,
        availability: Availability,
    },
    /// RUNSPACEPOOL_STATE (2.2.2.9).
    RunspacePoolState {
        state: RunspacePoolState,
        error: Option<Value>,
    },
    CreatePipeline(CreatePipeline),
    /// GET_AVAILABLE_RUNSPACES (2.2.2.11).
    GetAvailableRunspaces {
        call_id: i64,
    },
    /// USER_EVENT (2.2.2.12): the PSEventArgs object.
    UserEvent(Value),
    /// APPLICATION_PRIVATE_DATA (2.2.2.13): the `ApplicationPrivateData` dictionary.
    ApplicationPrivateData(Value),
    GetCommandMetadata(GetCommandMetadata),
    RunspacePoolHostCall(HostCall),
    RunspacePoolHostResponse(HostResponse),
    /// PIPELINE_INPUT (2.2.2.17): one input object.
    PipelineInput(Value),
    /// END_OF_PIPELINE_INPUT (2.2.2.18).
    EndOfPipelineInput,
    /// PIPELINE_OUTPUT (2.2.2.19): one output object.
    PipelineOutput(Value),
    /// ERROR_RECORD (2.2.2.20).
    ErrorRecord(Value),
    /// PIPELINE_STATE (2.2.2.21); `error` is `ExceptionAsErrorRecord`.
    PipelineState {
        state: PSInvocationState,
        error: Option<Value>,
    },
    /// DEBUG_RECORD (2.2.2.22).
    DebugRecord(Value),
    /// VERBOSE_RECORD (2.2.2.23).
    VerboseRecord(Value),
    /// WARNING_RECORD (2.2.2.24).
    WarningRecord(Value),
    /// PROGRESS_RECORD (2.2.2.25).
    ProgressRecord(Value),
    /// INFORMATION_RECORD (2.2.2.26).
    InformationRecord(Value),
    PipelineHostCall(HostCall),
    PipelineHostResponse(HostResponse),
    /// CONNECT_RUNSPACEPOOL (2.2.2.29): optionally new min/max runspaces.
    ConnectRunspacePool {
        min_runspaces: Option<i32>,
        max_runspaces: Option<i32>,
    },
    /// RUNSPACEPOOL_INIT_DATA (2.2.2.30).
    RunspacePoolInitData {
        min_runspaces: i32,
        max_runspaces: i32,
    },
    /// RESET_RUNSPACE_STATE (2.2.2.31).
    ResetRunspaceState {
        call_id: i64,
    },
    /// A message type this client does not know.
    Unknown(u32),
}

fn version_prop(r: &Reader<'_>, name: &'static str) -> Result<Version, Error> {
    match r.req(name)? {
        Value::Version(v) => Ok(*v),
        // Some peers send the version as a string.
        Value::String(s) => s.parse().map_err(|_| r.bad(name, "a version")),
        _ => Err(r.bad(name, "a <Version>")),
    }
}

fn opt_value(r: &Reader<'_>, name: &str) -> Option<Value> {
    r.some(name).cloned()
}

fn string_list(v: &Value, r: &Reader<'_>, name: &'static str) -> Result<Vec<String>, Error> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        _ => as_list(v)
            .ok_or_else(|| r.bad(name, "a list of strings"))?
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| r.bad(name, "a list of strings"))
            })
            .collect(),
    }
}

const STRING_ARRAY_TYPE: [&str; 3] = ["System.String[]", "System.Array", "System.Object"];
const OBJECT_ARRAY_TYPE: [&str; 3] = ["System.Object[]", "System.Array", "System.Object"];
const ARRAY_LIST_TYPE: [&str; 2] = ["System.Collections.ArrayList", "System.Object"];

impl HostCall {
    fn to_value(&self) -> Value {
        ms_object(vec![
            ("ci", Value::I64(self.call_id)),
            ("mi", self.method.to_value()),
            (
                "mp",
                list_value(&ARRAY_LIST_TYPE, ListKind::List, self.parameters.clone()),
            ),
        ])
    }

    fn from_value(v: &Value) -> Result<HostCall, Error> {
        let r = Reader::new(v, "host call")?;
        let method = HostMethodIdentifier::from_value(r.req("mi")?)
            .ok_or_else(|| r.bad("mi", "a RemoteHostMethodId"))?;
        let parameters = match r.some("mp") {
            None => Vec::new(),
            Some(mp) => as_list(mp).ok_or_else(|| r.bad("mp", "a list"))?.to_vec(),
        };
        Ok(HostCall {
            call_id: r.i64("ci")?,
            method,
            parameters,
        })
    }
}

impl HostResponse {
    fn to_value(&self) -> Value {
        let mut props = vec![
            ("ci", Value::I64(self.call_id)),
            ("mi", self.method.to_value()),
        ];
        if let Some(r) = &self.result {
            props.push(("mr", r.clone()));
        }
        if let Some(e) = &self.error {
            props.push(("me", e.clone()));
        }
        ms_object(props)
    }

    fn from_value(v: &Value) -> Result<HostResponse, Error> {
        let r = Reader::new(v, "host response")?;
        let method = HostMethodIdentifier::from_value(r.req("mi")?)
            .ok_or_else(|| r.bad("mi", "a RemoteHostMethodId"))?;
        Ok(HostResponse {
            call_id: r.i64("ci")?,
            method,
            result: r.opt("mr").cloned(),
            error: r.opt("me").cloned(),
        })
    }
}

fn enum_prop<T>(
    r: &Reader<'_>,
    name: &'static str,
    from: impl Fn(&Value) -> Option<T>,
) -> Result<T, Error> {
    from(r.req(name)?).ok_or_else(|| r.bad(name, "an enum"))
}

impl MessageData {
    /// The message type this payload is sent as.
    pub fn message_type(&self) -> MessageType {
        use MessageData as D;
        match self {
            D::SessionCapability(_) => MessageType::SessionCapability,
            D::InitRunspacePool(_) => MessageType::InitRunspacePool,
            D::PublicKey(_) => MessageType::PublicKey,
            D::EncryptedSessionKey(_) => MessageType::EncryptedSessionKey,
            D::PublicKeyRequest => MessageType::PublicKeyRequest,
            D::SetMaxRunspaces { .. } => MessageType::SetMaxRunspaces,
            D::SetMinRunspaces { .. } => MessageType::SetMinRunspaces,
            D::RunspaceAvailability { .. } => MessageType::RunspaceAvailability,
            D::RunspacePoolState { .. } => MessageType::RunspacePoolState,
            D::CreatePipeline(_) => MessageType::CreatePipeline,
            D::GetAvailableRunspaces { .. } => MessageType::GetAvailableRunspaces,
            D::UserEvent(_) => MessageType::UserEvent,
            D::ApplicationPrivateData(_) => MessageType::ApplicationPrivateData,
            D::GetCommandMetadata(_) => MessageType::GetCommandMetadata,
            D::RunspacePoolHostCall(_) => MessageType::RunspacePoolHostCall,
            D::RunspacePoolHostResponse(_) => MessageType::RunspacePoolHostResponse,
            D::PipelineInput(_) => MessageType::PipelineInput,
            D::EndOfPipelineInput => MessageType::EndOfPipelineInput,
            D::PipelineOutput(_) => MessageType::PipelineOutput,
            D::ErrorRecord(_) => MessageType::ErrorRecord,
            D::PipelineState { .. } => MessageType::PipelineState,
            D::DebugRecord(_) => MessageType::DebugRecord,
            D::VerboseRecord(_) => MessageType::VerboseRecord,
            D::WarningRecord(_) => MessageType::WarningRecord,
            D::ProgressRecord(_) => MessageType::ProgressRecord,
            D::InformationRecord(_) => MessageType::InformationRecord,
            D::PipelineHostCall(_) => MessageType::PipelineHostCall,
            D::PipelineHostResponse(_) => MessageType::PipelineHostResponse,
            D::ConnectRunspacePool { .. } => MessageType::ConnectRunspacePool,
            D::RunspacePoolInitData { .. } => MessageType::RunspacePoolInitData,
            D::ResetRunspaceState { .. } => MessageType::ResetRunspaceState,
            D::Unknown(n) => MessageType::Unknown(*n),
        }
    }

    /// The CLIXML value of the payload (`None` for the messages without data:
    /// END_OF_PIPELINE_INPUT, and unknown types). `version` picks protocol-dependent fields
    /// (CREATE_PIPELINE's merge settings).
    pub fn to_value(&self, version: ProtocolVersion) -> Option<Value> {
        use MessageData as D;
        Some(match self {
            D::SessionCapability(c) => {
                let mut props = vec![
                    ("protocolversion", Value::Version(c.protocol_version)),
                    ("PSVersion", Value::Version(c.ps_version)),
                    (
                        "SerializationVersion",
                        Value::Version(c.serialization_version),
                    ),
                ];
                if let Some(tz) = &c.time_zone {
                    props.push(("TimeZone", tz.clone()));
                }
                ms_object(props)
            }
            D::InitRunspacePool(i) => ms_object(vec![
                ("MinRunspaces", Value::I32(i.min_runspaces)),
                ("MaxRunspaces", Value::I32(i.max_runspaces)),
                ("PSThreadOptions", i.thread_options.to_value()),
                ("ApartmentState", i.apartment_state.to_value()),
                ("HostInfo", i.host_info.to_value()),
                (
                    "ApplicationArguments",
                    i.application_arguments.clone().unwrap_or(Value::Null),
                ),
            ]),
            D::PublicKey(k) => ms_object(vec![("PublicKey", Value::String(k.clone()))]),
            D::EncryptedSessionKey(k) => {
                ms_object(vec![("EncryptedSessionKey", Value::String(k.clone()))])
            }
            D::PublicKeyRequest => Value::String(String::new()),
            D::SetMaxRunspaces {
                max_runspaces,
                call_id,
            } => ms_object(vec![
                ("MaxRunspaces", Value::I32(*max_runspaces)),
                ("ci", Value::I64(*call_id)),
            ]),
            D::SetMinRunspaces {
                min_runspaces,
                call_id,
            } => ms_object(vec![
                ("MinRunspaces", Value::I32(*min_runspaces)),
                ("ci", Value::I64(*call_id)),
            ]),
            D::RunspaceAvailability {
                call_id,
                availability,
            } => ms_object(vec![
                (
                    "SetMinMaxRunspacesResponse",
                    match availability {
                        Availability::Succeeded(b) => Value::Bool(*b),
                        // Windows sends the count as an Int32.
                        Availability::Available(n) => {
                            i32::try_from(*n).map_or(Value::I64(*n), Value::I32)
                        }
                    },
                ),
                ("ci", Value::I64(*call_id)),
            ]),
            D::RunspacePoolState { state, error } => {
                let mut props = vec![("RunspaceState", Value::I32(state.as_i32()))];
                if let Some(e) = error {
                    props.push(("ExceptionAsErrorRecord", e.clone()));
                }
                ms_object(props)
            }
            D::CreatePipeline(c) => ms_object(vec![
                ("NoInput", Value::Bool(c.no_input)),
                ("ApartmentState", c.apartment_state.to_value()),
                ("RemoteStreamOptions", c.remote_stream_options.to_value()),
                ("AddToHistory", Value::Bool(c.add_to_history)),
                ("HostInfo", c.host_info.to_value()),
                ("PowerShell", c.power_shell.to_value(version)),
                ("IsNested", Value::Bool(c.is_nested)),
            ]),
            D::GetAvailableRunspaces { call_id } => ms_object(vec![("ci", Value::I64(*call_id))]),
            D::UserEvent(v)
            | D::PipelineInput(v)
            | D::PipelineOutput(v)
            | D::ErrorRecord(v)
            | D::DebugRecord(v)
            | D::VerboseRecord(v)
            | D::WarningRecord(v)
            | D::ProgressRecord(v)
            | D::InformationRecord(v) => v.clone(),
            D::ApplicationPrivateData(v) => ms_object(vec![("ApplicationPrivateData", v.clone())]),
            D::GetCommandMetadata(g) => ms_object(vec![
                (
                    "Name",
                    list_value(
                        &STRING_ARRAY_TYPE,
                        ListKind::List,
                        g.name.iter().cloned().map(Value::String).collect(),
                    ),
                ),
                ("CommandType", g.command_type.to_value()),
                (
                    "Namespace",
                    g.namespace.as_ref().map_or(Value::Null, |n| {
                        list_value(
                            &STRING_ARRAY_TYPE,
                            ListKind::List,
                            n.iter().cloned().map(Value::String).collect(),
                        )
                    }),
                ),
                (
                    "ArgumentList",
                    g.argument_list.as_ref().map_or(Value::Null, |a| {
                        list_value(&OBJECT_ARRAY_TYPE, ListKind::List, a.clone())
                    }),
                ),
            ]),
            D::RunspacePoolHostCall(c) | D::PipelineHostCall(c) => c.to_value(),
            D::RunspacePoolHostResponse(r) | D::PipelineHostResponse(r) => r.to_value(),
            D::PipelineState { state, error } => {
                let mut props = vec![("PipelineState", Value::I32(state.as_i32()))];
                if let Some(e) = error {
                    props.push(("ExceptionAsErrorRecord", e.clone()));
                }
                ms_object(props)
            }
            D::ConnectRunspacePool {
                min_runspaces,
                max_runspaces,
            } => {
                let mut props = Vec::new();
                if let Some(n) = min_runspaces {
                    props.push(("MinRunspaces", Value::I32(*n)));
                }
                if let Some(n) = max_runspaces {
                    props.push(("MaxRunspaces", Value::I32(*n)));
                }
                if props.is_empty() {
                    // Nothing to change: an empty string, as PowerShell sends it.
                    Value::String(String::new())
                } else {
                    ms_object(props)
                }
            }
            D::RunspacePoolInitData {
                min_runspaces,
                max_runspaces,
            } => ms_object(vec![
                ("MinRunspaces", Value::I32(*min_runspaces)),
                ("MaxRunspaces", Value::I32(*max_runspaces)),
            ]),
            D::ResetRunspaceState { call_id } => ms_object(vec![("ci", Value::I64(*call_id))]),
            D::EndOfPipelineInput | D::Unknown(_) => return None,
        })
    }

    /// Reads the payload of a message of type `message_type` from its CLIXML value
    /// (`None` when the message had no data).
    pub fn from_value(message_type: MessageType, v: Option<&Value>) -> Result<MessageData, Error> {
        use MessageData as D;
        use MessageType as T;
        let name = message_type.name();
        let need = || v.ok_or_else(|| Error::payload(name, "no data"));
        let reader = || -> Result<Reader<'_>, Error> { Reader::new(need()?, name) };
        Ok(match message_type {
            T::SessionCapability => {
                let r = reader()?;
                D::SessionCapability(SessionCapability {
                    protocol_version: version_prop(&r, "protocolversion")?,
                    ps_version: version_prop(&r, "PSVersion")?,
                    serialization_version: version_prop(&r, "SerializationVersion")?,
                    time_zone: opt_value(&r, "TimeZone"),
                })
            }
            T::InitRunspacePool => {
                let r = reader()?;
                D::InitRunspacePool(InitRunspacePool {
                    min_runspaces: r.i32("MinRunspaces")?,
                    max_runspaces: r.i32("MaxRunspaces")?,
                    thread_options: enum_prop(&r, "PSThreadOptions", PSThreadOptions::from_value)?,
                    apartment_state: enum_prop(&r, "ApartmentState", ApartmentState::from_value)?,
                    host_info: HostInfo::from_value(r.req("HostInfo")?)?,
                    application_arguments: opt_value(&r, "ApplicationArguments"),
                })
            }
            T::PublicKey => D::PublicKey(reader()?.string("PublicKey")?),
            T::EncryptedSessionKey => {
                D::EncryptedSessionKey(reader()?.string("EncryptedSessionKey")?)
            }
            T::PublicKeyRequest => D::PublicKeyRequest,
            T::SetMaxRunspaces => {
                let r = reader()?;
                D::SetMaxRunspaces {
                    max_runspaces: r.i32("MaxRunspaces")?,
                    call_id: r.i64("ci")?,
                }
            }
            T::SetMinRunspaces => {
                let r = reader()?;
                D::SetMinRunspaces {
                    min_runspaces: r.i32("MinRunspaces")?,
                    call_id: r.i64("ci")?,
                }
            }
            T::RunspaceAvailability => {
                let r = reader()?;
                let availability = match r.req("SetMinMaxRunspacesResponse")? {
                    Value::Bool(b) => Availability::Succeeded(*b),
                    other => Availability::Available(
                        as_i64(other)
                            .ok_or_else(|| r.bad("SetMinMaxRunspacesResponse", "bool or count"))?,
                    ),
                };
                D::RunspaceAvailability {
                    call_id: r.i64("ci")?,
                    availability,
                }
            }
            T::RunspacePoolState => {
                let r = reader()?;
                D::RunspacePoolState {
                    state: enum_prop(&r, "RunspaceState", RunspacePoolState::from_value)?,
                    error: opt_value(&r, "ExceptionAsErrorRecord"),
                }
            }
            T::CreatePipeline => {
                let r = reader()?;
                let mut power_shell = PowerShell::from_value(r.req("PowerShell")?)?;
                let add_to_history = r.opt_bool("AddToHistory")?.unwrap_or(false);
                power_shell.add_to_history = add_to_history;
                D::CreatePipeline(CreatePipeline {
                    no_input: r.bool("NoInput")?,
                    apartment_state: enum_prop(&r, "ApartmentState", ApartmentState::from_value)?,
                    remote_stream_options: enum_prop(
                        &r,
                        "RemoteStreamOptions",
                        RemoteStreamOptions::from_value,
                    )?,
                    add_to_history,
                    host_info: HostInfo::from_value(r.req("HostInfo")?)?,
                    power_shell,
                    is_nested: r.opt_bool("IsNested")?.unwrap_or(false),
                })
            }
            T::GetAvailableRunspaces => D::GetAvailableRunspaces {
                call_id: reader()?.i64("ci")?,
            },
            T::UserEvent => D::UserEvent(need()?.clone()),
            T::ApplicationPrivateData => {
                let r = reader()?;
                D::ApplicationPrivateData(
                    r.opt("ApplicationPrivateData")
                        .cloned()
                        .unwrap_or(Value::Null),
                )
            }
            T::GetCommandMetadata => {
                let r = reader()?;
                let name = match r.some("Name") {
                    None => Vec::new(),
                    Some(v) => string_list(v, &r, "Name")?,
                };
                let namespace = match r.some("Namespace") {
                    None => None,
                    Some(v) => Some(string_list(v, &r, "Namespace")?),
                };
                let argument_list = match r.some("ArgumentList") {
                    None => None,
                    Some(v) => Some(
                        as_list(v)
                            .ok_or_else(|| r.bad("ArgumentList", "a list"))?
                            .to_vec(),
                    ),
                };
                D::GetCommandMetadata(GetCommandMetadata {
                    name,
                    command_type: enum_prop(&r, "CommandType", CommandTypes::from_value)?,
                    namespace,
                    argument_list,
                })
            }
            T::RunspacePoolHostCall => D::RunspacePoolHostCall(HostCall::from_value(need()?)?),
            T::RunspacePoolHostResponse => {
                D::RunspacePoolHostResponse(HostResponse::from_value(need()?)?)
            }
            T::PipelineInput => D::PipelineInput(need()?.clone()),
            T::EndOfPipelineInput => D::EndOfPipelineInput,
            T::PipelineOutput => D::PipelineOutput(need()?.clone()),
            T::ErrorRecord => D::ErrorRecord(need()?.clone()),
            T::PipelineState => {
                let r = reader()?;
                D::PipelineState {
                    state: enum_prop(&r, "PipelineState", PSInvocationState::from_value)?,
                    error: opt_value(&r, "ExceptionAsErrorRecord"),
                }
            }
            T::DebugRecord => D::DebugRecord(need()?.clone()),
            T::VerboseRecord => D::VerboseRecord(need()?.clone()),
            T::WarningRecord => D::WarningRecord(need()?.clone()),
            T::ProgressRecord => D::ProgressRecord(need()?.clone()),
            T::InformationRecord => D::InformationRecord(need()?.clone()),
            T::PipelineHostCall => D::PipelineHostCall(HostCall::from_value(need()?)?),
            T::PipelineHostResponse => D::PipelineHostResponse(HostResponse::from_value(need()?)?),
            T::ConnectRunspacePool => match v {
                Some(Value::Object(o)) if has_props(o) => {
                    let r = reader()?;
                    D::ConnectRunspacePool {
                        min_runspaces: r
                            .some("MinRunspaces")
                            .map(|_| r.i32("MinRunspaces"))
                            .transpose()?,
                        max_runspaces: r
                            .some("MaxRunspaces")
                            .map(|_| r.i32("MaxRunspaces"))
                            .transpose()?,
                    }
                }
                _ => D::ConnectRunspacePool {
                    min_runspaces: None,
                    max_runspaces: None,
                },
            },
            T::RunspacePoolInitData => {
                let r = reader()?;
                D::RunspacePoolInitData {
                    min_runspaces: r.i32("MinRunspaces")?,
                    max_runspaces: r.i32("MaxRunspaces")?,
                }
            }
            T::ResetRunspaceState => D::ResetRunspaceState {
                call_id: reader()?.i64("ci")?,
            },
            T::Unknown(n) => D::Unknown(n),
        })
    }

    /// Decodes a message's data (CLIXML, read with `limits`) into its typed payload.
    pub fn decode(message: &Message, limits: &Limits) -> Result<MessageData, Error> {
        MessageData::decode_data(message.message_type, &message.data, limits)
    }

    /// Decodes the data of a message of type `message_type` (BOM already dropped).
    pub fn decode_data(
        message_type: MessageType,
        data: &[u8],
        limits: &Limits,
    ) -> Result<MessageData, Error> {
        if let MessageType::Unknown(n) = message_type {
            return Ok(MessageData::Unknown(n));
        }
        let values = psremote_clixml::from_bytes_with(data, limits).map_err(|e| Error::Clixml {
            message: message_type.name(),
            reason: e.to_string(),
        })?;
        MessageData::from_value(message_type, values.first())
    }

    /// Builds the message carrying this payload.
    pub fn to_message(
        &self,
        destination: Destination,
        rpid: Uuid,
        pid: Uuid,
        version: ProtocolVersion,
    ) -> Message {
        let data = self
            .to_value(version)
            .map(|v| psremote_clixml::to_string(&v).into_bytes())
            .unwrap_or_default();
        Message {
            destination,
            message_type: self.message_type(),
            rpid,
            pid,
            data,
        }
    }
}

fn has_props(o: &PsObject) -> bool {
    !o.extended.is_empty() || !o.adapted.is_empty() || !matches!(o.content, ObjContent::None)
}
