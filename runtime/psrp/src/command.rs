//! What a pipeline runs: `Command` (MS-PSRP 2.2.3.12) and `PowerShell` (2.2.3.11), with the
//! builder API generated stubs and the session use.

use psremote_clixml::{ListKind, ToValue, Value};

use crate::error::Error;
use crate::obj::{PSOBJECT_LIST_TYPE, Reader, as_i32, as_list, enum_value, list_value, ms_object};
use crate::types::ProtocolVersion;

/// PipelineResultTypes (the Merge* fields of MS-PSRP 2.2.3.12): which stream a command's
/// results are merged from or into. A .NET flags enum on the wire (integer + ToString); only
/// a few values are meaningful for merging, so it is kept as the integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PipelineResultTypes(pub i32);

impl PipelineResultTypes {
    pub const NONE: Self = Self(0);
    pub const OUTPUT: Self = Self(1);
    pub const ERROR: Self = Self(2);
    /// `Output, Error`: what MergePreviousResults carries when the previous errors are merged.
    /// (3 is also the value of the unused `Warning` member.)
    pub const OUTPUT_AND_ERROR: Self = Self(3);
    pub const VERBOSE: Self = Self(4);
    pub const DEBUG: Self = Self(5);
    pub const INFORMATION: Self = Self(6);
    pub const ALL: Self = Self(7);
    pub const NULL: Self = Self(8);

    const TYPE_NAME: &'static str = "System.Management.Automation.Runspaces.PipelineResultTypes";

    pub(crate) fn label(self) -> String {
        match self.0 {
            0 => "None".into(),
            1 => "Output".into(),
            2 => "Error".into(),
            3 => "Output, Error".into(),
            4 => "Verbose".into(),
            5 => "Debug".into(),
            6 => "Information".into(),
            7 => "All".into(),
            8 => "Null".into(),
            n => n.to_string(),
        }
    }

    pub(crate) fn to_value(self) -> Value {
        enum_value(Self::TYPE_NAME, &self.label(), self.0)
    }

    pub(crate) fn from_value(v: &Value) -> Option<Self> {
        as_i32(v).map(Self)
    }
}

/// One argument of a command (an element of `Args`, MS-PSRP 2.2.3.12): a named parameter
/// (`-Name value`), a switch (`-Force`, value `true`), or a positional value (name `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    pub name: Option<String>,
    pub value: Value,
}

/// A command of a pipeline (MS-PSRP 2.2.3.12): a cmdlet/function name, or script text.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// `Cmd`: the command name, or the script text when `is_script`.
    pub name: String,
    pub is_script: bool,
    /// `UseLocalScope`; `None` is sent as `<Nil/>` (the server's default).
    pub use_local_scope: Option<bool>,
    pub parameters: Vec<Argument>,
    /// `MergeMyResult` / `MergeToResult`: the protocol 2.1 way to merge errors into output.
    pub merge_my_result: PipelineResultTypes,
    pub merge_to_result: PipelineResultTypes,
    /// `MergePreviousResults`: merge the previous command's error stream into this one's input.
    pub merge_previous_results: PipelineResultTypes,
    /// Protocol 2.2+: per-stream redirection (None or Output).
    pub merge_error: PipelineResultTypes,
    pub merge_warning: PipelineResultTypes,
    pub merge_verbose: PipelineResultTypes,
    pub merge_debug: PipelineResultTypes,
    /// Protocol 2.3+.
    pub merge_information: PipelineResultTypes,
}

impl Command {
    /// A cmdlet, function, alias or application by name.
    pub fn new(name: impl Into<String>) -> Command {
        Command {
            name: name.into(),
            is_script: false,
            use_local_scope: None,
            parameters: Vec::new(),
            merge_my_result: PipelineResultTypes::NONE,
            merge_to_result: PipelineResultTypes::NONE,
            merge_previous_results: PipelineResultTypes::NONE,
            merge_error: PipelineResultTypes::NONE,
            merge_warning: PipelineResultTypes::NONE,
            merge_verbose: PipelineResultTypes::NONE,
            merge_debug: PipelineResultTypes::NONE,
            merge_information: PipelineResultTypes::NONE,
        }
    }

    /// Script text (a script block's body); refused by NoLanguage endpoints.
    pub fn script(text: impl Into<String>) -> Command {
        Command {
            is_script: true,
            ..Command::new(text)
        }
    }

    /// A named parameter, `-name value`.
    pub fn param(mut self, name: impl Into<String>, value: impl ToValue) -> Command {
        self.parameters.push(Argument {
            name: Some(name.into()),
            value: value.to_value(),
        });
        self
    }

    /// A switch parameter, `-name` (sent with the value `true`, as PSCommand.AddParameter does).
    pub fn switch(self, name: impl Into<String>) -> Command {
        self.param(name, Value::Bool(true))
    }

    /// A positional argument.
    pub fn arg(mut self, value: impl ToValue) -> Command {
        self.parameters.push(Argument {
            name: None,
            value: value.to_value(),
        });
        self
    }

    /// Runs the command in the caller's scope (`. cmd` rather than `& cmd`).
    pub fn use_local_scope(mut self, local: bool) -> Command {
        self.use_local_scope = Some(local);
        self
    }

    /// Merges this command's error stream into its output (`2>&1`).
    pub fn merge_error_to_output(mut self) -> Command {
        self.merge_my_result = PipelineResultTypes::ERROR;
        self.merge_to_result = PipelineResultTypes::OUTPUT;
        self.merge_error = PipelineResultTypes::OUTPUT;
        self
    }

    /// Merges every record stream into output (`*>&1`).
    pub fn merge_all_to_output(mut self) -> Command {
        self = self.merge_error_to_output();
        self.merge_warning = PipelineResultTypes::OUTPUT;
        self.merge_verbose = PipelineResultTypes::OUTPUT;
        self.merge_debug = PipelineResultTypes::OUTPUT;
        self.merge_information = PipelineResultTypes::OUTPUT;
        self
    }

    /// Merges the previous command's errors into this command's input.
    pub fn merge_previous_results(mut self) -> Command {
        self.merge_previous_results = PipelineResultTypes::OUTPUT_AND_ERROR;
        self
    }

    /// The `Command` object of MS-PSRP 2.2.3.12, with the merge fields the protocol version
    /// has (MergeError… from 2.2, MergeInformation from 2.3).
    pub fn to_value(&self, version: ProtocolVersion) -> Value {
        let args: Vec<Value> = self
            .parameters
            .iter()
            .map(|a| {
                ms_object(vec![
                    ("N", a.name.clone().map_or(Value::Null, Value::String)),
                    ("V", a.value.clone()),
                ])
            })
            .collect();
        let mut props = vec![
            ("Cmd", Value::String(self.name.clone())),
            ("IsScript", Value::Bool(self.is_script)),
            (
                "UseLocalScope",
                self.use_local_scope.map_or(Value::Null, Value::Bool),
            ),
            ("MergeMyResult", self.merge_my_result.to_value()),
            ("MergeToResult", self.merge_to_result.to_value()),
            (
                "MergePreviousResults",
                self.merge_previous_results.to_value(),
            ),
            (
                "Args",
                list_value(&PSOBJECT_LIST_TYPE, ListKind::List, args),
            ),
        ];
        if version >= ProtocolVersion::V2_2 {
            props.push(("MergeError", self.merge_error.to_value()));
            props.push(("MergeWarning", self.merge_warning.to_value()));
            props.push(("MergeVerbose", self.merge_verbose.to_value()));
            props.push(("MergeDebug", self.merge_debug.to_value()));
        }
        if version >= ProtocolVersion::V2_3 {
            props.push(("MergeInformation", self.merge_information.to_value()));
        }
        ms_object(props)
    }

    /// Reads a `Command` object (MS-PSRP 2.2.3.12).
    pub fn from_value(v: &Value) -> Result<Command, Error> {
        let r = Reader::new(v, "Command")?;
        let merge = |name: &'static str| -> Result<PipelineResultTypes, Error> {
            match r.some(name) {
                None => Ok(PipelineResultTypes::NONE),
                Some(v) => PipelineResultTypes::from_value(v).ok_or_else(|| r.bad(name, "an enum")),
            }
        };
        let mut parameters = Vec::new();
        if let Some(args) = r.some("Args") {
            let items = as_list(args).ok_or_else(|| r.bad("Args", "a list"))?;
            for item in items {
                let a = Reader::new(item, "Command argument")?;
                parameters.push(Argument {
                    name: a.opt_string("N")?,
                    value: a.opt("V").cloned().unwrap_or(Value::Null),
                });
            }
        }
        Ok(Command {
            name: r.string("Cmd")?,
            is_script: r.bool("IsScript")?,
            use_local_scope: r.opt_bool("UseLocalScope")?,
            parameters,
            merge_my_result: merge("MergeMyResult")?,
            merge_to_result: merge("MergeToResult")?,
            merge_previous_results: merge("MergePreviousResults")?,
            merge_error: merge("MergeError")?,
            merge_warning: merge("MergeWarning")?,
            merge_verbose: merge("MergeVerbose")?,
            merge_debug: merge("MergeDebug")?,
            merge_information: merge("MergeInformation")?,
        })
    }
}

/// A pipeline of commands to run, the `PowerShell` object of MS-PSRP 2.2.3.11.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerShell {
    /// The commands of the (first) statement, piped into each other.
    pub commands: Vec<Command>,
    /// Further statements (`PowerShell.AddStatement`), sent in `ExtraCmds`.
    pub extra_statements: Vec<Vec<Command>>,
    /// Nested pipeline (runs inside a running one, e.g. from a host call).
    pub is_nested: bool,
    /// Adds the command line to the remote history (CREATE_PIPELINE `AddToHistory`).
    pub add_to_history: bool,
    /// `History`: the text to record in history, if any.
    pub history: Option<String>,
    /// `RedirectShellErrorOutputPipe`.
    pub redirect_shell_error_output_pipe: bool,
    /// How `ExtraCmds` is sent for a single statement; set when decoding so that a pipeline
    /// re-encodes as it came.
    pub extra_cmds: ExtraCmdsMode,
}

/// How a `PowerShell` with a single statement carries `ExtraCmds` (with several statements
/// it is always the list of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExtraCmdsMode {
    /// Left out, as PowerShell does.
    #[default]
    Auto,
    /// `<Nil N="ExtraCmds"/>`, as pypsrp does.
    Nil,
    /// A one-element list.
    Always,
}

impl From<Command> for PowerShell {
    fn from(cmd: Command) -> PowerShell {
        PowerShell {
            commands: vec![cmd],
            extra_statements: Vec::new(),
            is_nested: false,
            add_to_history: false,
            history: None,
            redirect_shell_error_output_pipe: true,
            extra_cmds: ExtraCmdsMode::Auto,
        }
    }
}

impl PowerShell {
    /// Pipes the output of the last command into `cmd`.
    pub fn pipe(mut self, cmd: Command) -> PowerShell {
        match self.extra_statements.last_mut() {
            Some(last) => last.push(cmd),
            None => self.commands.push(cmd),
        }
        self
    }

    /// Starts a new statement (like `;`) with `cmd`.
    pub fn statement(mut self, cmd: Command) -> PowerShell {
        self.extra_statements.push(vec![cmd]);
        self
    }

    /// Every statement, first included.
    pub fn statements(&self) -> impl Iterator<Item = &[Command]> {
        std::iter::once(self.commands.as_slice())
            .chain(self.extra_statements.iter().map(Vec::as_slice))
    }

    fn cmds_value(cmds: &[Command], version: ProtocolVersion) -> Value {
        list_value(
            &PSOBJECT_LIST_TYPE,
            ListKind::List,
            cmds.iter().map(|c| c.to_value(version)).collect(),
        )
    }

    /// The `PowerShell` object of MS-PSRP 2.2.3.11.
    pub fn to_value(&self, version: ProtocolVersion) -> Value {
        let mut props = vec![
            ("Cmds", Self::cmds_value(&self.commands, version)),
            ("IsNested", Value::Bool(self.is_nested)),
            (
                "History",
                self.history.clone().map_or(Value::Null, Value::String),
            ),
            (
                "RedirectShellErrorOutputPipe",
                Value::Bool(self.redirect_shell_error_output_pipe),
            ),
        ];
        if self.extra_statements.is_empty() && self.extra_cmds == ExtraCmdsMode::Nil {
            props.push(("ExtraCmds", Value::Null));
        } else if !self.extra_statements.is_empty() || self.extra_cmds == ExtraCmdsMode::Always {
            // ExtraCmds lists every statement, the first one included; Cmds repeats the first.
            let all = self
                .statements()
                .map(|s| ms_object(vec![("Cmds", Self::cmds_value(s, version))]))
                .collect();
            props.push((
                "ExtraCmds",
                list_value(&PSOBJECT_LIST_TYPE, ListKind::List, all),
            ));
        }
        ms_object(props)
    }

    /// Reads a `PowerShell` object; `add_to_history` is not part of it (it is a
    /// CREATE_PIPELINE field) and reads as `false`.
    pub fn from_value(v: &Value) -> Result<PowerShell, Error> {
        let r = Reader::new(v, "PowerShell")?;
        let read_cmds = |v: &Value| -> Result<Vec<Command>, Error> {
            as_list(v)
                .ok_or_else(|| r.bad("Cmds", "a list"))?
                .iter()
                .map(Command::from_value)
                .collect()
        };
        let commands = read_cmds(r.req("Cmds")?)?;
        let mut extra_statements = Vec::new();
        let mut extra_cmds = match r.opt("ExtraCmds") {
            Some(Value::Null) => ExtraCmdsMode::Nil,
            _ => ExtraCmdsMode::Auto,
        };
        if let Some(extra) = r.some("ExtraCmds") {
            let items = as_list(extra).ok_or_else(|| r.bad("ExtraCmds", "a list"))?;
            for (i, item) in items.iter().enumerate() {
                let s = Reader::new(item, "PowerShell statement")?;
                let cmds = read_cmds(s.req("Cmds")?)?;
                if i > 0 {
                    extra_statements.push(cmds);
                }
            }
            if items.len() == 1 {
                extra_cmds = ExtraCmdsMode::Always;
            }
        }
        Ok(PowerShell {
            commands,
            extra_statements,
            is_nested: r.opt_bool("IsNested")?.unwrap_or(false),
            add_to_history: false,
            history: r.opt_string("History")?,
            redirect_shell_error_output_pipe: r
                .opt_bool("RedirectShellErrorOutputPipe")?
                .unwrap_or(true),
            extra_cmds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_clixml::ObjContent;

    fn ps() -> PowerShell {
        PowerShell::from(
            Command::new("Get-Service")
                .param("Name", Value::String("win*".into()))
                .switch("Force")
                .arg(Value::I32(3)),
        )
        .pipe(Command::new("Select-Object").merge_error_to_output())
    }

    #[test]
    fn command_value_has_spec_fields() {
        let v = ps().commands[0].to_value(ProtocolVersion::V2_3);
        let o = v
            .as_object()
            .map(|o| o.extended.clone())
            .unwrap_or_default();
        let names: Vec<&str> = o.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Cmd",
                "IsScript",
                "UseLocalScope",
                "MergeMyResult",
                "MergeToResult",
                "MergePreviousResults",
                "Args",
                "MergeError",
                "MergeWarning",
                "MergeVerbose",
                "MergeDebug",
                "MergeInformation"
            ]
        );
        let args = o.iter().find(|p| p.name == "Args").map(|p| p.value.clone());
        let items = args.as_ref().and_then(as_list).map(<[Value]>::to_vec);
        let items = items.unwrap_or_default();
        assert_eq!(items.len(), 3);
        // Positional argument: N is <Nil/>.
        let pos = items[2].as_object().and_then(|o| o.get("N")).cloned();
        assert_eq!(pos, Some(Value::Null));
        let switch = items[1].as_object().and_then(|o| o.get("V")).cloned();
        assert_eq!(switch, Some(Value::Bool(true)));
    }

    #[test]
    fn protocol_2_1_has_no_per_stream_merges() {
        let v = Command::new("x").to_value(ProtocolVersion::V2_1);
        assert!(v.as_object().and_then(|o| o.get("MergeError")).is_none());
        let v = Command::new("x").to_value(ProtocolVersion::V2_2);
        assert!(v.as_object().and_then(|o| o.get("MergeError")).is_some());
        assert!(
            v.as_object()
                .and_then(|o| o.get("MergeInformation"))
                .is_none()
        );
    }

    #[test]
    fn merge_enum_is_an_enum_object() {
        let v = PipelineResultTypes::OUTPUT_AND_ERROR.to_value();
        let o = v.as_object().cloned().unwrap_or_default();
        assert_eq!(o.to_string.as_deref(), Some("Output, Error"));
        assert_eq!(o.content, ObjContent::Value(Value::I32(3)));
        assert_eq!(
            o.type_names().get(1).map(String::as_str),
            Some("System.Enum")
        );
    }

    #[test]
    fn powershell_round_trips_with_statements() {
        let p = ps()
            .statement(Command::script("1+1"))
            .pipe(Command::new("Out-String"));
        assert_eq!(
            p.extra_statements,
            vec![vec![Command::script("1+1"), Command::new("Out-String")]]
        );
        let v = p.to_value(ProtocolVersion::V2_3);
        assert_eq!(PowerShell::from_value(&v), Ok(p));
    }
}
