//! The cmdlet reference docs metadata (`shared/fixtures/cmdlet-metadata/<ver>/*.json`, see its
//! README) → [`Catalog`]. Used by the tests and the fidelity report: it is the real metadata of
//! the 5.1 and 7.x cmdlets, as documented.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::metadata::{
    Catalog, CommandInfo, MetadataError, ParameterInfo, ParameterSetInfo, Source, TypeInfo,
};

/// PowerShell's name for "every set" (`ParameterAttribute.AllParameterSets`).
pub const ALL_PARAMETER_SETS: &str = "__AllParameterSets";

#[derive(Debug, Deserialize)]
struct DocCommand {
    name: String,
    module: Option<String>,
    synopsis: Option<String>,
    help_uri: Option<String>,
    #[serde(default)]
    command_aliases: Vec<String>,
    default_parameter_set: Option<String>,
    #[serde(default)]
    parameter_sets: Vec<String>,
    #[serde(default = "yes")]
    supports_common_parameters: bool,
    #[serde(default)]
    parameters: Vec<DocParameter>,
    #[serde(default)]
    outputs: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct DocParameter {
    name: String,
    #[serde(rename = "type")]
    type_name: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    accepted_values: Vec<String>,
    #[serde(default)]
    dynamic: bool,
    #[serde(default)]
    sets: Vec<DocSet>,
}

#[derive(Debug, Deserialize)]
struct DocSet {
    set: String,
    #[serde(default)]
    mandatory: bool,
    position: Option<i32>,
    #[serde(default)]
    value_from_pipeline: bool,
    #[serde(default)]
    value_from_pipeline_by_property_name: bool,
    value_from_remaining_arguments: Option<bool>,
}

fn yes() -> bool {
    true
}

/// Short type names the docs use → the full .NET names.
pub fn normalize_type_name(t: &str) -> String {
    let t = t.trim();
    let (base, suffix) = match t.strip_suffix("[]") {
        Some(b) => (b, "[]"),
        None => (t, ""),
    };
    let full = match base {
        "Switch" | "SwitchParameter" => "System.Management.Automation.SwitchParameter",
        "String" | "string" => "System.String",
        "Int32" | "int" => "System.Int32",
        "UInt32" | "uint" => "System.UInt32",
        "Int64" | "long" => "System.Int64",
        "Boolean" | "bool" => "System.Boolean",
        "Object" | "object" => "System.Object",
        "PSObject" => "System.Management.Automation.PSObject",
        "Runspace" => "System.Management.Automation.Runspaces.Runspace",
        "ScriptBlock" => "System.Management.Automation.ScriptBlock",
        "Hashtable" => "System.Collections.Hashtable",
        other => other,
    };
    format!("{full}{suffix}")
}

/// Reads every `*.json` of one version folder into one catalog.
pub fn read_dir(dir: &Path) -> Result<Catalog, MetadataError> {
    let io = |source| MetadataError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut texts = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|source| MetadataError::Io {
            path: f.display().to_string(),
            source,
        })?;
        texts.push((f.display().to_string(), text));
    }
    let mut catalog = from_json_files(texts.iter().map(|(p, t)| (p.as_str(), t.as_str())))?;
    catalog.ps_version = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    catalog.normalize();
    Ok(catalog)
}

/// Converts the docs JSON texts (each a list of commands) into one catalog.
pub fn from_json_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Catalog, MetadataError> {
    let mut catalog = Catalog::new(Source::Docs);
    let mut aliases = Vec::new();
    for (path, text) in files {
        let commands: Vec<DocCommand> =
            serde_json::from_str(text).map_err(|source| MetadataError::Json {
                context: path.to_owned(),
                source,
            })?;
        for c in commands {
            for a in &c.command_aliases {
                aliases.push(CommandInfo {
                    name: a.clone(),
                    command_type: "Alias".to_owned(),
                    module: c.module.clone(),
                    module_version: None,
                    help_uri: c.help_uri.clone(),
                    synopsis: c.synopsis.clone(),
                    default_parameter_set: None,
                    output_types: Vec::new(),
                    resolved_command_name: Some(c.name.clone()),
                    supports_common_parameters: c.supports_common_parameters,
                    parameter_sets: Vec::new(),
                });
            }
            let info = convert(c, &mut catalog.types);
            catalog.commands.push(info);
        }
    }
    // Several commands may share an alias name across modules; keep the first, as
    // PowerShell's alias table would.
    for a in aliases {
        if catalog.command(&a.name).is_none() {
            catalog.commands.push(a);
        }
    }
    catalog.normalize();
    Ok(catalog)
}

fn is_enum_candidate(type_name: &str) -> bool {
    let base = type_name.trim_end_matches("[]");
    !matches!(
        base,
        "System.String"
            | "System.Object"
            | "System.Management.Automation.PSObject"
            | "System.Management.Automation.SwitchParameter"
            | "System.Boolean"
    ) && !base.starts_with("System.Nullable")
}

fn convert(c: DocCommand, types: &mut BTreeMap<String, TypeInfo>) -> CommandInfo {
    // Set names in SYNTAX order; parameters may name sets only their YAML lists (README).
    let mut set_names: Vec<String> = Vec::new();
    let add_set = |names: &mut Vec<String>, s: &str| {
        if s != ALL_PARAMETER_SETS && !names.iter().any(|n| n.eq_ignore_ascii_case(s)) {
            names.push(s.to_owned());
        }
    };
    for s in &c.parameter_sets {
        add_set(&mut set_names, s);
    }
    for p in &c.parameters {
        for s in &p.sets {
            add_set(&mut set_names, &s.set);
        }
    }
    if set_names.is_empty() {
        set_names.push(ALL_PARAMETER_SETS.to_owned());
    }
    let default = c.default_parameter_set.as_ref().and_then(|d| {
        set_names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(d))
            .cloned()
    });

    let mut sets: Vec<ParameterSetInfo> = set_names
        .iter()
        .map(|n| ParameterSetInfo {
            name: n.clone(),
            is_default: default.as_deref() == Some(n.as_str())
                || (default.is_none() && set_names.len() == 1),
            parameters: Vec::new(),
        })
        .collect();

    for p in &c.parameters {
        let type_name = p.type_name.as_deref().map(normalize_type_name);
        let is_switch = type_name
            .as_deref()
            .is_some_and(|t| t == "System.Management.Automation.SwitchParameter");
        let mut validate_set = None;
        if !p.accepted_values.is_empty() && !is_switch {
            match type_name.as_deref() {
                // Values of an enum type: record them on the type (the docs don't say whether
                // they come from the enum or from a [ValidateSet]; an enum type is the reading
                // PowerShell would give them).
                Some(t) if is_enum_candidate(t) => {
                    let entry = types
                        .entry(t.trim_end_matches("[]").to_owned())
                        .or_default();
                    let values = entry.enum_values.get_or_insert_with(Vec::new);
                    for v in &p.accepted_values {
                        if !values.iter().any(|x| x.eq_ignore_ascii_case(v)) {
                            values.push(v.clone());
                        }
                    }
                }
                _ => validate_set = Some(p.accepted_values.clone()),
            }
        }
        for s in &p.sets {
            let targets: Vec<usize> = if s.set == ALL_PARAMETER_SETS {
                (0..sets.len()).collect()
            } else {
                sets.iter()
                    .position(|x| x.name.eq_ignore_ascii_case(&s.set))
                    .into_iter()
                    .collect()
            };
            for i in targets {
                let Some(set) = sets.get_mut(i) else { continue };
                if set
                    .parameters
                    .iter()
                    .any(|q| q.name.eq_ignore_ascii_case(&p.name))
                {
                    continue;
                }
                set.parameters.push(ParameterInfo {
                    name: p.name.clone(),
                    type_name: type_name.clone(),
                    is_mandatory: s.mandatory,
                    position: s.position,
                    value_from_pipeline: s.value_from_pipeline,
                    value_from_pipeline_by_property_name: s.value_from_pipeline_by_property_name,
                    value_from_remaining_arguments: s
                        .value_from_remaining_arguments
                        .unwrap_or(false),
                    help_message: None,
                    aliases: p.aliases.clone(),
                    is_dynamic: p.dynamic,
                    is_switch,
                    validate_set: validate_set.clone(),
                    validate_range: None,
                    validate_length: None,
                    validate_count: None,
                    validate_pattern: None,
                });
            }
        }
    }

    CommandInfo {
        name: c.name,
        command_type: "Cmdlet".to_owned(),
        module: c.module,
        module_version: None,
        help_uri: c.help_uri,
        synopsis: c.synopsis,
        default_parameter_set: default,
        output_types: c
            .outputs
            .into_iter()
            .filter(|o| !o.eq_ignore_ascii_case("None"))
            .collect(),
        resolved_command_name: None,
        supports_common_parameters: c.supports_common_parameters,
        parameter_sets: sets,
    }
}

/// Where the shared fixtures live: `$PSREMOTE_SHARED`, else `<workspace>/../shared`.
pub fn shared_dir() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("PSREMOTE_SHARED") {
        let p = std::path::PathBuf::from(p);
        return p.is_dir().then_some(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    p.is_dir().then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"[{"name":"Get-Thing","module":"M","synopsis":"s","help_uri":"u",
      "command_aliases":["gth"],"default_parameter_set":"ByName","parameter_sets":["ByName","ById"],
      "supports_common_parameters":true,
      "parameters":[
        {"name":"Name","type":"System.String[]","aliases":[],"accepted_values":[],"dynamic":false,
         "sets":[{"set":"ByName","mandatory":true,"position":0,"value_from_pipeline":true,
                  "value_from_pipeline_by_property_name":false,"value_from_remaining_arguments":null}]},
        {"name":"Id","type":"Int32","aliases":[],"accepted_values":[],"dynamic":false,
         "sets":[{"set":"ById","mandatory":true,"position":null,"value_from_pipeline":false,
                  "value_from_pipeline_by_property_name":false,"value_from_remaining_arguments":null}]},
        {"name":"Mode","type":"System.IO.FileMode","aliases":[],"accepted_values":["Open","Append"],"dynamic":false,
         "sets":[{"set":"__AllParameterSets","mandatory":false,"position":null,"value_from_pipeline":false,
                  "value_from_pipeline_by_property_name":false,"value_from_remaining_arguments":null}]},
        {"name":"Color","type":"System.String","aliases":[],"accepted_values":["Red","Blue"],"dynamic":false,
         "sets":[{"set":"__AllParameterSets","mandatory":false,"position":null,"value_from_pipeline":false,
                  "value_from_pipeline_by_property_name":false,"value_from_remaining_arguments":null}]}],
      "outputs":["None","System.String"]}]"#;

    #[test]
    fn docs_expand_all_sets_and_split_enums_from_validate_sets() {
        let c = from_json_files([("doc.json", DOC)]).expect("parses");
        assert_eq!(c.commands.len(), 2, "command + alias");
        let alias = c.command("gth").expect("alias");
        assert_eq!(alias.resolved_command_name.as_deref(), Some("Get-Thing"));
        let cmd = c.command("Get-Thing").expect("cmd");
        assert_eq!(cmd.output_types, ["System.String"]);
        assert_eq!(cmd.parameter_sets.len(), 2);
        let by_id = &cmd.parameter_sets[1];
        let names: Vec<_> = by_id.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Id", "Mode", "Color"]);
        assert_eq!(
            by_id.parameters[0].type_name.as_deref(),
            Some("System.Int32")
        );
        assert!(cmd.parameter_sets[0].is_default);
        assert_eq!(
            c.types["System.IO.FileMode"].enum_values.as_deref(),
            Some(&["Open".to_owned(), "Append".to_owned()][..])
        );
        assert_eq!(
            by_id.parameters[2].validate_set.as_deref(),
            Some(&["Red".to_owned(), "Blue".to_owned()][..])
        );
    }
}
