//! The other streams as PowerShell's host prints them: `WARNING: `, `VERBOSE: `, `DEBUG: `
//! prefixes, and error records as `message` + `    + CategoryInfo          : …` lines.
//!
//! Records are read from their CLIXML shape (MS-PSRP 2.2.3.15 ErrorRecord, 2.2.3.16
//! InformationalRecord, 2.2.3.? InformationRecord, 2.2.3.? ProgressRecord), so they format the same
//! whether they come from the runtime's typed structs (through `ToValue`) or straight off a file.

use psremote_clixml::{ObjContent, PsObject, Value};

use super::display;

/// The facts of an ErrorRecord that PowerShell prints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorView {
    pub message: String,
    /// The CategoryInfo text, `ObjectNotFound: (C:\nope:String) [Get-Item], ItemNotFoundException`.
    pub category_info: String,
    pub fully_qualified_error_id: String,
}

fn text(o: &PsObject, name: &str) -> Option<String> {
    match o.get(name)? {
        Value::Null => None,
        v => Some(display::cell(v)).filter(|s| !s.is_empty()),
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::I32(n) => Some(i64::from(*n)),
        Value::I64(n) => Some(*n),
        Value::U32(n) => Some(i64::from(*n)),
        Value::Object(o) => match &o.content {
            ObjContent::Value(inner) => int(inner),
            _ => None,
        },
        _ => None,
    }
}

/// ErrorCategoryInfo's shortening of long target names: the first and last 15 characters.
fn ellipsize(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 40 {
        return s.to_string();
    }
    let head: String = chars.iter().take(15).collect();
    let tail: String = chars.iter().skip(chars.len() - 15).collect();
    format!("{head}...{tail}")
}

impl ErrorView {
    /// Reads an ErrorRecord object (2.2.3.15). Anything missing is left empty; a value that is
    /// not an object becomes the message.
    pub fn from_value(v: &Value) -> ErrorView {
        let Some(o) = v.as_object() else {
            return ErrorView {
                message: display::scalar(v),
                ..ErrorView::default()
            };
        };
        // ErrorRecord.ToString(): ErrorDetails.Message, else Exception.Message.
        let exception = o.get("Exception").and_then(Value::as_object);
        let message = text(o, "ErrorDetails_Message")
            .or_else(|| exception.and_then(|e| text(e, "Message")))
            .or_else(|| o.to_string.clone())
            .or_else(|| exception.and_then(|e| e.to_string.clone()))
            .unwrap_or_default();
        // PowerShell rebuilds a deserialized record's CategoryInfo from the ErrorCategory_*
        // fields and prints ErrorCategoryInfo.GetMessage(): "{0}: ({1}:{2}) [{3}], {4}", the
        // target name shortened to 15...15 characters when longer than 40. The serialized
        // ErrorCategory_Message is only used when the fields are absent.
        let category = o
            .get("ErrorCategory_Category")
            .and_then(|v| match v.as_object() {
                Some(obj) if obj.to_string.is_some() => obj.to_string.clone(),
                _ => int(v).and_then(|n| {
                    let n = i32::try_from(n).ok()?;
                    psremote_clixml::types::ErrorCategory(n)
                        .known_name()
                        .map(str::to_owned)
                }),
            });
        let category_info = match (category, text(o, "ErrorCategory_Message")) {
            (None, Some(m)) => m,
            (category, _) => format!(
                "{}: ({}:{}) [{}], {}",
                category.unwrap_or_else(|| "NotSpecified".into()),
                ellipsize(&text(o, "ErrorCategory_TargetName").unwrap_or_default()),
                text(o, "ErrorCategory_TargetType").unwrap_or_default(),
                text(o, "ErrorCategory_Activity").unwrap_or_default(),
                text(o, "ErrorCategory_Reason").unwrap_or_default(),
            ),
        };
        ErrorView {
            message,
            category_info,
            fully_qualified_error_id: text(o, "FullyQualifiedErrorId").unwrap_or_default(),
        }
    }

    /// The lines PowerShell prints for a remote error (each line ends in `\n`).
    pub fn render(&self, computer: Option<&str>) -> String {
        let mut s = String::new();
        s.push_str(&self.message);
        s.push('\n');
        if !self.category_info.is_empty() {
            s.push_str(&format!(
                "    + CategoryInfo          : {}\n",
                self.category_info
            ));
        }
        if !self.fully_qualified_error_id.is_empty() {
            s.push_str(&format!(
                "    + FullyQualifiedErrorId : {}\n",
                self.fully_qualified_error_id
            ));
        }
        if let Some(c) = computer {
            s.push_str(&format!("    + PSComputerName        : {c}\n"));
        }
        s
    }
}

/// The message of an InformationalRecord (warning, verbose, debug; 2.2.3.16).
pub fn informational_message(v: &Value) -> String {
    match v.as_object() {
        Some(o) => text(o, "InformationalRecord_Message")
            .or_else(|| text(o, "Message"))
            .or_else(|| o.to_string.clone())
            .unwrap_or_default(),
        None => display::scalar(v),
    }
}

/// The text of an InformationRecord (Write-Information / Write-Host): its MessageData, which
/// for Write-Host is a HostInformationMessage whose `Message` is the text.
pub fn information_message(v: &Value) -> String {
    let Some(o) = v.as_object() else {
        return display::scalar(v);
    };
    match o.get("MessageData") {
        Some(Value::Object(data)) => text(data, "Message")
            .or_else(|| data.to_string.clone())
            .unwrap_or_else(|| display::cell(&Value::Object(data.clone()))),
        Some(other) => display::scalar(other),
        None => o.to_string.clone().unwrap_or_default(),
    }
}

/// The stream prefixes of PowerShell's console host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Warning,
    Verbose,
    Debug,
}

impl Stream {
    pub fn prefix(self) -> &'static str {
        match self {
            Stream::Warning => "WARNING: ",
            Stream::Verbose => "VERBOSE: ",
            Stream::Debug => "DEBUG: ",
        }
    }
}

/// `WARNING: text`, with `[computer] ` after the prefix when several computers answer.
pub fn stream_line(stream: Stream, message: &str, computer: Option<&str>) -> String {
    match computer {
        Some(c) => format!("{}[{c}] {message}", stream.prefix()),
        None => format!("{}{message}", stream.prefix()),
    }
}

/// The facts of a ProgressRecord (2.2.3.? ProgressRecord) a progress bar shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgressView {
    pub activity_id: i64,
    pub activity: String,
    pub status: String,
    pub current_operation: String,
    /// -1 when unknown.
    pub percent: i64,
    pub completed: bool,
}

impl ProgressView {
    pub fn from_value(v: &Value) -> ProgressView {
        let Some(o) = v.as_object() else {
            return ProgressView {
                percent: -1,
                ..ProgressView::default()
            };
        };
        let record_type = o.get("Type").map(display::cell).unwrap_or_default();
        ProgressView {
            activity_id: o.get("ActivityId").and_then(int).unwrap_or(0),
            activity: text(o, "Activity").unwrap_or_default(),
            status: text(o, "StatusDescription").unwrap_or_default(),
            current_operation: text(o, "CurrentOperation").unwrap_or_default(),
            percent: o.get("PercentComplete").and_then(int).unwrap_or(-1),
            completed: record_type == "Completed" || o.get("Type").and_then(int) == Some(1),
        }
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use psremote_clixml::Property;

    fn p(name: &str, value: Value) -> Property {
        Property {
            name: name.into(),
            value,
        }
    }
    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn error_record_like_powershell() {
        let mut ex = PsObject::with_type_names([
            "Deserialized.System.Management.Automation.ItemNotFoundException",
        ]);
        ex.adapted = vec![p(
            "Message",
            s("Cannot find path 'C:\\nope' because it does not exist."),
        )];
        let mut er =
            PsObject::with_type_names(["Deserialized.System.Management.Automation.ErrorRecord"]);
        er.extended = vec![
            p("Exception", Value::object(ex)),
            p(
                "FullyQualifiedErrorId",
                s("PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"),
            ),
            p("ErrorCategory_Category", Value::I32(13)),
            p("ErrorCategory_Activity", s("Get-Item")),
            p("ErrorCategory_Reason", s("ItemNotFoundException")),
            p("ErrorCategory_TargetName", s("C:\\nope")),
            p("ErrorCategory_TargetType", s("String")),
        ];
        let view = ErrorView::from_value(&Value::object(er));
        assert_eq!(
            view.render(Some("server01")),
            "Cannot find path 'C:\\nope' because it does not exist.\n    \
             + CategoryInfo          : ObjectNotFound: (C:\\nope:String) [Get-Item], ItemNotFoundException\n    \
             + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand\n    \
             + PSComputerName        : server01\n"
        );
    }

    #[test]
    fn error_record_prefers_details_and_category_message() {
        let mut er = PsObject::default();
        er.extended = vec![
            p("ErrorDetails_Message", s("details win")),
            p(
                "ErrorCategory_Message",
                s("ParserError: (:) [], ParseException"),
            ),
            p("FullyQualifiedErrorId", s("MissingEndCurlyBrace")),
        ];
        er.to_string = Some("to string".into());
        let v = ErrorView::from_value(&Value::object(er));
        assert_eq!(v.message, "details win");
        assert_eq!(v.category_info, "ParserError: (:) [], ParseException");
        assert_eq!(
            v.render(None),
            "details win\n    + CategoryInfo          : ParserError: (:) [], ParseException\n    \
             + FullyQualifiedErrorId : MissingEndCurlyBrace\n"
        );
    }

    #[test]
    fn category_fields_win_and_long_targets_are_shortened() {
        let mut er = PsObject::default();
        er.extended = vec![
            p("ErrorCategory_Category", Value::I32(17)),
            p(
                "ErrorCategory_Message",
                s("ParserError (x:String) [], ParseException"),
            ),
            p(
                "ErrorCategory_TargetName",
                s("Set-Item -Path WSMan:\\localhost\\Service\\Auth\\Basic -Value $false"),
            ),
            p("ErrorCategory_TargetType", s("String")),
            p("ErrorCategory_Reason", s("ParseException")),
        ];
        let v = ErrorView::from_value(&Value::object(er));
        assert_eq!(
            v.category_info,
            "ParserError: (Set-Item -Path ...c -Value $false:String) [], ParseException"
        );
    }

    #[test]
    fn streams_and_information() {
        assert_eq!(
            stream_line(Stream::Warning, "careful", None),
            "WARNING: careful"
        );
        assert_eq!(
            stream_line(Stream::Verbose, "v", Some("a")),
            "VERBOSE: [a] v"
        );
        let mut rec = PsObject::default();
        rec.extended = vec![p("InformationalRecord_Message", s("hello"))];
        assert_eq!(informational_message(&Value::object(rec)), "hello");

        let mut host_msg =
            PsObject::with_type_names(["System.Management.Automation.HostInformationMessage"]);
        host_msg.adapted = vec![
            p("Message", s("from Write-Host")),
            p("NoNewLine", Value::Bool(false)),
        ];
        let mut info = PsObject::default();
        info.adapted = vec![p("MessageData", Value::object(host_msg))];
        assert_eq!(information_message(&Value::object(info)), "from Write-Host");
    }

    #[test]
    fn progress_record() {
        let mut pr = PsObject::default();
        pr.adapted = vec![
            p("Activity", s("Copying")),
            p("ActivityId", Value::I32(3)),
            p("StatusDescription", s("50 of 100")),
            p("PercentComplete", Value::I32(50)),
            p("Type", Value::I32(0)),
        ];
        let v = ProgressView::from_value(&Value::object(pr));
        assert_eq!(v.activity, "Copying");
        assert_eq!(v.activity_id, 3);
        assert_eq!(v.percent, 50);
        assert!(!v.completed);
    }
}
