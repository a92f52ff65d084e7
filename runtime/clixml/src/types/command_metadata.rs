//! The GET_COMMAND_METADATA reply (MS-PSRP 2.2.3.21-2.2.3.23): CommandMetadataCount, then one
//! CommandMetadata per command, each with ParameterMetadata by name.

use std::fmt;
use std::sync::Arc;

use super::{
    base, changed, enum_int, enum_value, object, opt, opt_string, put, string, typed_list,
};
use crate::convert::{FromValue, ToValue, type_error};
use crate::error::ConversionError;
use crate::value::{ObjContent, PsObject, Value};

/// `System.Management.Automation.CommandTypes` (a flags enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommandTypes(pub i32);

const COMMAND_TYPE_FLAGS: [(i32, &str); 9] = [
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

impl CommandTypes {
    pub const ALIAS: CommandTypes = CommandTypes(1);
    pub const FUNCTION: CommandTypes = CommandTypes(2);
    pub const FILTER: CommandTypes = CommandTypes(4);
    pub const CMDLET: CommandTypes = CommandTypes(8);
    pub const EXTERNAL_SCRIPT: CommandTypes = CommandTypes(16);
    pub const APPLICATION: CommandTypes = CommandTypes(32);
    pub const SCRIPT: CommandTypes = CommandTypes(64);
    pub const WORKFLOW: CommandTypes = CommandTypes(128);
    pub const CONFIGURATION: CommandTypes = CommandTypes(256);
    /// Every type (the value GET_COMMAND_METADATA requests use: 511).
    pub const ALL: CommandTypes = CommandTypes(511);

    pub fn contains(self, other: CommandTypes) -> bool {
        self.0 & other.0 == other.0
    }
}

impl fmt::Display for CommandTypes {
    /// As .NET formats a flags enum: `Cmdlet`, `Alias, Function`, `All`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 511 {
            return f.write_str("All");
        }
        if self.0 == 0 {
            return f.write_str("0");
        }
        let known: i32 = COMMAND_TYPE_FLAGS.iter().map(|(v, _)| v).sum();
        if self.0 & !known != 0 {
            return write!(f, "{}", self.0);
        }
        let mut first = true;
        for (v, name) in COMMAND_TYPE_FLAGS {
            if self.0 & v != 0 {
                if !first {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

const PSCUSTOMOBJECT: &str = "System.Management.Automation.PSCustomObject";

/// The first reply object: how many CommandMetadata follow (MS-PSRP 2.2.3.21).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandMetadataCount {
    pub count: i32,
    /// The object as received (see the [module docs](super)).
    pub raw: Option<Arc<PsObject>>,
}

impl CommandMetadataCount {
    pub fn new(count: i32) -> Self {
        CommandMetadataCount { count, raw: None }
    }
}

impl FromValue for CommandMetadataCount {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let o = object(v, "CommandMetadataCount <Obj>")?;
        Ok(CommandMetadataCount {
            count: crate::convert::get_property(o, "Count")?,
            raw: Some(Arc::clone(o)),
        })
    }
}

impl ToValue for CommandMetadataCount {
    fn to_value(&self) -> Value {
        let mut o = base(
            &self.raw,
            Some(&[
                "Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo",
                PSCUSTOMOBJECT,
                "System.Object",
            ]),
        );
        put(&mut o.extended, "Count", Value::I32(self.count));
        match &self.raw {
            Some(raw) if **raw == o => Value::Object(Arc::clone(raw)),
            _ => Value::object(o),
        }
    }
}

/// One parameter of a [`CommandMetadata`] (MS-PSRP 2.2.3.23).
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterMetadata {
    pub name: String,
    /// The .NET type name (`System.String[]`, `System.Management.Automation.SwitchParameter`).
    pub parameter_type: String,
    pub aliases: Vec<String>,
    pub is_dynamic: bool,
    pub switch_parameter: bool,
    /// The object as received (see the [module docs](super)).
    pub raw: Option<Arc<PsObject>>,
}

impl ParameterMetadata {
    pub fn new(name: impl Into<String>, parameter_type: impl Into<String>) -> Self {
        let parameter_type = parameter_type.into();
        ParameterMetadata {
            name: name.into(),
            switch_parameter: parameter_type == "System.Management.Automation.SwitchParameter",
            parameter_type,
            aliases: Vec::new(),
            is_dynamic: false,
            raw: None,
        }
    }

    fn same_fields(&self, other: &Self) -> bool {
        ParameterMetadata {
            raw: None,
            ..self.clone()
        } == ParameterMetadata {
            raw: None,
            ..other.clone()
        }
    }
}

impl FromValue for ParameterMetadata {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let o = object(v, "ParameterMetadata <Obj>")?;
        Ok(ParameterMetadata {
            name: string(o, "Name")?,
            parameter_type: string(o, "ParameterType")?,
            aliases: opt::<Vec<String>>(o, "Aliases")?.unwrap_or_default(),
            is_dynamic: opt(o, "IsDynamic")?.unwrap_or(false),
            switch_parameter: opt(o, "SwitchParameter")?.unwrap_or(false),
            raw: Some(Arc::clone(o)),
        })
    }
}

impl ToValue for ParameterMetadata {
    fn to_value(&self) -> Value {
        let prev = self
            .raw
            .as_ref()
            .and_then(|raw| ParameterMetadata::from_value(&Value::Object(Arc::clone(raw))).ok());
        if let (Some(raw), Some(p)) = (&self.raw, &prev)
            && p.same_fields(self)
        {
            return Value::Object(Arc::clone(raw));
        }
        let mut o = base(
            &self.raw,
            Some(&[
                "System.Management.Automation.ParameterMetadata",
                "System.Object",
            ]),
        );
        if o.to_string.is_none() {
            o.to_string = Some("System.Management.Automation.ParameterMetadata".into());
        }
        // Windows sends these as adapted properties; keep whichever list holds them.
        let props = if o.adapted.is_empty() && !o.extended.is_empty() {
            &mut o.extended
        } else {
            &mut o.adapted
        };
        if changed(&prev, |r| &r.name, &self.name) {
            put(props, "Name", Value::String(self.name.clone()));
        }
        if changed(&prev, |r| &r.parameter_type, &self.parameter_type) {
            put(
                props,
                "ParameterType",
                Value::String(self.parameter_type.clone()),
            );
        }
        if changed(&prev, |r| &r.aliases, &self.aliases) {
            put(
                props,
                "Aliases",
                typed_list(
                    &[
                        "System.Collections.ObjectModel.Collection`1[[System.String]]",
                        "System.Object",
                    ],
                    self.aliases
                        .iter()
                        .map(|a| Value::String(a.clone()))
                        .collect(),
                ),
            );
        }
        if changed(&prev, |r| &r.is_dynamic, &self.is_dynamic) {
            put(props, "IsDynamic", Value::Bool(self.is_dynamic));
        }
        if changed(&prev, |r| &r.switch_parameter, &self.switch_parameter) {
            put(props, "SwitchParameter", Value::Bool(self.switch_parameter));
        }
        Value::object(o)
    }
}

/// One command of the reply (MS-PSRP 2.2.3.22).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandMetadata {
    pub name: String,
    /// The module (`Microsoft.PowerShell.Core`).
    pub namespace: String,
    pub help_uri: Option<String>,
    pub command_type: CommandTypes,
    /// For aliases: the command they resolve to.
    pub resolved_command_name: Option<String>,
    /// Output type names.
    pub output_type: Vec<String>,
    /// Parameters in wire order.
    pub parameters: Vec<(String, ParameterMetadata)>,
    /// The object as received (see the [module docs](super)).
    pub raw: Option<Arc<PsObject>>,
}

impl CommandMetadata {
    pub fn new(
        name: impl Into<String>,
        namespace: impl Into<String>,
        command_type: CommandTypes,
    ) -> Self {
        CommandMetadata {
            name: name.into(),
            namespace: namespace.into(),
            help_uri: None,
            command_type,
            resolved_command_name: None,
            output_type: Vec::new(),
            parameters: Vec::new(),
            raw: None,
        }
    }

    /// A parameter by name (ASCII case-insensitive).
    pub fn parameter(&self, name: &str) -> Option<&ParameterMetadata> {
        self.parameters
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, p)| p)
    }

    fn same_fields(&self, other: &Self) -> bool {
        let strip = |c: &Self| CommandMetadata {
            raw: None,
            parameters: c
                .parameters
                .iter()
                .map(|(n, p)| {
                    (
                        n.clone(),
                        ParameterMetadata {
                            raw: None,
                            ..p.clone()
                        },
                    )
                })
                .collect(),
            ..c.clone()
        };
        strip(self) == strip(other)
    }

    /// `Selected.System.Management.Automation.CmdletInfo` and friends, by command type.
    fn info_type_name(&self) -> &'static str {
        match self.command_type {
            CommandTypes::ALIAS => "Selected.System.Management.Automation.AliasInfo",
            CommandTypes::FUNCTION | CommandTypes::FILTER => {
                "Selected.System.Management.Automation.FunctionInfo"
            }
            CommandTypes::EXTERNAL_SCRIPT => {
                "Selected.System.Management.Automation.ExternalScriptInfo"
            }
            CommandTypes::APPLICATION => "Selected.System.Management.Automation.ApplicationInfo",
            _ => "Selected.System.Management.Automation.CmdletInfo",
        }
    }
}

impl FromValue for CommandMetadata {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let o = object(v, "CommandMetadata <Obj>")?;
        let parameters = match o.get("Parameters") {
            None | Some(Value::Null) => Vec::new(),
            Some(p @ Value::Object(po)) => match &po.content {
                ObjContent::Dict(entries) => entries
                    .iter()
                    .map(|(k, v)| {
                        let name = String::from_value(k).map_err(|e| e.at("Parameters"))?;
                        let meta = ParameterMetadata::from_value(v)
                            .map_err(|e| e.at(format!("Parameters.{name}")))?;
                        Ok((name, meta))
                    })
                    .collect::<Result<Vec<_>, ConversionError>>()?,
                _ => return Err(type_error("<DCT>", p).at("Parameters")),
            },
            Some(other) => return Err(type_error("<DCT>", other).at("Parameters")),
        };
        Ok(CommandMetadata {
            name: string(o, "Name")?,
            namespace: string(o, "Namespace")?,
            help_uri: opt(o, "HelpUri")?,
            command_type: CommandTypes(enum_int(o, "CommandType")?.unwrap_or(0)),
            resolved_command_name: opt(o, "ResolvedCommandName")?,
            output_type: opt::<Vec<String>>(o, "OutputType")?.unwrap_or_default(),
            parameters,
            raw: Some(Arc::clone(o)),
        })
    }
}

impl ToValue for CommandMetadata {
    fn to_value(&self) -> Value {
        let prev = self
            .raw
            .as_ref()
            .and_then(|raw| CommandMetadata::from_value(&Value::Object(Arc::clone(raw))).ok());
        if let (Some(raw), Some(p)) = (&self.raw, &prev)
            && p.same_fields(self)
        {
            return Value::Object(Arc::clone(raw));
        }
        let mut o = base(
            &self.raw,
            Some(&[self.info_type_name(), PSCUSTOMOBJECT, "System.Object"]),
        );
        let ms = &mut o.extended;
        if changed(&prev, |r| &r.name, &self.name) {
            put(ms, "Name", Value::String(self.name.clone()));
        }
        if changed(&prev, |r| &r.namespace, &self.namespace) {
            put(ms, "Namespace", Value::String(self.namespace.clone()));
        }
        if changed(&prev, |r| &r.help_uri, &self.help_uri) {
            put(ms, "HelpUri", opt_string(&self.help_uri));
        }
        if changed(&prev, |r| &r.command_type, &self.command_type) {
            put(
                ms,
                "CommandType",
                enum_value(
                    "System.Management.Automation.CommandTypes",
                    self.command_type.to_string(),
                    self.command_type.0,
                ),
            );
        }
        if changed(
            &prev,
            |r| &r.resolved_command_name,
            &self.resolved_command_name,
        ) {
            put(
                ms,
                "ResolvedCommandName",
                opt_string(&self.resolved_command_name),
            );
        }
        if changed(&prev, |r| &r.output_type, &self.output_type) {
            put(
                ms,
                "OutputType",
                typed_list(
                    &[
                        "System.Collections.ObjectModel.ReadOnlyCollection`1[[System.Management.Automation.PSTypeName]]",
                        "System.Object",
                    ],
                    self.output_type
                        .iter()
                        .map(|t| Value::String(t.clone()))
                        .collect(),
                ),
            );
        }
        let params_changed = prev.as_ref().is_none_or(|p| {
            p.parameters.len() != self.parameters.len()
                || p.parameters
                    .iter()
                    .zip(&self.parameters)
                    .any(|((an, a), (bn, b))| an != bn || !a.same_fields(b))
        });
        if params_changed {
            let entries = self
                .parameters
                .iter()
                .map(|(n, p)| (Value::String(n.clone()), p.to_value()))
                .collect();
            put(
                ms,
                "Parameters",
                Value::object(
                    PsObject::with_type_names([
                        "System.Collections.Generic.Dictionary`2[[System.String],[System.Management.Automation.ParameterMetadata]]",
                        "System.Object",
                    ])
                    .with_content(ObjContent::Dict(entries)),
                ),
            );
        }
        Value::object(o)
    }
}
