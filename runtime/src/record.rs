//! Views over the record objects of MS-PSRP 2.2.3 the runtime reports (ErrorRecord,
//! InformationalRecord, InformationRecord, ProgressRecord). Each keeps the value exactly as the
//! server sent it, so nothing is lost, reads the properties a caller needs on demand, and
//! decodes fully into the `psremote_clixml::types` structs with `typed()`.

use std::fmt;

use psremote_clixml::{ConversionError, FromValue, ObjContent, PsObject, Value};

fn obj(v: &Value) -> Option<&PsObject> {
    v.as_object()
}

fn prop_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    obj(v)?.get(name).and_then(prop_as_str)
}

fn prop_as_str(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => match &o.content {
            ObjContent::Value(Value::String(s)) => Some(s),
            _ => o.to_string.as_deref(),
        },
        _ => None,
    }
}

fn prop_i32(v: &Value, name: &str) -> Option<i32> {
    match obj(v)?.get(name)? {
        Value::I32(i) => Some(*i),
        Value::Object(o) => match &o.content {
            ObjContent::Value(Value::I32(i)) => Some(*i),
            _ => None,
        },
        _ => None,
    }
}

/// The message of an exception object (`Message` property, else its ToString).
pub(crate) fn exception_message(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("Message")
            .and_then(prop_as_str)
            .or(o.to_string.as_deref())
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// An ErrorRecord (MS-PSRP 2.2.3.15): a non-terminating error, or the reason a pipeline Failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRecord {
    pub value: Value,
}

impl ErrorRecord {
    pub fn new(value: Value) -> ErrorRecord {
        ErrorRecord { value }
    }

    /// Every field, decoded (`psremote_clixml::types::ErrorRecord`, lossless).
    pub fn typed(&self) -> Result<psremote_clixml::types::ErrorRecord, ConversionError> {
        FromValue::from_value(&self.value)
    }

    /// `ErrorDetails_Message` if set, else the exception's message, else ToString.
    pub fn message(&self) -> String {
        if let Some(m) = prop_str(&self.value, "ErrorDetails_Message").filter(|s| !s.is_empty()) {
            return m.to_string();
        }
        if let Some(e) = obj(&self.value).and_then(|o| o.get("Exception")) {
            let m = exception_message(e);
            if !m.is_empty() {
                return m;
            }
        }
        obj(&self.value)
            .and_then(|o| o.to_string.clone())
            .or_else(|| self.value.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// `FullyQualifiedErrorId`, e.g. `PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand`.
    pub fn fully_qualified_error_id(&self) -> Option<&str> {
        prop_str(&self.value, "FullyQualifiedErrorId")
    }

    /// The ErrorCategory name (`ErrorCategory_Reason` is the exception type; the category is
    /// `ErrorCategory_Category`, an integer, and its text is in `ErrorCategory_Message`).
    pub fn category(&self) -> Option<String> {
        if let Some(n) = prop_i32(&self.value, "ErrorCategory_Category") {
            return Some(category_name(n).to_string());
        }
        prop_str(&self.value, "ErrorCategory_Message").map(str::to_string)
    }

    /// `ErrorCategory_Message`: PowerShell's CategoryInfo line.
    pub fn category_info(&self) -> Option<&str> {
        prop_str(&self.value, "ErrorCategory_Message")
    }

    /// `ErrorCategory_TargetName`.
    pub fn target_name(&self) -> Option<&str> {
        prop_str(&self.value, "ErrorCategory_TargetName")
    }

    /// The command the error came from (`InvocationInfo_MyCommand` or `…InvocationName`).
    pub fn command_name(&self) -> Option<&str> {
        let o = obj(&self.value)?;
        o.get("InvocationInfo_InvocationName")
            .or_else(|| o.get("InvocationInfo_MyCommand"))
            .and_then(prop_as_str)
            .filter(|s| !s.is_empty())
    }
}

/// The names of System.Management.Automation.ErrorCategory (MS-PSRP 2.2.3.15 refers to it).
pub fn category_name(n: i32) -> &'static str {
    psremote_clixml::types::ErrorCategory(n)
        .known_name()
        .unwrap_or("NotSpecified")
}

impl fmt::Display for ErrorRecord {
    /// One line: `Command: message (Category; FullyQualifiedErrorId)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = self.command_name() {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.message().trim().replace(['\r', '\n'], " "))?;
        match (self.category(), self.fully_qualified_error_id()) {
            (Some(c), Some(id)) => write!(f, " ({c}; {id})"),
            (Some(c), None) => write!(f, " ({c})"),
            (None, Some(id)) => write!(f, " ({id})"),
            (None, None) => Ok(()),
        }
    }
}

/// A warning, verbose or debug record (InformationalRecord, MS-PSRP 2.2.3.16).
#[derive(Debug, Clone, PartialEq)]
pub struct InformationalRecord {
    pub value: Value,
}

impl InformationalRecord {
    /// Every field, decoded (`psremote_clixml::types::InformationalRecord`).
    pub fn typed(&self) -> Result<psremote_clixml::types::InformationalRecord, ConversionError> {
        FromValue::from_value(&self.value)
    }

    /// `InformationalRecord_Message`.
    pub fn message(&self) -> String {
        prop_str(&self.value, "InformationalRecord_Message")
            .or_else(|| obj(&self.value).and_then(|o| o.to_string.as_deref()))
            .or_else(|| self.value.as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// An InformationRecord (Write-Information / Write-Host, MS-PSRP 2.2.3.35).
#[derive(Debug, Clone, PartialEq)]
pub struct InformationRecord {
    pub value: Value,
}

impl InformationRecord {
    /// Every field, decoded (`psremote_clixml::types::InformationRecord`).
    pub fn typed(&self) -> Result<psremote_clixml::types::InformationRecord, ConversionError> {
        FromValue::from_value(&self.value)
    }

    /// `MessageData` as text (ToString of the object, or the string).
    pub fn message(&self) -> String {
        match obj(&self.value).and_then(|o| o.get("MessageData")) {
            Some(v) => prop_as_str(v)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{v:?}")),
            None => obj(&self.value)
                .and_then(|o| o.to_string.clone())
                .unwrap_or_default(),
        }
    }

    /// `Source`.
    pub fn source(&self) -> Option<&str> {
        prop_str(&self.value, "Source")
    }
}

/// A ProgressRecord (MS-PSRP 2.2.3.26).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRecord {
    pub value: Value,
}

impl ProgressRecord {
    /// Every field, decoded (`psremote_clixml::types::ProgressRecord`).
    pub fn typed(&self) -> Result<psremote_clixml::types::ProgressRecord, ConversionError> {
        FromValue::from_value(&self.value)
    }

    pub fn activity(&self) -> Option<&str> {
        prop_str(&self.value, "Activity")
    }
    pub fn status_description(&self) -> Option<&str> {
        prop_str(&self.value, "StatusDescription")
    }
    pub fn percent_complete(&self) -> Option<i32> {
        prop_i32(&self.value, "PercentComplete")
    }
    pub fn activity_id(&self) -> Option<i32> {
        prop_i32(&self.value, "ActivityId")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_clixml::Property;

    fn prop(name: &str, value: Value) -> Property {
        Property {
            name: name.into(),
            value,
        }
    }

    #[test]
    fn error_record_one_line() {
        let mut ex = PsObject::with_type_names(["System.Exception", "System.Object"]);
        ex.adapted.push(prop(
            "Message",
            Value::String("Cannot find path 'C:\\nope'\r\nbecause it does not exist.".into()),
        ));
        let mut rec = PsObject::with_type_names(["System.Management.Automation.ErrorRecord"]);
        rec.extended.push(prop("Exception", Value::object(ex)));
        rec.extended.push(prop(
            "FullyQualifiedErrorId",
            Value::String("PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand".into()),
        ));
        rec.extended
            .push(prop("ErrorCategory_Category", Value::I32(13)));
        rec.extended.push(prop(
            "InvocationInfo_InvocationName",
            Value::String("Get-Item".into()),
        ));
        let r = ErrorRecord::new(Value::object(rec));
        assert_eq!(
            r.to_string(),
            "Get-Item: Cannot find path 'C:\\nope'  because it does not exist. (ObjectNotFound; PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand)"
        );
        assert_eq!(r.category().as_deref(), Some("ObjectNotFound"));
    }
}
