//! GET_COMMAND_METADATA replies (MS-PSRP 2.2.2.14, 2.2.3.21–23) → [`Catalog`].
//!
//! The fallback for endpoints that refuse scripts (NoLanguage / JEA). The reply is a normal
//! pipeline output: a CommandMetadataCount object (2.2.3.21), then one CommandMetadata per
//! command (2.2.3.22) whose `Parameters` dictionary maps names to ParameterMetadata (2.2.3.23).
//! It carries no parameter sets, no Mandatory/Position, no pipeline flags and no validation,
//! so every parameter becomes optional and named in one `__AllParameterSets` set. The types
//! are kept (PowerShell's Import-PSSession throws them away).

use psremote_clixml::{ObjContent, PsObject, Value};

use crate::docs::ALL_PARAMETER_SETS;
use crate::metadata::{
    Catalog, CommandInfo, MetadataError, ParameterInfo, ParameterSetInfo, Source,
    is_common_parameter,
};

/// `System.Management.Automation.CommandTypes` flag values (the enum's documented members).
const COMMAND_TYPES: [(i64, &str); 9] = [
    (1, "Alias"),
    (2, "Function"),
    (4, "Filter"),
    (8, "Cmdlet"),
    (16, "ExternalScript"),
    (32, "Application"),
    (64, "Script"),
    (128, "Workflow"),
    (256, "Configuration"),
];

fn invalid(context: &str, message: impl Into<String>) -> MetadataError {
    MetadataError::Invalid {
        context: context.to_owned(),
        message: message.into(),
    }
}

fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) | Value::Uri(s) => Some(s.clone()),
        Value::Object(o) => match &o.content {
            ObjContent::Value(inner) => string_of(inner),
            _ => o.to_string.clone(),
        },
        _ => None,
    }
}

fn bool_of(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Object(o)) => match &o.content {
            ObjContent::Value(inner) => bool_of(Some(inner)),
            _ => false,
        },
        _ => false,
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::I32(i) => Some(i64::from(*i)),
        Value::I64(i) => Some(*i),
        Value::U32(i) => Some(i64::from(*i)),
        Value::I16(i) => Some(i64::from(*i)),
        Value::U16(i) => Some(i64::from(*i)),
        Value::U8(i) => Some(i64::from(*i)),
        _ => None,
    }
}

fn list_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Object(o)) => match &o.content {
            ObjContent::List(_, items) => items.iter().filter_map(string_of).collect(),
            _ => Vec::new(),
        },
        Some(v) => string_of(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// CommandType is an enum object (ToString "Cmdlet", content `<I32>8</I32>`) from Windows,
/// or a bare integer from other servers.
fn command_type_of(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "Cmdlet".to_owned();
    };
    if let Value::Object(o) = v
        && let Some(s) = &o.to_string
    {
        return s.clone();
    }
    let n = match v {
        Value::Object(o) => match &o.content {
            ObjContent::Value(inner) => int_of(inner),
            _ => None,
        },
        other => int_of(other),
    };
    match n {
        Some(n) => {
            let names: Vec<&str> = COMMAND_TYPES
                .iter()
                .filter(|(bit, _)| n & bit != 0)
                .map(|(_, name)| *name)
                .collect();
            if names.is_empty() {
                n.to_string()
            } else {
                names.join(", ")
            }
        }
        None => string_of(v).unwrap_or_else(|| "Cmdlet".to_owned()),
    }
}

fn parameter_of(key: &str, v: &Value) -> ParameterInfo {
    let o = v.as_object();
    let get = |n: &str| o.and_then(|o| o.get(n));
    let name = get("Name")
        .and_then(string_of)
        .unwrap_or_else(|| key.to_owned());
    let type_name = get("ParameterType").and_then(string_of);
    let is_switch = bool_of(get("SwitchParameter"));
    ParameterInfo {
        name,
        type_name,
        is_mandatory: false,
        position: None,
        value_from_pipeline: false,
        value_from_pipeline_by_property_name: false,
        value_from_remaining_arguments: false,
        help_message: None,
        aliases: list_of(get("Aliases")),
        is_dynamic: bool_of(get("IsDynamic")),
        is_switch,
        validate_set: None,
        validate_range: None,
        validate_length: None,
        validate_count: None,
        validate_pattern: None,
    }
}

/// One CommandMetadata object (MS-PSRP 2.2.3.22) → [`CommandInfo`]. `None` for the
/// CommandMetadataCount object (2.2.3.21), which has only `Count`.
pub fn command_from_value(v: &Value) -> Result<Option<CommandInfo>, MetadataError> {
    let o: &PsObject = v
        .as_object()
        .ok_or_else(|| invalid("CommandMetadata", "not an object"))?;
    let Some(name) = o.get("Name").and_then(string_of) else {
        if o.get("Count").is_some() {
            return Ok(None);
        }
        return Err(invalid("CommandMetadata", "no Name property"));
    };
    let mut params = Vec::new();
    let mut common = 0usize;
    if let Some(Value::Object(dict)) = o.get("Parameters")
        && let ObjContent::Dict(entries) = &dict.content
    {
        for (k, pv) in entries {
            let key = string_of(k).unwrap_or_default();
            let p = parameter_of(&key, pv);
            if is_common_parameter(&p.name) {
                common += 1;
            } else {
                params.push(p);
            }
        }
    }
    // Import-PSSession infers "is a cmdlet proxy" from the presence of all common parameters.
    let supports_common_parameters = common >= 6;
    let command_type = command_type_of(o.get("CommandType"));
    let resolved = o.get("ResolvedCommandName").and_then(string_of);
    let parameter_sets = if params.is_empty() && command_type == "Alias" {
        Vec::new()
    } else {
        vec![ParameterSetInfo {
            name: ALL_PARAMETER_SETS.to_owned(),
            is_default: true,
            parameters: params,
        }]
    };
    Ok(Some(CommandInfo {
        name,
        command_type,
        module: o
            .get("Namespace")
            .and_then(string_of)
            .filter(|s| !s.is_empty()),
        module_version: None,
        help_uri: o
            .get("HelpUri")
            .and_then(string_of)
            .filter(|s| !s.is_empty()),
        synopsis: None,
        default_parameter_set: None,
        output_types: list_of(o.get("OutputType")),
        resolved_command_name: resolved,
        supports_common_parameters,
        parameter_sets,
    }))
}

/// A whole GET_COMMAND_METADATA reply (the pipeline's output values) → [`Catalog`]. Checks
/// the CommandMetadataCount against the number of commands received.
pub fn from_values(values: &[Value]) -> Result<Catalog, MetadataError> {
    let mut catalog = Catalog::new(Source::Protocol);
    let mut expected = None;
    for v in values {
        match command_from_value(v)? {
            Some(c) => catalog.commands.push(c),
            None => {
                expected = v.as_object().and_then(|o| o.get("Count")).and_then(int_of);
            }
        }
    }
    if let Some(n) = expected
        && usize::try_from(n).ok() != Some(catalog.commands.len())
    {
        return Err(invalid(
            "GET_COMMAND_METADATA reply",
            format!(
                "CommandMetadataCount says {n}, received {}",
                catalog.commands.len()
            ),
        ));
    }
    catalog.normalize();
    Ok(catalog)
}
