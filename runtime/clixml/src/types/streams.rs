//! PROGRESS_RECORD, WARNING/VERBOSE/DEBUG_RECORD and INFORMATION_RECORD payloads
//! (MS-PSRP 2.2.2.21-2.2.2.26, 2.2.3.16).

use std::sync::Arc;

use super::{base, changed, enum_int, int_list, object, opt, opt_string, put, string, typed_list};
use crate::convert::{FromValue, ToValue};
use crate::error::ConversionError;
use crate::types::InvocationInfo;
use crate::value::{DateTime, PsObject, Value};

/// `System.Management.Automation.ProgressRecordType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgressRecordType {
    Processing,
    Completed,
    /// A value this crate does not know.
    Other(i32),
}

impl ProgressRecordType {
    pub fn from_i32(v: i32) -> Self {
        match v {
            0 => ProgressRecordType::Processing,
            1 => ProgressRecordType::Completed,
            other => ProgressRecordType::Other(other),
        }
    }

    pub fn as_i32(self) -> i32 {
        match self {
            ProgressRecordType::Processing => 0,
            ProgressRecordType::Completed => 1,
            ProgressRecordType::Other(v) => v,
        }
    }

    fn name(self) -> String {
        match self {
            ProgressRecordType::Processing => "Processing".into(),
            ProgressRecordType::Completed => "Completed".into(),
            ProgressRecordType::Other(v) => v.to_string(),
        }
    }
}

/// A progress record (MS-PSRP 2.2.2.25).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRecord {
    pub activity: String,
    pub activity_id: i32,
    pub status_description: String,
    pub current_operation: Option<String>,
    pub parent_activity_id: i32,
    /// -1 when unknown.
    pub percent_complete: i32,
    pub record_type: ProgressRecordType,
    /// -1 when unknown.
    pub seconds_remaining: i32,
    /// The object as received (see the [module docs](super)).
    pub raw: Option<Arc<PsObject>>,
}

impl ProgressRecord {
    /// A Processing record with unknown percentage and time.
    pub fn new(activity: impl Into<String>, activity_id: i32, status: impl Into<String>) -> Self {
        ProgressRecord {
            activity: activity.into(),
            activity_id,
            status_description: status.into(),
            current_operation: None,
            parent_activity_id: -1,
            percent_complete: -1,
            record_type: ProgressRecordType::Processing,
            seconds_remaining: -1,
            raw: None,
        }
    }

    fn same_fields(&self, other: &Self) -> bool {
        ProgressRecord {
            raw: None,
            ..self.clone()
        } == ProgressRecord {
            raw: None,
            ..other.clone()
        }
    }
}

impl FromValue for ProgressRecord {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let o = object(v, "ProgressRecord <Obj>")?;
        Ok(ProgressRecord {
            activity: string(o, "Activity")?,
            activity_id: opt(o, "ActivityId")?.unwrap_or(0),
            status_description: string(o, "StatusDescription")?,
            current_operation: opt(o, "CurrentOperation")?,
            parent_activity_id: opt(o, "ParentActivityId")?.unwrap_or(-1),
            percent_complete: opt(o, "PercentComplete")?.unwrap_or(-1),
            record_type: ProgressRecordType::from_i32(enum_int(o, "Type")?.unwrap_or(0)),
            seconds_remaining: opt(o, "SecondsRemaining")?.unwrap_or(-1),
            raw: Some(Arc::clone(o)),
        })
    }
}

impl ToValue for ProgressRecord {
    fn to_value(&self) -> Value {
        let prev = self
            .raw
            .as_ref()
            .and_then(|raw| ProgressRecord::from_value(&Value::Object(Arc::clone(raw))).ok());
        if let (Some(raw), Some(p)) = (&self.raw, &prev)
            && p.same_fields(self)
        {
            return Value::Object(Arc::clone(raw));
        }
        let mut o = base(&self.raw, None);
        let ms = &mut o.extended;
        if changed(&prev, |r| &r.activity, &self.activity) {
            put(ms, "Activity", Value::String(self.activity.clone()));
        }
        if changed(&prev, |r| &r.activity_id, &self.activity_id) {
            put(ms, "ActivityId", Value::I32(self.activity_id));
        }
        if changed(&prev, |r| &r.status_description, &self.status_description) {
            put(
                ms,
                "StatusDescription",
                Value::String(self.status_description.clone()),
            );
        }
        if changed(&prev, |r| &r.current_operation, &self.current_operation) {
            put(ms, "CurrentOperation", opt_string(&self.current_operation));
        }
        if changed(&prev, |r| &r.parent_activity_id, &self.parent_activity_id) {
            put(ms, "ParentActivityId", Value::I32(self.parent_activity_id));
        }
        if changed(&prev, |r| &r.percent_complete, &self.percent_complete) {
            put(ms, "PercentComplete", Value::I32(self.percent_complete));
        }
        if changed(&prev, |r| &r.record_type, &self.record_type) {
            put(
                ms,
                "Type",
                super::enum_value(
                    "System.Management.Automation.ProgressRecordType",
                    self.record_type.name(),
                    self.record_type.as_i32(),
                ),
            );
        }
        if changed(&prev, |r| &r.seconds_remaining, &self.seconds_remaining) {
            put(ms, "SecondsRemaining", Value::I32(self.seconds_remaining));
        }
        Value::object(o)
    }
}

/// Which stream an [`InformationalRecord`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InformationalKind {
    Warning,
    Verbose,
    Debug,
}

impl InformationalKind {
    /// The .NET type name (`System.Management.Automation.WarningRecord`, …).
    pub fn type_name(self) -> &'static str {
        match self {
            InformationalKind::Warning => "System.Management.Automation.WarningRecord",
            InformationalKind::Verbose => "System.Management.Automation.VerboseRecord",
            InformationalKind::Debug => "System.Management.Automation.DebugRecord",
        }
    }
}

/// A warning, verbose or debug record (MS-PSRP 2.2.3.16).
#[derive(Debug, Clone, PartialEq)]
pub struct InformationalRecord {
    /// From the type names; `None` when the sender gave none (the PSRP message type says).
    pub kind: Option<InformationalKind>,
    pub message: String,
    /// Present when `InformationalRecord_SerializeInvocationInfo` is true.
    pub invocation_info: Option<InvocationInfo>,
    pub pipeline_iteration_info: Vec<i32>,
    /// The object as received (see the [module docs](super)).
    pub raw: Option<Arc<PsObject>>,
}

impl InformationalRecord {
    pub fn new(kind: InformationalKind, message: impl Into<String>) -> Self {
        InformationalRecord {
            kind: Some(kind),
            message: message.into(),
            invocation_info: None,
            pipeline_iteration_info: Vec::new(),
            raw: None,
        }
    }

    fn same_fields(&self, other: &Self) -> bool {
        InformationalRecord {
            raw: None,
            ..self.clone()
        } == InformationalRecord {
            raw: None,
            ..other.clone()
        }
    }
}

impl FromValue for InformationalRecord {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let o = object(v, "InformationalRecord <Obj>")?;
        let kind = o.type_names().iter().find_map(|t| {
            match t.strip_prefix("Deserialized.").unwrap_or(t) {
                "System.Management.Automation.WarningRecord" => Some(InformationalKind::Warning),
                "System.Management.Automation.VerboseRecord" => Some(InformationalKind::Verbose),
                "System.Management.Automation.DebugRecord" => Some(InformationalKind::Debug),
                _ => None,
            }
        });
        let with_invocation =
            opt::<bool>(o, "InformationalRecord_SerializeInvocationInfo")?.unwrap_or(false);
        Ok(InformationalRecord {
            kind,
            message: string(o, "InformationalRecord_Message")?,
            invocation_info: if with_invocation {
                Some(InvocationInfo::from_flattened(o)?)
            } else {
                None
            },
            pipeline_iteration_info: int_list(o, "InformationalRecord_PipelineIterationInfo")?,
            raw: Some(Arc::clone(o)),
        })
    }
}

impl ToValue for InformationalRecord {
    fn to_value(&self) -> Value {
        let prev = self
            .raw
            .as_ref()
            .and_then(|raw| InformationalRecord::from_value(&Value::Object(Arc::clone(raw))).ok());
        if let (Some(raw), Some(p)) = (&self.raw, &prev)
            && p.same_fields(self)
        {
            return Value::Object(Arc::clone(raw));
        }
        let type_names = self.kind.map(|k| {
            [
                k.type_name(),
                "System.Management.Automation.InformationalRecord",
                "System.Object",
            ]
        });
        let mut o = base(&self.raw, type_names.as_ref().map(|t| &t[..]));
        o.to_string = Some(self.message.clone());
        let ms = &mut o.extended;
        if changed(&prev, |r| &r.message, &self.message) {
            put(
                ms,
                "InformationalRecord_Message",
                Value::String(self.message.clone()),
            );
        }
        if changed(&prev, |r| &r.invocation_info, &self.invocation_info) {
            put(
                ms,
                "InformationalRecord_SerializeInvocationInfo",
                Value::Bool(self.invocation_info.is_some()),
            );
            match &self.invocation_info {
                Some(info) => info.put_flattened(ms),
                None => ms.retain(|p| !InvocationInfo::is_flattened_name(&p.name)),
            }
        }
        if changed(
            &prev,
            |r| &r.pipeline_iteration_info,
            &self.pipeline_iteration_info,
        ) {
            put(
                ms,
                "InformationalRecord_PipelineIterationInfo",
                typed_list(
                    &[
                        "System.Collections.ObjectModel.ReadOnlyCollection`1[[System.Int32]]",
                        "System.Object",
                    ],
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

/// An information record (MS-PSRP 2.2.2.26; PowerShell 5+ `Write-Information`).
#[derive(Debug, Clone, PartialEq)]
pub struct InformationRecord {
    /// Any value (often a string, or a HostInformationMessage object from Write-Host).
    pub message_data: Value,
    pub source: String,
    pub time_generated: Option<DateTime>,
    pub tags: Vec<String>,
    pub user: String,
    pub computer: String,
    pub process_id: u32,
    pub native_thread_id: u32,
    pub managed_thread_id: u32,
    /// The object as received (see the [module docs](super)).
    pub raw: Option<Arc<PsObject>>,
}

impl InformationRecord {
    pub fn new(message_data: impl Into<Value>, source: impl Into<String>) -> Self {
        InformationRecord {
            message_data: message_data.into(),
            source: source.into(),
            time_generated: None,
            tags: Vec::new(),
            user: String::new(),
            computer: String::new(),
            process_id: 0,
            native_thread_id: 0,
            managed_thread_id: 0,
            raw: None,
        }
    }

    /// The message as text: the string itself, or the object's `<ToString>`/`Message`.
    pub fn message_text(&self) -> String {
        match &self.message_data {
            Value::String(s) => s.clone(),
            Value::Object(o) => o
                .get("Message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| o.to_string.clone())
                .unwrap_or_default(),
            Value::Null => String::new(),
            other => crate::to_string(other),
        }
    }

    fn same_fields(&self, other: &Self) -> bool {
        InformationRecord {
            raw: None,
            ..self.clone()
        } == InformationRecord {
            raw: None,
            ..other.clone()
        }
    }
}

impl FromValue for InformationRecord {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let o = object(v, "InformationRecord <Obj>")?;
        Ok(InformationRecord {
            message_data: o.get("MessageData").cloned().unwrap_or(Value::Null),
            source: string(o, "Source")?,
            time_generated: opt(o, "TimeGenerated")?,
            tags: opt::<Vec<String>>(o, "Tags")?.unwrap_or_default(),
            user: string(o, "User")?,
            computer: string(o, "Computer")?,
            process_id: opt(o, "ProcessId")?.unwrap_or(0),
            native_thread_id: opt(o, "NativeThreadId")?.unwrap_or(0),
            managed_thread_id: opt(o, "ManagedThreadId")?.unwrap_or(0),
            raw: Some(Arc::clone(o)),
        })
    }
}

impl ToValue for InformationRecord {
    fn to_value(&self) -> Value {
        let prev = self
            .raw
            .as_ref()
            .and_then(|raw| InformationRecord::from_value(&Value::Object(Arc::clone(raw))).ok());
        if let (Some(raw), Some(p)) = (&self.raw, &prev)
            && p.same_fields(self)
        {
            return Value::Object(Arc::clone(raw));
        }
        let mut o = base(&self.raw, None);
        let ms = &mut o.extended;
        if changed(&prev, |r| &r.message_data, &self.message_data) {
            put(ms, "MessageData", self.message_data.clone());
        }
        if changed(&prev, |r| &r.source, &self.source) {
            put(ms, "Source", Value::String(self.source.clone()));
        }
        if changed(&prev, |r| &r.time_generated, &self.time_generated) {
            put(
                ms,
                "TimeGenerated",
                self.time_generated
                    .clone()
                    .map_or(Value::Null, Value::DateTime),
            );
        }
        if changed(&prev, |r| &r.tags, &self.tags) {
            put(
                ms,
                "Tags",
                typed_list(
                    &[
                        "System.Collections.Generic.List`1[[System.String]]",
                        "System.Object",
                    ],
                    self.tags.iter().map(|t| Value::String(t.clone())).collect(),
                ),
            );
        }
        if changed(&prev, |r| &r.user, &self.user) {
            put(ms, "User", Value::String(self.user.clone()));
        }
        if changed(&prev, |r| &r.computer, &self.computer) {
            put(ms, "Computer", Value::String(self.computer.clone()));
        }
        if changed(&prev, |r| &r.process_id, &self.process_id) {
            put(ms, "ProcessId", Value::U32(self.process_id));
        }
        if changed(&prev, |r| &r.native_thread_id, &self.native_thread_id) {
            put(ms, "NativeThreadId", Value::U32(self.native_thread_id));
        }
        if changed(&prev, |r| &r.managed_thread_id, &self.managed_thread_id) {
            put(ms, "ManagedThreadId", Value::U32(self.managed_thread_id));
        }
        Value::object(o)
    }
}
