//! The protocol-only complex types of MS-PSRP 2.2.3 that messages carry. The record types
//! (ErrorRecord, ProgressRecord, …) live in `psremote_clixml::types`.

use std::fmt;

use psremote_clixml::{Value, Version};

use crate::error::Error;
use crate::obj::{Reader, as_dict, as_i32, enum_value, ms_object};

/// A PSRP protocol version (`protocolversion` of SESSION_CAPABILITY, MS-PSRP 2.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    pub major: i32,
    pub minor: i32,
}

impl ProtocolVersion {
    /// Windows PowerShell 2.0.
    pub const V2_1: ProtocolVersion = ProtocolVersion { major: 2, minor: 1 };
    /// Windows PowerShell 3.0 (adds MergeError…, PSThreadOptions per pipeline, …).
    pub const V2_2: ProtocolVersion = ProtocolVersion { major: 2, minor: 2 };
    /// Windows PowerShell 5.x and PowerShell 6+ (adds the information stream).
    pub const V2_3: ProtocolVersion = ProtocolVersion { major: 2, minor: 3 };

    pub fn from_version(v: &Version) -> ProtocolVersion {
        ProtocolVersion {
            major: v.major,
            minor: v.minor,
        }
    }

    pub fn to_version(self) -> Version {
        Version {
            major: self.major,
            minor: self.minor,
            build: None,
            revision: None,
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

macro_rules! psrp_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $type_name:literal, { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $label:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this client does not know, kept so it can be re-encoded.
            Other(i32),
        }

        impl $name {
            /// The .NET type name of this enum.
            pub const TYPE_NAME: &'static str = $type_name;

            pub fn as_i32(self) -> i32 {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Other(n) => n,
                }
            }

            pub fn from_i32(n: i32) -> Self {
                match n {
                    $($value => Self::$variant,)+
                    n => Self::Other(n),
                }
            }

            /// The .NET member name (the enum's ToString).
            pub fn label(self) -> String {
                match self {
                    $(Self::$variant => $label.to_owned(),)+
                    Self::Other(n) => n.to_string(),
                }
            }

            /// As an enum object (MS-PSRP 2.2.5.2.7).
            pub fn to_value(self) -> Value {
                enum_value(Self::TYPE_NAME, &self.label(), self.as_i32())
            }

            /// From an enum object or a bare integer.
            pub fn from_value(v: &Value) -> Option<Self> {
                as_i32(v).map(Self::from_i32)
            }
        }
    };
}

psrp_enum!(
    /// PSThreadOptions (MS-PSRP 2.2.3.6).
    PSThreadOptions, "System.Management.Automation.Runspaces.PSThreadOptions", {
        Default = 0 => "Default",
        UseNewThread = 1 => "UseNewThread",
        ReuseThread = 2 => "ReuseThread",
        UseCurrentThread = 3 => "UseCurrentThread",
    }
);

psrp_enum!(
    /// ApartmentState (MS-PSRP 2.2.3.7).
    ApartmentState, "System.Threading.ApartmentState", {
        STA = 0 => "STA",
        MTA = 1 => "MTA",
        Unknown = 2 => "Unknown",
    }
);

psrp_enum!(
    /// RemoteStreamOptions (MS-PSRP 2.2.3.8): flags for adding InvocationInfo to records.
    RemoteStreamOptions, "System.Management.Automation.RemoteStreamOptions", {
        None = 0 => "None",
        AddInvocationInfoToErrorRecord = 1 => "AddInvocationInfoToErrorRecord",
        AddInvocationInfoToWarningRecord = 2 => "AddInvocationInfoToWarningRecord",
        AddInvocationInfoToDebugRecord = 4 => "AddInvocationInfoToDebugRecord",
        AddInvocationInfoToVerboseRecord = 8 => "AddInvocationInfoToVerboseRecord",
        AddInvocationInfo = 15 => "AddInvocationInfo",
    }
);

psrp_enum!(
    /// RunspacePoolState (MS-PSRP 2.2.3.4).
    RunspacePoolState, "System.Management.Automation.Runspaces.RunspacePoolState", {
        BeforeOpen = 0 => "BeforeOpen",
        Opening = 1 => "Opening",
        Opened = 2 => "Opened",
        Closed = 3 => "Closed",
        Closing = 4 => "Closing",
        Broken = 5 => "Broken",
        NegotiationSent = 6 => "NegotiationSent",
        NegotiationSucceeded = 7 => "NegotiationSucceeded",
        Connecting = 8 => "Connecting",
        Disconnected = 9 => "Disconnected",
    }
);

psrp_enum!(
    /// PSInvocationState (MS-PSRP 2.2.3.5).
    PSInvocationState, "System.Management.Automation.PSInvocationState", {
        NotStarted = 0 => "NotStarted",
        Running = 1 => "Running",
        Stopping = 2 => "Stopping",
        Stopped = 3 => "Stopped",
        Completed = 4 => "Completed",
        Failed = 5 => "Failed",
        Disconnected = 6 => "Disconnected",
    }
);

psrp_enum!(
    /// CommandTypes (MS-PSRP 2.2.3.19), a flags enum; combinations are kept as `Other(n)`.
    /// `All` is PowerShell 7's (383, no Workflow): PowerShell 7 servers refuse the Workflow
    /// bit, Windows PowerShell 5.1 accepts any combination (its own All is 511).
    CommandTypes, "System.Management.Automation.CommandTypes", {
        Alias = 1 => "Alias",
        Function = 2 => "Function",
        Filter = 4 => "Filter",
        Cmdlet = 8 => "Cmdlet",
        ExternalScript = 16 => "ExternalScript",
        Application = 32 => "Application",
        Script = 64 => "Script",
        Workflow = 128 => "Workflow",
        Configuration = 256 => "Configuration",
        All = 383 => "All",
    }
);

impl PSInvocationState {
    /// Completed, Failed or Stopped: the pipeline will send nothing more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Stopped)
    }
}

// The enums come from a macro, so `#[derive(Default)]` cannot mark the variant.
#[allow(clippy::derivable_impls)]
impl Default for ApartmentState {
    fn default() -> Self {
        ApartmentState::Unknown
    }
}

#[allow(clippy::derivable_impls)]
impl Default for PSThreadOptions {
    fn default() -> Self {
        PSThreadOptions::Default
    }
}

/// HostInfo (MS-PSRP 2.2.3.14): whether the client has a host (and UI) the server may call.
#[derive(Debug, Clone, PartialEq)]
pub struct HostInfo {
    pub is_host_null: bool,
    pub is_host_ui_null: bool,
    pub is_host_raw_ui_null: bool,
    pub use_runspace_host: bool,
    /// `_hostDefaultData` (2.2.3.14): the raw UI's initial values, kept as sent.
    pub host_default_data: Option<Value>,
}

impl Default for HostInfo {
    /// No host: the server never calls back.
    fn default() -> Self {
        HostInfo {
            is_host_null: true,
            is_host_ui_null: true,
            is_host_raw_ui_null: true,
            use_runspace_host: true,
            host_default_data: None,
        }
    }
}

impl HostInfo {
    pub fn to_value(&self) -> Value {
        let mut props = Vec::new();
        if let Some(d) = &self.host_default_data {
            props.push(("_hostDefaultData", d.clone()));
        }
        props.push(("_isHostNull", Value::Bool(self.is_host_null)));
        props.push(("_isHostUINull", Value::Bool(self.is_host_ui_null)));
        props.push(("_isHostRawUINull", Value::Bool(self.is_host_raw_ui_null)));
        props.push(("_useRunspaceHost", Value::Bool(self.use_runspace_host)));
        ms_object(props)
    }

    pub fn from_value(v: &Value) -> Result<HostInfo, Error> {
        let r = Reader::new(v, "HostInfo")?;
        Ok(HostInfo {
            is_host_null: r.bool("_isHostNull")?,
            is_host_ui_null: r.bool("_isHostUINull")?,
            is_host_raw_ui_null: r.bool("_isHostRawUINull")?,
            use_runspace_host: r.bool("_useRunspaceHost")?,
            host_default_data: r.some("_hostDefaultData").cloned(),
        })
    }
}

psrp_enum!(
    /// RemoteHostMethodId (MS-PSRP 2.2.3.17): which PSHost / PSHostUserInterface /
    /// PSHostRawUserInterface / IHostSupportsInteractiveSession member a host call invokes.
    HostMethodIdentifier, "System.Management.Automation.Remoting.RemoteHostMethodId", {
        GetName = 1 => "GetName",
        GetVersion = 2 => "GetVersion",
        GetInstanceId = 3 => "GetInstanceId",
        GetCurrentCulture = 4 => "GetCurrentCulture",
        GetCurrentUICulture = 5 => "GetCurrentUICulture",
        SetShouldExit = 6 => "SetShouldExit",
        EnterNestedPrompt = 7 => "EnterNestedPrompt",
        ExitNestedPrompt = 8 => "ExitNestedPrompt",
        NotifyBeginApplication = 9 => "NotifyBeginApplication",
        NotifyEndApplication = 10 => "NotifyEndApplication",
        ReadLine = 11 => "ReadLine",
        ReadLineAsSecureString = 12 => "ReadLineAsSecureString",
        Write1 = 13 => "Write1",
        Write2 = 14 => "Write2",
        WriteLine1 = 15 => "WriteLine1",
        WriteLine2 = 16 => "WriteLine2",
        WriteLine3 = 17 => "WriteLine3",
        WriteErrorLine = 18 => "WriteErrorLine",
        WriteDebugLine = 19 => "WriteDebugLine",
        WriteProgress = 20 => "WriteProgress",
        WriteVerboseLine = 21 => "WriteVerboseLine",
        WriteWarningLine = 22 => "WriteWarningLine",
        Prompt = 23 => "Prompt",
        PromptForCredential1 = 24 => "PromptForCredential1",
        PromptForCredential2 = 25 => "PromptForCredential2",
        PromptForChoice = 26 => "PromptForChoice",
        GetForegroundColor = 27 => "GetForegroundColor",
        SetForegroundColor = 28 => "SetForegroundColor",
        GetBackgroundColor = 29 => "GetBackgroundColor",
        SetBackgroundColor = 30 => "SetBackgroundColor",
        GetCursorPosition = 31 => "GetCursorPosition",
        SetCursorPosition = 32 => "SetCursorPosition",
        GetWindowPosition = 33 => "GetWindowPosition",
        SetWindowPosition = 34 => "SetWindowPosition",
        GetCursorSize = 35 => "GetCursorSize",
        SetCursorSize = 36 => "SetCursorSize",
        GetBufferSize = 37 => "GetBufferSize",
        SetBufferSize = 38 => "SetBufferSize",
        GetWindowSize = 39 => "GetWindowSize",
        SetWindowSize = 40 => "SetWindowSize",
        GetWindowTitle = 41 => "GetWindowTitle",
        SetWindowTitle = 42 => "SetWindowTitle",
        GetMaxWindowSize = 43 => "GetMaxWindowSize",
        GetMaxPhysicalWindowSize = 44 => "GetMaxPhysicalWindowSize",
        GetKeyAvailable = 45 => "GetKeyAvailable",
        ReadKey = 46 => "ReadKey",
        FlushInputBuffer = 47 => "FlushInputBuffer",
        SetBufferContents1 = 48 => "SetBufferContents1",
        SetBufferContents2 = 49 => "SetBufferContents2",
        GetBufferContents = 50 => "GetBufferContents",
        ScrollBufferContents = 51 => "ScrollBufferContents",
        PushRunspace = 52 => "PushRunspace",
        PopRunspace = 53 => "PopRunspace",
        GetIsRunspacePushed = 54 => "GetIsRunspacePushed",
        GetRunspace = 55 => "GetRunspace",
        PromptForChoiceMultipleSelection = 56 => "PromptForChoiceMultipleSelection",
    }
);

impl HostMethodIdentifier {
    /// Whether the method returns nothing, so the server expects no host response
    /// (MS-PSRP 3.1.4.8: responses are sent only for methods with a return value).
    pub fn is_void(self) -> bool {
        use HostMethodIdentifier::*;
        !matches!(
            self,
            GetName
                | GetVersion
                | GetInstanceId
                | GetCurrentCulture
                | GetCurrentUICulture
                | ReadLine
                | ReadLineAsSecureString
                | Prompt
                | PromptForCredential1
                | PromptForCredential2
                | PromptForChoice
                | GetForegroundColor
                | GetBackgroundColor
                | GetCursorPosition
                | GetWindowPosition
                | GetCursorSize
                | GetBufferSize
                | GetWindowSize
                | GetWindowTitle
                | GetMaxWindowSize
                | GetMaxPhysicalWindowSize
                | GetKeyAvailable
                | ReadKey
                | GetBufferContents
                | GetIsRunspacePushed
                | GetRunspace
                | PromptForChoiceMultipleSelection
                | Other(_)
        )
    }
}

/// A view of APPLICATION_PRIVATE_DATA's dictionary (MS-PSRP 2.2.2.13): `PSVersionTable`
/// and whatever else the endpoint configuration adds.
#[derive(Debug, Clone, Copy)]
pub struct ApplicationPrivateData<'a>(pub &'a Value);

impl<'a> ApplicationPrivateData<'a> {
    /// A top-level entry by key (ASCII case ignored, like a PowerShell hashtable).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        dict_get(self.0, key)
    }

    /// The server's `$PSVersionTable`.
    pub fn ps_version_table(&self) -> Option<&'a Value> {
        self.get("PSVersionTable")
    }

    /// An entry of `$PSVersionTable`, e.g. `PSVersion`, `PSEdition`, `BuildVersion`.
    pub fn ps_version_entry(&self, key: &str) -> Option<&'a Value> {
        self.ps_version_table().and_then(|t| dict_get(t, key))
    }

    /// `$PSVersionTable.PSVersion`.
    pub fn ps_version(&self) -> Option<Version> {
        match self.ps_version_entry("PSVersion")? {
            Value::Version(v) => Some(*v),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// `$PSVersionTable.PSRemotingProtocolVersion`.
    pub fn remoting_protocol_version(&self) -> Option<ProtocolVersion> {
        match self.ps_version_entry("PSRemotingProtocolVersion")? {
            Value::Version(v) => Some(ProtocolVersion::from_version(v)),
            _ => None,
        }
    }
}

fn dict_get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    as_dict(v)?
        .iter()
        .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_encode_as_dotnet_enums() {
        let v = CommandTypes::All.to_value();
        assert_eq!(CommandTypes::from_value(&v), Some(CommandTypes::All));
        assert_eq!(CommandTypes::All.as_i32(), 383);
        // Windows PowerShell's All (with Workflow) is kept as a number.
        assert_eq!(CommandTypes::from_i32(511), CommandTypes::Other(511));
        assert_eq!(
            CommandTypes::Other(511)
                .to_value()
                .as_object()
                .and_then(|o| o.to_string.clone()),
            Some("511".into())
        );
        let o = ApartmentState::Unknown.to_value();
        let o = o.as_object().cloned().unwrap_or_default();
        assert_eq!(
            o.type_names().first().map(String::as_str),
            Some("System.Threading.ApartmentState")
        );
        assert_eq!(o.to_string.as_deref(), Some("Unknown"));
        assert_eq!(
            HostMethodIdentifier::from_i32(46),
            HostMethodIdentifier::ReadKey
        );
        assert!(HostMethodIdentifier::SetShouldExit.is_void());
        assert!(!HostMethodIdentifier::ReadLine.is_void());
        assert!(PSInvocationState::Stopped.is_terminal());
        assert!(!PSInvocationState::Stopping.is_terminal());
    }

    #[test]
    fn host_info_round_trips() {
        let h = HostInfo {
            is_host_null: false,
            is_host_ui_null: false,
            is_host_raw_ui_null: true,
            use_runspace_host: false,
            host_default_data: Some(Value::I32(1)),
        };
        assert_eq!(HostInfo::from_value(&h.to_value()), Ok(h));
    }
}
