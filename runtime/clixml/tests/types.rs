#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The MS-PSRP 2.2.3 record types against what Windows sent, and built from scratch.

mod common;

use psremote_clixml::types::{
    CommandMetadata, CommandMetadataCount, CommandTypes, ErrorCategory, ErrorRecord,
    InformationRecord, InformationalKind, InformationalRecord, ParameterMetadata, ProgressRecord,
    ProgressRecordType,
};
use psremote_clixml::{FromValue, ToValue, Value, from_bytes, from_str, to_string};

const ERROR_RECORD: u32 = 0x0004_1005;
const PIPELINE_STATE: u32 = 0x0004_1006;
const DEBUG_RECORD: u32 = 0x0004_1007;
const VERBOSE_RECORD: u32 = 0x0004_1008;
const WARNING_RECORD: u32 = 0x0004_1009;
const PROGRESS_RECORD: u32 = 0x0004_1010;
const INFORMATION_RECORD: u32 = 0x0004_1011;
const PIPELINE_OUTPUT: u32 = 0x0004_1004;

/// Decodes as `T`, checks that converting back gives the identical value and bytes, and that
/// a modified record still converts (and keeps the unknown properties).
fn lossless<T: FromValue + ToValue>(v: &Value) -> T {
    let typed = T::from_value(v).unwrap_or_else(|e| panic!("{e}\n{}", to_string(v)));
    let back = typed.to_value();
    assert_eq!(&back, v);
    assert_eq!(to_string(&back), to_string(v));
    typed
}

fn messages(kind: u32) -> Vec<(String, Value)> {
    common::all_messages()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.message_type == kind && m.destination == 1)
        .map(|m| (m.file.clone(), from_bytes(&m.data).unwrap().remove(0)))
        .collect()
}

#[test]
fn windows_error_records_both_forms() {
    if common::fixtures_dir().is_none() {
        return;
    }
    let mut extended = 0;
    let mut nested = 0;
    for (file, v) in messages(ERROR_RECORD) {
        let e: ErrorRecord = lossless(&v);
        assert!(!e.fully_qualified_error_id.is_empty(), "{file}");
        assert!(e.exception_type().is_some(), "{file}");
        if e.serialize_extended_info {
            extended += 1;
        } else {
            nested += 1;
        }
    }
    // The failed pipeline's ErrorRecord (SerializeExtendedInfo false, nested InvocationInfo).
    let failed: Vec<_> = messages(PIPELINE_STATE)
        .into_iter()
        .filter(|(f, _)| f == "test_psrp_error_failed.yml")
        .collect();
    assert_eq!(failed.len(), 1);
    let state = failed[0].1.as_object().unwrap();
    let e: ErrorRecord = lossless(state.get("ExceptionAsErrorRecord").unwrap());
    nested += 1;
    assert_eq!(e.message, "error");
    assert_eq!(
        e.exception_type(),
        Some("Microsoft.PowerShell.Commands.WriteErrorException")
    );
    assert_eq!(e.exception_message.as_deref(), Some("error"));
    assert_eq!(
        e.fully_qualified_error_id,
        "Microsoft.PowerShell.Commands.WriteErrorException"
    );
    assert_eq!(e.category_info.category, ErrorCategory::NOT_SPECIFIED);
    assert_eq!(e.category_info.activity, "Write-Error");
    assert_eq!(e.category_info.reason, "WriteErrorException");
    assert_eq!(
        e.category_info.message.as_deref(),
        Some("NotSpecified: (:) [Write-Error], WriteErrorException")
    );
    assert_eq!(
        e.category_info.to_line(),
        "NotSpecified: (:) [Write-Error], WriteErrorException"
    );
    assert_eq!(
        e.script_stack_trace.as_deref(),
        Some("at <ScriptBlock>, <No file>: line 1")
    );
    assert!(!e.serialize_extended_info);
    let info = e.invocation_info.as_ref().unwrap();
    assert_eq!(info.offset_in_line, 55);
    assert_eq!(info.script_line_number, 1);
    assert_eq!(info.command_origin.as_deref(), Some("Internal"));
    assert!(info.position_message.starts_with("At line:1 char:55\r\n"));
    assert_eq!(e.target_object, Value::Null);

    // The output-invocation recording has SerializeExtendedInfo true.
    let (_, v) = messages(ERROR_RECORD)
        .into_iter()
        .find(|(f, _)| f == "test_psrp_stream_output_invocation.yml")
        .unwrap();
    let e: ErrorRecord = lossless(&v);
    assert!(e.serialize_extended_info);
    let info = e.invocation_info.as_ref().unwrap();
    assert_eq!(info.command_type, Some(CommandTypes::SCRIPT));
    assert_eq!(info.command_origin.as_deref(), Some("Internal"));
    assert!(
        info.command_definition
            .as_deref()
            .unwrap()
            .contains("Write-Debug")
    );
    assert!(extended >= 1 && nested >= 1, "{extended} {nested}");

    // A change keeps every property it does not touch, in place.
    let mut changed = e.clone();
    changed.category_info.category = ErrorCategory::OBJECT_NOT_FOUND;
    changed.fully_qualified_error_id = "NotFound,Test".into();
    let out = changed.to_value();
    let again = ErrorRecord::from_value(&out).unwrap();
    assert_eq!(
        again.category_info.category,
        ErrorCategory::OBJECT_NOT_FOUND
    );
    assert_eq!(again.fully_qualified_error_id, "NotFound,Test");
    assert_eq!(again.invocation_info, e.invocation_info);
    let names = |v: &Value| -> Vec<String> {
        v.as_object()
            .unwrap()
            .extended
            .iter()
            .map(|p| p.name.clone())
            .collect()
    };
    assert_eq!(names(&out), names(&v));
}

#[test]
fn windows_informational_records() {
    if common::fixtures_dir().is_none() {
        return;
    }
    let mut seen = 0;
    for (kind, expected) in [
        (WARNING_RECORD, InformationalKind::Warning),
        (VERBOSE_RECORD, InformationalKind::Verbose),
        (DEBUG_RECORD, InformationalKind::Debug),
    ] {
        for (file, v) in messages(kind) {
            let r: InformationalRecord = lossless(&v);
            assert_eq!(r.kind, Some(expected), "{file}");
            assert!(!r.message.is_empty());
            seen += 1;
        }
    }
    assert!(seen >= 3);
    let (_, v) = messages(VERBOSE_RECORD)
        .into_iter()
        .find(|(f, _)| f == "test_psrp_stream_output_invocation.yml")
        .unwrap();
    let r: InformationalRecord = lossless(&v);
    assert_eq!(r.message, "verbose stream");
    assert_eq!(r.pipeline_iteration_info, [0, 0]);
    let info = r.invocation_info.unwrap();
    assert_eq!(info.pipeline_length, 1);
    assert_eq!(info.command_origin.as_deref(), Some("Runspace"));
}

#[test]
fn windows_progress_and_information_records() {
    if common::fixtures_dir().is_none() {
        return;
    }
    let progress = messages(PROGRESS_RECORD);
    assert!(!progress.is_empty());
    let typed: Vec<ProgressRecord> = progress.iter().map(|(_, v)| lossless(v)).collect();
    assert!(typed.iter().all(|p| !p.activity.is_empty()));
    let p = typed
        .iter()
        .find(|p| p.activity == "Preparing modules for first use.")
        .unwrap();
    assert_eq!(p.record_type, ProgressRecordType::Completed);
    assert_eq!(p.status_description, " ");
    assert_eq!(p.current_operation, None);
    assert_eq!(
        (
            p.parent_activity_id,
            p.percent_complete,
            p.seconds_remaining
        ),
        (-1, -1, -1)
    );
    let info = messages(INFORMATION_RECORD);
    assert!(!info.is_empty());
    for (_, v) in &info {
        let i: InformationRecord = lossless(v);
        assert_eq!(i.message_text(), "information stream");
        assert_eq!(i.source, "Write-Information");
        assert_eq!(i.computer, "WIN-NNMU24VVKJ0");
        assert!(i.time_generated.is_some());
    }
}

#[test]
fn windows_command_metadata_reply() {
    if common::fixtures_dir().is_none() {
        return;
    }
    let outputs: Vec<_> = messages(PIPELINE_OUTPUT)
        .into_iter()
        .filter(|(f, _)| f == "test_psrp_get_command_metadata.yml")
        .map(|(_, v)| v)
        .collect();
    let mut i = 0;
    let mut commands = Vec::new();
    while i < outputs.len() {
        let count: CommandMetadataCount = lossless(&outputs[i]);
        i += 1;
        for _ in 0..count.count {
            commands.push(lossless::<CommandMetadata>(&outputs[i]));
            i += 1;
        }
    }
    assert!(commands.len() >= 3, "{}", commands.len());
    let new_session = commands.iter().find(|c| c.name == "New-PSSession").unwrap();
    assert_eq!(new_session.namespace, "Microsoft.PowerShell.Core");
    assert_eq!(new_session.command_type, CommandTypes::CMDLET);
    assert_eq!(new_session.command_type.to_string(), "Cmdlet");
    assert_eq!(
        new_session.help_uri.as_deref(),
        Some("https://go.microsoft.com/fwlink/?LinkID=135237")
    );
    assert_eq!(
        new_session.output_type,
        ["System.Management.Automation.Runspaces.PSSession"]
    );
    let cn = new_session.parameter("computername").unwrap();
    assert_eq!(cn.parameter_type, "System.String[]");
    assert_eq!(cn.aliases, ["Cn"]);
    assert!(!cn.switch_parameter && !cn.is_dynamic);
}

#[test]
fn records_built_from_scratch_round_trip() {
    let mut e = ErrorRecord::new(
        "Cannot find path 'C:\\nope'.",
        "System.Management.Automation.ItemNotFoundException",
        "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand",
        ErrorCategory::OBJECT_NOT_FOUND,
    );
    e.category_info.target_name = "C:\\nope".into();
    e.category_info.activity = "Get-Item".into();
    e.target_object = Value::String("C:\\nope".into());
    let v = e.to_value();
    let back = ErrorRecord::from_value(&from_str(&to_string(&v)).unwrap()[0]).unwrap();
    assert_eq!(
        ErrorRecord {
            raw: None,
            ..back.clone()
        },
        ErrorRecord {
            category_info: psremote_clixml::types::ErrorCategoryInfo {
                message: Some("ObjectNotFound: (C:\\nope:) [Get-Item], ".into()),
                ..e.category_info.clone()
            },
            ..e.clone()
        }
    );
    assert_eq!(
        back.exception_type(),
        Some("System.Management.Automation.ItemNotFoundException")
    );

    let mut with_info = e.clone();
    with_info.serialize_extended_info = true;
    with_info.invocation_info = Some(psremote_clixml::types::InvocationInfo {
        command_name: Some("Get-Item".into()),
        command_type: Some(CommandTypes::CMDLET),
        line: "Get-Item C:\\nope".into(),
        ..Default::default()
    });
    let back =
        ErrorRecord::from_value(&from_str(&to_string(&with_info.to_value())).unwrap()[0]).unwrap();
    let info = back.invocation_info.unwrap();
    assert_eq!(info.command_name.as_deref(), Some("Get-Item"));
    assert_eq!(info.command_type, Some(CommandTypes::CMDLET));
    assert_eq!(info.line, "Get-Item C:\\nope");

    let mut p = ProgressRecord::new("Copying", 1, "file 3 of 10");
    p.percent_complete = 30;
    let back = ProgressRecord::from_value(&p.to_value()).unwrap();
    assert_eq!(ProgressRecord { raw: None, ..back }, p);

    let w = InformationalRecord::new(InformationalKind::Warning, "careful");
    let back = InformationalRecord::from_value(&w.to_value()).unwrap();
    assert_eq!(InformationalRecord { raw: None, ..back }, w);

    let mut c = CommandMetadata::new("Get-Thing", "Things", CommandTypes::FUNCTION);
    c.parameters.push((
        "Force".into(),
        ParameterMetadata::new("Force", "System.Management.Automation.SwitchParameter"),
    ));
    let back = CommandMetadata::from_value(&c.to_value()).unwrap();
    assert!(back.parameter("force").unwrap().switch_parameter);
    assert_eq!(back.name, "Get-Thing");
    assert_eq!(CommandTypes(3).to_string(), "Alias, Function");
    assert_eq!(CommandTypes::ALL.to_string(), "All");

    let i = InformationRecord::new("hello", "Write-Host");
    let back = InformationRecord::from_value(&i.to_value()).unwrap();
    assert_eq!(InformationRecord { raw: None, ..back }, i);
}

#[test]
fn wrong_shapes_are_conversion_errors() {
    assert!(ErrorRecord::from_value(&Value::I32(1)).is_err());
    let bad = from_str("<Obj RefId=\"0\"><MS><I32 N=\"ActivityId\">x</I32></MS></Obj>");
    assert!(bad.is_err());
    let bad = from_str("<Obj RefId=\"0\"><MS><S N=\"ActivityId\">x</S></MS></Obj>").unwrap();
    let err = ProgressRecord::from_value(&bad[0]).unwrap_err();
    assert_eq!(err.to_string(), "ActivityId: expected <I32>, found <S>");
}
