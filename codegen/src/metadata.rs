//! The command metadata model: what a remote session tells us about its commands, and the
//! cache file (`.psremote/NAME.json`) that keeps it so builds need no network.
//!
//! The shapes follow the .NET types the discovery script reads (`CommandInfo`,
//! `CommandParameterSetInfo`, `CommandParameterInfo`), so a catalog from the rich discovery
//! script, from GET_COMMAND_METADATA (MS-PSRP 2.2.3.21–23) or from the cmdlet reference docs
//! all land in the same model; the `source` field says which, and so how many facts it holds.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of the cache file layout. Bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// The first line of the discovery script; the test endpoint recognises it.
pub const DISCOVERY_MARKER: &str = "# psremote-discovery v1";

/// Where a catalog's facts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The rich discovery script (parameter sets, mandatory, validation, output properties).
    #[default]
    Discovery,
    /// GET_COMMAND_METADATA (MS-PSRP 2.2.2.14): names, types, aliases, switches; no sets.
    Protocol,
    /// The published cmdlet reference (tests and the fidelity report).
    Docs,
}

/// The cache file: a whole remote catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub schema_version: u32,
    /// The endpoint the catalog was read from (URI or host), when known.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `$PSVersionTable.PSVersion` of the endpoint, when known.
    #[serde(default)]
    pub ps_version: Option<String>,
    /// The session configuration (e.g. `Microsoft.PowerShell`), when known.
    #[serde(default)]
    pub configuration_name: Option<String>,
    #[serde(default)]
    pub source: Source,
    /// sha256 of the canonical JSON of `common_parameters`, `commands` and `types`:
    /// equal hashes mean the same catalog (drift check).
    #[serde(default)]
    pub catalog_hash: String,
    /// The common parameters (`about_CommonParameters`), modelled once; a command that has
    /// them says so with `supports_common_parameters`.
    #[serde(default = "common_parameters")]
    pub common_parameters: Vec<ParameterInfo>,
    /// Sorted by name (case-insensitively, then ordinal).
    pub commands: Vec<CommandInfo>,
    /// Output and parameter types by full .NET name: properties of classes, values of enums.
    #[serde(default)]
    pub types: BTreeMap<String, TypeInfo>,
}

/// One command (`System.Management.Automation.CommandInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandInfo {
    pub name: String,
    /// `CommandInfo.CommandType` as text: Cmdlet, Function, Alias, Filter, ExternalScript…
    #[serde(default = "cmdlet")]
    pub command_type: String,
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub module_version: Option<String>,
    #[serde(default)]
    pub help_uri: Option<String>,
    #[serde(default)]
    pub synopsis: Option<String>,
    #[serde(default)]
    pub default_parameter_set: Option<String>,
    /// `CommandInfo.OutputType` names, as the server wrote them.
    #[serde(default)]
    pub output_types: Vec<String>,
    /// For aliases: `AliasInfo.ResolvedCommandName`.
    #[serde(default)]
    pub resolved_command_name: Option<String>,
    /// Whether the common parameters apply (an advanced function or a cmdlet).
    #[serde(default = "yes")]
    pub supports_common_parameters: bool,
    /// `CommandInfo.ParameterSets`; each set lists every parameter it accepts (those of
    /// `__AllParameterSets` included), common parameters left out.
    #[serde(default)]
    pub parameter_sets: Vec<ParameterSetInfo>,
}

/// `System.Management.Automation.CommandParameterSetInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSetInfo {
    pub name: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub parameters: Vec<ParameterInfo>,
}

/// `System.Management.Automation.CommandParameterInfo` plus its validation attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterInfo {
    pub name: String,
    /// The full .NET type name (`System.String[]`); `None` when the server did not say.
    #[serde(rename = "type", default)]
    pub type_name: Option<String>,
    #[serde(default)]
    pub is_mandatory: bool,
    /// `Position`; `None` for named-only (the .NET value is `int.MinValue`).
    #[serde(default)]
    pub position: Option<i32>,
    #[serde(default)]
    pub value_from_pipeline: bool,
    #[serde(default)]
    pub value_from_pipeline_by_property_name: bool,
    #[serde(default)]
    pub value_from_remaining_arguments: bool,
    #[serde(default)]
    pub help_message: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub is_dynamic: bool,
    #[serde(default)]
    pub is_switch: bool,
    /// `[ValidateSet]` values.
    #[serde(default)]
    pub validate_set: Option<Vec<String>>,
    /// `[ValidateRange]`: bounds as JSON numbers (or strings for non-numeric ranges).
    #[serde(default)]
    pub validate_range: Option<Range>,
    /// `[ValidateLength]`
    #[serde(default)]
    pub validate_length: Option<Bounds>,
    /// `[ValidateCount]`
    #[serde(default)]
    pub validate_count: Option<Bounds>,
    /// `[ValidatePattern]` regular expression text.
    #[serde(default)]
    pub validate_pattern: Option<String>,
}

/// `[ValidateRange(min, max)]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub min: serde_json::Value,
    pub max: serde_json::Value,
}

/// `[ValidateLength(min, max)]` / `[ValidateCount(min, max)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    pub min: i64,
    pub max: i64,
}

/// A .NET type the catalog describes: a class with public properties, or an enum.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TypeInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<PropertyInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<String>>,
    /// `[Flags]` enums take several values, written `"A, B"`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub flags: bool,
}

/// A public property of an output type (`PropertyInfo.Name`, `PropertyInfo.PropertyType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

/// One line of the discovery script's output (MS-PSRP PIPELINE_OUTPUT `<S>` values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DiscoveryRecord {
    Command(Box<CommandInfo>),
    Types { types: BTreeMap<String, TypeInfo> },
}

/// Errors reading or writing metadata.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: invalid metadata JSON: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path}: cache schema version {found}, this psremote reads version {expected}; refresh it with `psremote metadata`"
    )]
    Schema {
        path: String,
        found: u32,
        expected: u32,
    },
    #[error("{context}: {message}")]
    Invalid { context: String, message: String },
}

fn cmdlet() -> String {
    "Cmdlet".to_owned()
}
fn yes() -> bool {
    true
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// The common parameters of PowerShell 5.1 and 7.x (`about_CommonParameters`), in the order
/// the docs list them. `ProgressAction` exists from 7.4 on; sending it to 5.1 fails there, so
/// generated stubs offer it but never send it unless asked.
pub fn common_parameters() -> Vec<ParameterInfo> {
    const ACTION: &str = "System.Management.Automation.ActionPreference";
    let p = |name: &str, ty: &str, switch: bool, aliases: &[&str]| ParameterInfo {
        is_switch: switch,
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        ..ParameterInfo::new(name, ty)
    };
    vec![
        p(
            "Verbose",
            "System.Management.Automation.SwitchParameter",
            true,
            &["vb"],
        ),
        p(
            "Debug",
            "System.Management.Automation.SwitchParameter",
            true,
            &["db"],
        ),
        p("ErrorAction", ACTION, false, &["ea"]),
        p("WarningAction", ACTION, false, &["wa"]),
        p("InformationAction", ACTION, false, &["infa"]),
        p("ProgressAction", ACTION, false, &["proga"]),
        p("ErrorVariable", "System.String", false, &["ev"]),
        p("WarningVariable", "System.String", false, &["wv"]),
        p("InformationVariable", "System.String", false, &["iv"]),
        p("OutVariable", "System.String", false, &["ov"]),
        p("OutBuffer", "System.Int32", false, &["ob"]),
        p("PipelineVariable", "System.String", false, &["pv"]),
    ]
}

/// Names of the common parameters, for stripping them from server replies.
pub fn is_common_parameter(name: &str) -> bool {
    const NAMES: [&str; 12] = [
        "Verbose",
        "Debug",
        "ErrorAction",
        "WarningAction",
        "InformationAction",
        "ProgressAction",
        "ErrorVariable",
        "WarningVariable",
        "InformationVariable",
        "OutVariable",
        "OutBuffer",
        "PipelineVariable",
    ];
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The enum values of `System.Management.Automation.ActionPreference` (the type of
/// -ErrorAction and friends), in declaration order.
pub const ACTION_PREFERENCE_VALUES: [&str; 7] = [
    "SilentlyContinue",
    "Stop",
    "Continue",
    "Inquire",
    "Ignore",
    "Suspend",
    "Break",
];

impl ParameterInfo {
    /// A named, optional parameter of the given type, no validation.
    pub fn new(name: &str, type_name: &str) -> ParameterInfo {
        ParameterInfo {
            name: name.to_owned(),
            type_name: Some(type_name.to_owned()),
            is_mandatory: false,
            position: None,
            value_from_pipeline: false,
            value_from_pipeline_by_property_name: false,
            value_from_remaining_arguments: false,
            help_message: None,
            aliases: Vec::new(),
            is_dynamic: false,
            is_switch: type_name.ends_with("SwitchParameter"),
            validate_set: None,
            validate_range: None,
            validate_length: None,
            validate_count: None,
            validate_pattern: None,
        }
    }
}

impl CommandInfo {
    /// The set PowerShell binds when nothing selects another: the declared default, else the
    /// set marked `is_default`, else the first.
    pub fn default_set(&self) -> Option<&ParameterSetInfo> {
        if let Some(name) = &self.default_parameter_set
            && let Some(s) = self
                .parameter_sets
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
        {
            return Some(s);
        }
        self.parameter_sets
            .iter()
            .find(|s| s.is_default)
            .or_else(|| self.parameter_sets.first())
    }

    /// Whether this is an alias (`CommandTypes.Alias`).
    pub fn is_alias(&self) -> bool {
        self.command_type.eq_ignore_ascii_case("Alias")
    }
}

/// Sort key for commands: case-insensitive name, then ordinal (PowerShell names are
/// case-insensitive; the ordinal tie-break keeps the order total).
fn command_order(a: &CommandInfo, b: &CommandInfo) -> std::cmp::Ordering {
    a.name
        .to_ascii_lowercase()
        .cmp(&b.name.to_ascii_lowercase())
        .then_with(|| a.name.cmp(&b.name))
}

impl Catalog {
    /// An empty catalog from the given source.
    pub fn new(source: Source) -> Catalog {
        Catalog {
            schema_version: SCHEMA_VERSION,
            endpoint: None,
            ps_version: None,
            configuration_name: None,
            source,
            catalog_hash: String::new(),
            common_parameters: common_parameters(),
            commands: Vec::new(),
            types: BTreeMap::new(),
        }
    }

    /// Sorts the commands and recomputes `catalog_hash`. Call after any change.
    pub fn normalize(&mut self) {
        self.commands.sort_by(command_order);
        self.catalog_hash = self.compute_hash();
    }

    /// sha256 (hex) of the canonical JSON of the catalog's content (not of its header):
    /// two endpoints with the same commands give the same hash.
    pub fn compute_hash(&self) -> String {
        #[derive(Serialize)]
        struct Content<'a> {
            common_parameters: &'a [ParameterInfo],
            commands: &'a [CommandInfo],
            types: &'a BTreeMap<String, TypeInfo>,
        }
        let content = Content {
            common_parameters: &self.common_parameters,
            commands: &self.commands,
            types: &self.types,
        };
        let text = canonical_json(&content, false);
        let digest = Sha256::digest(text.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Finds a command by name, ignoring case.
    pub fn command(&self, name: &str) -> Option<&CommandInfo> {
        self.commands
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The cache file text: pretty JSON, keys sorted, commands sorted, trailing newline.
    pub fn to_json(&self) -> String {
        let mut c = self.clone();
        c.normalize();
        let mut s = canonical_json(&c, true);
        s.push('\n');
        s
    }

    /// Parses a cache file's text, checking the schema version.
    pub fn from_json(text: &str, context: &str) -> Result<Catalog, MetadataError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|source| MetadataError::Json {
                context: context.to_owned(),
                source,
            })?;
        Catalog::from_value(value, context)
    }

    /// A catalog from parsed JSON, with the same schema-version check as [`Catalog::from_json`].
    pub fn from_value(value: serde_json::Value, context: &str) -> Result<Catalog, MetadataError> {
        let found = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if found != u64::from(SCHEMA_VERSION) {
            return Err(MetadataError::Schema {
                path: context.to_owned(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
                expected: SCHEMA_VERSION,
            });
        }
        serde_json::from_value(value).map_err(|source| MetadataError::Json {
            context: context.to_owned(),
            source,
        })
    }

    /// Reads a cache file.
    pub fn read(path: &Path) -> Result<Catalog, MetadataError> {
        let text = std::fs::read_to_string(path).map_err(|source| MetadataError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Catalog::from_json(&text, &path.display().to_string())
    }

    /// Writes the cache file atomically: a temporary file in the same directory, flushed,
    /// then renamed over the target, so a reader never sees half a file.
    pub fn write(&self, path: &Path) -> Result<(), MetadataError> {
        let io = |source| MetadataError::Io {
            path: path.display().to_string(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "catalog.json".to_owned());
        // Unique per process and per write, so concurrent writers never share a temp file.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{file_name}.tmp{}.{n}", std::process::id()));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.to_json().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(io)
    }

    /// Builds a catalog from the discovery script's output: one JSON string per command and
    /// a final `{"kind":"types",…}` string.
    pub fn from_discovery<I, S>(lines: I) -> Result<Catalog, MetadataError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut catalog = Catalog::new(Source::Discovery);
        for (i, line) in lines.into_iter().enumerate() {
            let line = line.as_ref().trim();
            if line.is_empty() {
                continue;
            }
            let record: DiscoveryRecord =
                serde_json::from_str(line).map_err(|source| MetadataError::Json {
                    context: format!("discovery output #{}", i + 1),
                    source,
                })?;
            match record {
                DiscoveryRecord::Command(c) => {
                    let mut c = *c;
                    for set in &mut c.parameter_sets {
                        set.parameters.retain(|p| !is_common_parameter(&p.name));
                    }
                    catalog.commands.push(c);
                }
                DiscoveryRecord::Types { types } => catalog.types.extend(types),
            }
        }
        catalog.normalize();
        Ok(catalog)
    }
}

/// Serializes with object keys sorted at every level, whatever serde_json's map features.
pub fn canonical_json<T: Serialize>(value: &T, pretty: bool) -> String {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let sorted: BTreeMap<String, serde_json::Value> =
                    m.into_iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::Value::Object(sorted.into_iter().collect())
            }
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    let v = match serde_json::to_value(value) {
        Ok(v) => sort(v),
        // Our types are plain data with string keys: serialization cannot fail.
        Err(_) => serde_json::Value::Null,
    };
    let out = if pretty {
        serde_json::to_string_pretty(&v)
    } else {
        serde_json::to_string(&v)
    };
    out.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET_SERVICE: &str = r#"{"kind":"command","name":"Get-Service","command_type":"Cmdlet","module":"Microsoft.PowerShell.Management","module_version":"3.1.0.0","help_uri":"https://go.microsoft.com/fwlink/?LinkID=113332","synopsis":"Gets the services.","default_parameter_set":"Default","output_types":["System.ServiceProcess.ServiceController"],"resolved_command_name":null,"parameter_sets":[{"name":"Default","is_default":true,"parameters":[{"name":"Name","type":"System.String[]","is_mandatory":false,"position":0,"value_from_pipeline":true,"value_from_pipeline_by_property_name":true,"value_from_remaining_arguments":false,"help_message":null,"aliases":["ServiceName"],"is_dynamic":false,"is_switch":false,"validate_set":null,"validate_range":{"min":1,"max":10},"validate_length":{"min":1,"max":5},"validate_count":null,"validate_pattern":"^a"}]}]}"#;
    const TYPES: &str = r#"{"kind":"types","types":{"System.ServiceProcess.ServiceController":{"properties":[{"name":"Status","type":"System.ServiceProcess.ServiceControllerStatus"}]},"System.ServiceProcess.ServiceControllerStatus":{"enum_values":["Stopped","Running"],"flags":false}}}"#;

    #[test]
    fn discovery_lines_become_a_catalog() {
        let c = Catalog::from_discovery([GET_SERVICE, TYPES]).expect("parses");
        assert_eq!(c.source, Source::Discovery);
        assert_eq!(c.commands.len(), 1);
        let p = &c.commands[0].parameter_sets[0].parameters[0];
        assert_eq!(p.type_name.as_deref(), Some("System.String[]"));
        assert_eq!(p.position, Some(0));
        assert_eq!(p.aliases, ["ServiceName"]);
        assert_eq!(p.validate_length, Some(Bounds { min: 1, max: 5 }));
        assert_eq!(
            c.types["System.ServiceProcess.ServiceControllerStatus"].enum_values,
            Some(vec!["Stopped".to_owned(), "Running".to_owned()])
        );
        assert_eq!(c.catalog_hash.len(), 64);
    }

    #[test]
    fn bad_discovery_line_is_an_error_naming_the_line() {
        let e = Catalog::from_discovery([GET_SERVICE, "{\"kind\":\"command\"}"])
            .expect_err("missing name");
        assert!(e.to_string().contains("#2"), "{e}");
    }

    #[test]
    fn cache_round_trips_with_sorted_keys_and_stable_hash() {
        let c = Catalog::from_discovery([TYPES, GET_SERVICE]).expect("parses");
        let text = c.to_json();
        let back = Catalog::from_json(&text, "mem").expect("reads");
        assert_eq!(back, c);
        assert_eq!(back.to_json(), text);
        // keys sorted at top level
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
            .map(|l| l.trim().split('"').nth(1).unwrap_or(""))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        // the hash ignores the header but not the content
        let mut other = c.clone();
        other.endpoint = Some("elsewhere".into());
        assert_eq!(other.compute_hash(), c.catalog_hash);
        other.commands[0].parameter_sets[0].parameters[0].is_mandatory = true;
        assert_ne!(other.compute_hash(), c.catalog_hash);
    }

    #[test]
    fn wrong_schema_version_is_refused() {
        let e = Catalog::from_json(r#"{"schema_version": 99, "commands": []}"#, "x.json")
            .expect_err("refused");
        assert!(matches!(e, MetadataError::Schema { found: 99, .. }));
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/cat.json");
        let c = Catalog::from_discovery([GET_SERVICE, TYPES]).expect("parses");
        c.write(&path).expect("writes");
        c.write(&path).expect("overwrites");
        assert_eq!(Catalog::read(&path).expect("reads"), c);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
