//! ErrorRecord (MS-PSRP 2.2.3.15) with its ErrorCategoryInfo, ErrorDetails and InvocationInfo,
//! as Windows serializes it with `SerializeExtendedInfo` false (InvocationInfo as a nested
//! object) or true (InvocationInfo flattened into `InvocationInfo_*` properties).

use std::sync::Arc;

use super::{
    base, changed, enum_int, enum_value, int_list, object, opt, opt_string, put, string, typed_list,
};
use crate::convert::{FromValue, ToValue};
use crate::error::ConversionError;
use crate::types::CommandTypes;
use crate::value::{ListKind, ObjContent, PsObject, Value};

/// `System.Management.Automation.ErrorCategory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ErrorCategory(pub i32);

const CATEGORY_NAMES: [&str; 32] = [
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
];

impl ErrorCategory {
    pub const NOT_SPECIFIED: ErrorCategory = ErrorCategory(0);
    pub const INVALID_ARGUMENT: ErrorCategory = ErrorCategory(5);
    pub const INVALID_OPERATION: ErrorCategory = ErrorCategory(7);
    pub const OBJECT_NOT_FOUND: ErrorCategory = ErrorCategory(13);
    pub const PARSER_ERROR: ErrorCategory = ErrorCategory(17);
    pub const PERMISSION_DENIED: ErrorCategory = ErrorCategory(18);

    /// The member name (`ObjectNotFound`), or the number for values this crate does not know.
    pub fn name(self) -> String {
        self.known_name()
            .map_or_else(|| self.0.to_string(), str::to_owned)
    }

    /// The member name, if the value is one of the enum's members.
    pub fn known_name(self) -> Option<&'static str> {
        usize::try_from(self.0)
            .ok()
            .and_then(|i| CATEGORY_NAMES.get(i))
            .copied()
    }

    /// The category of a member name (ASCII case-insensitive).
    pub fn from_name(name: &str) -> Option<ErrorCategory> {
        CATEGORY_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .and_then(|i| i32::try_from(i).ok())
            .map(ErrorCategory)
    }
}

/// `ErrorCategoryInfo`: the `ErrorCategory_*` properties.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorCategoryInfo {
    pub category: ErrorCategory,
    pub activity: String,
    pub reason: String,
    pub target_name: String,
    pub target_type: String,
    /// `ErrorCategory_Message`: the formatted line (`NotSpecified: (:) [Write-Error], …`).
    pub message: Option<String>,
}

impl ErrorCategoryInfo {
    /// The line PowerShell shows, `Category: (TargetName:TargetType) [Activity], Reason`.
    pub fn to_line(&self) -> String {
        format!(
            "{}: ({}:{}) [{}], {}",
            self.category.name(),
            self.target_name,
            self.target_type,
            self.activity,
            self.reason
        )
    }
}

/// `ErrorDetails`: the `ErrorDetails_*` properties.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorDetails {
    pub message: Option<String>,
    pub recommended_action: Option<String>,
}

/// What PowerShell knows about the command that produced a record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvocationInfo {
    /// `CommandInfo_Name` (flattened) or `MyCommand` (nested form).
    pub command_name: Option<String>,
    /// `CommandInfo_Definition`.
    pub command_definition: Option<String>,
    /// `CommandInfo_CommandType`.
    pub command_type: Option<CommandTypes>,
    pub bound_parameters: Value,
    pub unbound_arguments: Value,
    pub script_line_number: i32,
    pub offset_in_line: i32,
    pub history_id: i64,
    pub script_name: String,
    pub line: String,
    pub position_message: String,
    pub ps_script_root: String,
    pub ps_command_path: Option<String>,
    pub invocation_name: String,
    pub pipeline_length: i32,
    pub pipeline_position: i32,
    pub expecting_input: bool,
    /// `Runspace` or `Internal`.
    pub command_origin: Option<String>,
    /// `InvocationInfo_PipelineIterationInfo` (flattened form only).
    pub pipeline_iteration_info: Vec<i32>,
}

const COMMAND_ORIGINS: [&str; 2] = ["Runspace", "Internal"];

fn origin_name(o: &PsObject, name: &str) -> Result<Option<String>, ConversionError> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v @ Value::Object(obj)) => match &obj.to_string {
            Some(s) => Ok(Some(s.clone())),
            None => {
                let i = i32::from_value(v).map_err(|e| e.at(name))?;
                Ok(Some(
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| COMMAND_ORIGINS.get(i))
                        .map_or_else(|| i.to_string(), |s| (*s).to_owned()),
                ))
            }
        },
        Some(other) => Err(crate::convert::type_error("CommandOrigin", other).at(name)),
    }
}

impl InvocationInfo {
    /// Is `name` one of the flattened properties ([`InvocationInfo::put_flattened`])?
    pub fn is_flattened_name(name: &str) -> bool {
        name.starts_with("InvocationInfo_")
            || name.starts_with("CommandInfo_")
            || name.starts_with("ScriptExtent_")
            || name == "SerializeExtent"
    }

    /// Reads the flattened `InvocationInfo_*`/`CommandInfo_*` properties of a record.
    pub fn from_flattened(o: &PsObject) -> Result<InvocationInfo, ConversionError> {
        Ok(InvocationInfo {
            command_name: opt(o, "CommandInfo_Name")?,
            command_definition: opt(o, "CommandInfo_Definition")?,
            command_type: enum_int(o, "CommandInfo_CommandType")?.map(CommandTypes),
            bound_parameters: o
                .get("InvocationInfo_BoundParameters")
                .cloned()
                .unwrap_or(Value::Null),
            unbound_arguments: o
                .get("InvocationInfo_UnboundArguments")
                .cloned()
                .unwrap_or(Value::Null),
            script_line_number: opt(o, "InvocationInfo_ScriptLineNumber")?.unwrap_or(0),
            offset_in_line: opt(o, "InvocationInfo_OffsetInLine")?.unwrap_or(0),
            history_id: opt(o, "InvocationInfo_HistoryId")?.unwrap_or(0),
            script_name: string(o, "InvocationInfo_ScriptName")?,
            line: string(o, "InvocationInfo_Line")?,
            position_message: string(o, "InvocationInfo_PositionMessage")?,
            ps_script_root: string(o, "InvocationInfo_PSScriptRoot")?,
            ps_command_path: opt(o, "InvocationInfo_PSCommandPath")?,
            invocation_name: string(o, "InvocationInfo_InvocationName")?,
            pipeline_length: opt(o, "InvocationInfo_PipelineLength")?.unwrap_or(0),
            pipeline_position: opt(o, "InvocationInfo_PipelinePosition")?.unwrap_or(0),
            expecting_input: opt(o, "InvocationInfo_ExpectingInput")?.unwrap_or(false),
            command_origin: origin_name(o, "InvocationInfo_CommandOrigin")?,
            pipeline_iteration_info: int_list(o, "InvocationInfo_PipelineIterationInfo")?,
        })
    }

    /// Reads the nested `InvocationInfo` object (its adapted properties).
    pub fn from_nested(o: &PsObject) -> Result<InvocationInfo, ConversionError> {
        Ok(InvocationInfo {
            command_name: opt(o, "MyCommand")?,
            command_definition: None,
            command_type: None,
            bound_parameters: o.get("BoundParameters").cloned().unwrap_or(Value::Null),
            unbound_arguments: o.get("UnboundArguments").cloned().unwrap_or(Value::Null),
            script_line_number: opt(o, "ScriptLineNumber")?.unwrap_or(0),
            offset_in_line: opt(o, "OffsetInLine")?.unwrap_or(0),
            history_id: opt(o, "HistoryId")?.unwrap_or(0),
            script_name: string(o, "ScriptName")?,
            line: string(o, "Line")?,
            position_message: string(o, "PositionMessage")?,
            ps_script_root: string(o, "PSScriptRoot")?,
            ps_command_path: opt(o, "PSCommandPath")?,
            invocation_name: string(o, "InvocationName")?,
            pipeline_length: opt(o, "PipelineLength")?.unwrap_or(0),
            pipeline_position: opt(o, "PipelinePosition")?.unwrap_or(0),
            expecting_input: opt(o, "ExpectingInput")?.unwrap_or(false),
            command_origin: origin_name(o, "CommandOrigin")?,
            pipeline_iteration_info: Vec::new(),
        })
    }

    fn dict_or_empty(v: &Value, type_name: &str) -> Value {
        match v {
            Value::Null => Value::object(
                PsObject::with_type_names([type_name, "System.Object"])
                    .with_content(ObjContent::Dict(Vec::new())),
            ),
            other => other.clone(),
        }
    }

    fn list_or_empty(v: &Value, type_name: &str) -> Value {
        match v {
            Value::Null => Value::object(
                PsObject::with_type_names([type_name, "System.Object"])
                    .with_content(ObjContent::List(ListKind::List, Vec::new())),
            ),
            other => other.clone(),
        }
    }

    /// Writes the flattened form (as `SerializeExtendedInfo` does) into `ms`.
    pub fn put_flattened(&self, ms: &mut Vec<crate::Property>) {
        put(
            ms,
            "InvocationInfo_BoundParameters",
            Self::dict_or_empty(
                &self.bound_parameters,
                "System.Management.Automation.PSBoundParametersDictionary",
            ),
        );
        let origin = self.command_origin.as_deref().unwrap_or("Runspace");
        let origin_value = COMMAND_ORIGINS
            .iter()
            .position(|n| *n == origin)
            .and_then(|i| i32::try_from(i).ok())
            .unwrap_or(0);
        put(
            ms,
            "InvocationInfo_CommandOrigin",
            enum_value(
                "System.Management.Automation.CommandOrigin",
                origin,
                origin_value,
            ),
        );
        put(
            ms,
            "InvocationInfo_ExpectingInput",
            Value::Bool(self.expecting_input),
        );
        put(
            ms,
            "InvocationInfo_InvocationName",
            Value::String(self.invocation_name.clone()),
        );
        put(ms, "InvocationInfo_Line", Value::String(self.line.clone()));
        put(
            ms,
            "InvocationInfo_OffsetInLine",
            Value::I32(self.offset_in_line),
        );
        put(ms, "InvocationInfo_HistoryId", Value::I64(self.history_id));
        put(
            ms,
            "InvocationInfo_PipelineIterationInfo",
            typed_list(
                &["System.Int32[]", "System.Array", "System.Object"],
                self.pipeline_iteration_info
                    .iter()
                    .map(|i| Value::I32(*i))
                    .collect(),
            ),
        );
        put(
            ms,
            "InvocationInfo_PipelineLength",
            Value::I32(self.pipeline_length),
        );
        put(
            ms,
            "InvocationInfo_PipelinePosition",
            Value::I32(self.pipeline_position),
        );
        put(
            ms,
            "InvocationInfo_PSScriptRoot",
            Value::String(self.ps_script_root.clone()),
        );
        put(
            ms,
            "InvocationInfo_PSCommandPath",
            opt_string(&self.ps_command_path),
        );
        put(
            ms,
            "InvocationInfo_PositionMessage",
            Value::String(self.position_message.clone()),
        );
        put(
            ms,
            "InvocationInfo_ScriptLineNumber",
            Value::I32(self.script_line_number),
        );
        put(
            ms,
            "InvocationInfo_ScriptName",
            Value::String(self.script_name.clone()),
        );
        put(
            ms,
            "InvocationInfo_UnboundArguments",
            Self::list_or_empty(
                &self.unbound_arguments,
                "System.Collections.Generic.List`1[[System.Object]]",
            ),
        );
        if !ms.iter().any(|p| p.name == "SerializeExtent") {
            put(ms, "SerializeExtent", Value::Bool(false));
        }
        if let Some(t) = self.command_type {
            put(
                ms,
                "CommandInfo_CommandType",
                enum_value(
                    "System.Management.Automation.CommandTypes",
                    t.to_string(),
                    t.0,
                ),
            );
        }
        if let Some(d) = &self.command_definition {
            put(ms, "CommandInfo_Definition", Value::String(d.clone()));
        }
        if let Some(n) = &self.command_name {
            put(ms, "CommandInfo_Name", Value::String(n.clone()));
        }
    }

    /// The nested form (the `InvocationInfo` object of `SerializeExtendedInfo` false).
    pub fn to_nested(&self) -> Value {
        let mut o = PsObject::with_type_names([
            "System.Management.Automation.InvocationInfo",
            "System.Object",
        ])
        .with_to_string("System.Management.Automation.InvocationInfo");
        let p = &mut o.adapted;
        put(p, "MyCommand", opt_string(&self.command_name));
        put(
            p,
            "BoundParameters",
            Self::dict_or_empty(
                &self.bound_parameters,
                "System.Collections.Generic.Dictionary`2[[System.String],[System.Object]]",
            ),
        );
        put(
            p,
            "UnboundArguments",
            Self::list_or_empty(
                &self.unbound_arguments,
                "System.Collections.Generic.List`1[[System.Object]]",
            ),
        );
        put(p, "ScriptLineNumber", Value::I32(self.script_line_number));
        put(p, "OffsetInLine", Value::I32(self.offset_in_line));
        put(p, "HistoryId", Value::I64(self.history_id));
        put(p, "ScriptName", Value::String(self.script_name.clone()));
        put(p, "Line", Value::String(self.line.clone()));
        put(
            p,
            "PositionMessage",
            Value::String(self.position_message.clone()),
        );
        put(
            p,
            "PSScriptRoot",
            Value::String(self.ps_script_root.clone()),
        );
        put(p, "PSCommandPath", opt_string(&self.ps_command_path));
        put(
            p,
            "InvocationName",
            Value::String(self.invocation_name.clone()),
        );
        put(p, "PipelineLength", Value::I32(self.pipeline_length));
        put(p, "PipelinePosition", Value::I32(self.pipeline_position));
        put(p, "ExpectingInput", Value::Bool(self.expecting_input));
        put(p, "CommandOrigin", opt_string(&self.command_origin));
        put(p, "DisplayScriptPosition", Value::Null);
        Value::object(o)
    }
}

/// An ErrorRecord (MS-PSRP 2.2.3.15): what ERROR_RECORD messages and a Failed PIPELINE_STATE
/// carry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorRecord {
    /// `<ToString>`: the message PowerShell shows.
    pub message: String,
    /// The exception's .NET type names, most derived first.
    pub exception_type_names: Vec<String>,
    /// The exception's `Message`.
    pub exception_message: Option<String>,
    pub target_object: Value,
    pub fully_qualified_error_id: String,
    pub category_info: ErrorCategoryInfo,
    pub error_details: Option<ErrorDetails>,
    /// `ErrorDetails_ScriptStackTrace`.
    pub script_stack_trace: Option<String>,
    pub invocation_info: Option<InvocationInfo>,
    pub pipeline_iteration_info: Vec<i32>,
    /// `SerializeExtendedInfo`: InvocationInfo flattened (true) or nested (false).
    pub serialize_extended_info: bool,
    /// The object as received (see the [module docs](super)).
    pub raw: Option<Arc<PsObject>>,
}

impl ErrorRecord {
    /// A record for an exception of type `exception_type` (e.g. `System.Exception`).
    pub fn new(
        message: impl Into<String>,
        exception_type: impl Into<String>,
        fully_qualified_error_id: impl Into<String>,
        category: ErrorCategory,
    ) -> Self {
        let message = message.into();
        ErrorRecord {
            exception_type_names: vec![exception_type.into(), "System.Object".into()],
            exception_message: Some(message.clone()),
            message,
            fully_qualified_error_id: fully_qualified_error_id.into(),
            category_info: ErrorCategoryInfo {
                category,
                ..ErrorCategoryInfo::default()
            },
            target_object: Value::Null,
            ..ErrorRecord::default()
        }
    }

    /// The most derived exception type name (`System.Management.Automation.ParseException`).
    pub fn exception_type(&self) -> Option<&str> {
        self.exception_type_names.first().map(String::as_str)
    }

    /// The exception object as received, if any.
    pub fn exception(&self) -> Option<&Value> {
        self.raw.as_deref().and_then(|o| o.get("Exception"))
    }

    fn same_fields(&self, other: &Self) -> bool {
        ErrorRecord {
            raw: None,
            ..self.clone()
        } == ErrorRecord {
            raw: None,
            ..other.clone()
        }
    }

    fn exception_value(&self) -> Value {
        let mut names = self.exception_type_names.clone();
        if names.is_empty() {
            names = vec!["System.Exception".into(), "System.Object".into()];
        }
        let first = names.first().cloned().unwrap_or_default();
        let message = self.exception_message.clone().unwrap_or_default();
        let mut o = PsObject::with_type_names(names).with_to_string(format!("{first}: {message}"));
        put(
            &mut o.adapted,
            "Message",
            opt_string(&self.exception_message),
        );
        put(&mut o.adapted, "HResult", Value::I32(-2146233088));
        Value::object(o)
    }
}

impl FromValue for ErrorRecord {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let o = object(v, "ErrorRecord <Obj>")?;
        let (exception_type_names, exception_message) = match o.get("Exception") {
            Some(Value::Object(e)) => (
                e.type_names().to_vec(),
                opt::<String>(e, "Message").map_err(|err| err.at("Exception"))?,
            ),
            _ => (Vec::new(), None),
        };
        let serialize_extended_info = opt(o, "SerializeExtendedInfo")?.unwrap_or(false);
        let invocation_info = if serialize_extended_info {
            Some(InvocationInfo::from_flattened(o)?)
        } else {
            match o.get("InvocationInfo") {
                Some(Value::Object(i)) => {
                    Some(InvocationInfo::from_nested(i).map_err(|e| e.at("InvocationInfo"))?)
                }
                _ => None,
            }
        };
        let details_message: Option<String> = opt(o, "ErrorDetails_Message")?;
        let recommended_action: Option<String> = opt(o, "ErrorDetails_RecommendedAction")?;
        let error_details =
            (details_message.is_some() || recommended_action.is_some()).then_some(ErrorDetails {
                message: details_message,
                recommended_action,
            });
        let message = match &o.to_string {
            Some(s) => s.clone(),
            None => exception_message.clone().unwrap_or_default(),
        };
        Ok(ErrorRecord {
            message,
            exception_type_names,
            exception_message,
            target_object: o.get("TargetObject").cloned().unwrap_or(Value::Null),
            fully_qualified_error_id: string(o, "FullyQualifiedErrorId")?,
            category_info: ErrorCategoryInfo {
                category: ErrorCategory(enum_int(o, "ErrorCategory_Category")?.unwrap_or(0)),
                activity: string(o, "ErrorCategory_Activity")?,
                reason: string(o, "ErrorCategory_Reason")?,
                target_name: string(o, "ErrorCategory_TargetName")?,
                target_type: string(o, "ErrorCategory_TargetType")?,
                message: opt(o, "ErrorCategory_Message")?,
            },
            error_details,
            script_stack_trace: opt(o, "ErrorDetails_ScriptStackTrace")?,
            invocation_info,
            pipeline_iteration_info: int_list(o, "PipelineIterationInfo")?,
            serialize_extended_info,
            raw: Some(Arc::clone(o)),
        })
    }
}

impl ToValue for ErrorRecord {
    fn to_value(&self) -> Value {
        let prev = self
            .raw
            .as_ref()
            .and_then(|raw| ErrorRecord::from_value(&Value::Object(Arc::clone(raw))).ok());
        if let (Some(raw), Some(p)) = (&self.raw, &prev)
            && p.same_fields(self)
        {
            return Value::Object(Arc::clone(raw));
        }
        let mut o = base(
            &self.raw,
            Some(&["System.Management.Automation.ErrorRecord", "System.Object"]),
        );
        if changed(&prev, |r| &r.message, &self.message) {
            o.to_string = Some(self.message.clone());
        }
        let ms = &mut o.extended;
        if changed(
            &prev,
            |r| &r.exception_type_names,
            &self.exception_type_names,
        ) || changed(&prev, |r| &r.exception_message, &self.exception_message)
        {
            put(ms, "Exception", self.exception_value());
        }
        if changed(&prev, |r| &r.target_object, &self.target_object) {
            put(ms, "TargetObject", self.target_object.clone());
        }
        if changed(
            &prev,
            |r| &r.fully_qualified_error_id,
            &self.fully_qualified_error_id,
        ) {
            put(
                ms,
                "FullyQualifiedErrorId",
                Value::String(self.fully_qualified_error_id.clone()),
            );
        }
        let invocation_changed = changed(&prev, |r| &r.invocation_info, &self.invocation_info)
            || changed(
                &prev,
                |r| &r.serialize_extended_info,
                &self.serialize_extended_info,
            );
        if invocation_changed && !self.serialize_extended_info {
            put(
                ms,
                "InvocationInfo",
                self.invocation_info
                    .as_ref()
                    .map_or(Value::Null, InvocationInfo::to_nested),
            );
        } else if prev.is_none() {
            put(ms, "InvocationInfo", Value::Null);
        }
        let c = &self.category_info;
        if changed(&prev, |r| &r.category_info, c) {
            put(ms, "ErrorCategory_Category", Value::I32(c.category.0));
            put(
                ms,
                "ErrorCategory_Activity",
                Value::String(c.activity.clone()),
            );
            put(ms, "ErrorCategory_Reason", Value::String(c.reason.clone()));
            put(
                ms,
                "ErrorCategory_TargetName",
                Value::String(c.target_name.clone()),
            );
            put(
                ms,
                "ErrorCategory_TargetType",
                Value::String(c.target_type.clone()),
            );
            put(
                ms,
                "ErrorCategory_Message",
                Value::String(c.message.clone().unwrap_or_else(|| c.to_line())),
            );
        }
        if changed(&prev, |r| &r.error_details, &self.error_details) {
            match &self.error_details {
                Some(d) => {
                    put(ms, "ErrorDetails_Message", opt_string(&d.message));
                    put(
                        ms,
                        "ErrorDetails_RecommendedAction",
                        opt_string(&d.recommended_action),
                    );
                }
                None => ms.retain(|p| {
                    p.name != "ErrorDetails_Message" && p.name != "ErrorDetails_RecommendedAction"
                }),
            }
        }
        if invocation_changed || prev.is_none() {
            put(
                ms,
                "SerializeExtendedInfo",
                Value::Bool(self.serialize_extended_info),
            );
            if self.serialize_extended_info {
                match &self.invocation_info {
                    Some(info) => info.put_flattened(ms),
                    None => InvocationInfo::default().put_flattened(ms),
                }
            } else {
                ms.retain(|p| !InvocationInfo::is_flattened_name(&p.name));
            }
        }
        if changed(&prev, |r| &r.script_stack_trace, &self.script_stack_trace) {
            match &self.script_stack_trace {
                Some(s) => put(
                    ms,
                    "ErrorDetails_ScriptStackTrace",
                    Value::String(s.clone()),
                ),
                None => ms.retain(|p| p.name != "ErrorDetails_ScriptStackTrace"),
            }
        }
        if changed(
            &prev,
            |r| &r.pipeline_iteration_info,
            &self.pipeline_iteration_info,
        ) && (self.serialize_extended_info || !self.pipeline_iteration_info.is_empty())
        {
            put(
                ms,
                "PipelineIterationInfo",
                typed_list(
                    &["System.Int32[]", "System.Array", "System.Object"],
                    self.pipeline_iteration_info
                        .iter()
                        .map(|i| Value::I32(*i))
                        .collect(),
                ),
            );
        }
        Value::object(o)
    }
}
