//! CREATE_PIPELINE (MS-PSRP 2.2.2.10) written straight to CLIXML text, without building a
//! `Value` tree first: it is sent on every call, and building then serializing the tree was
//! most of a warm call's client CPU.
//!
//! The part before `PowerShell` (NoInput, ApartmentState, RemoteStreamOptions, AddToHistory,
//! HostInfo) rarely changes within a pool: it is serialized once by the general writer and
//! reused as text ([`Prefix`]). The `PowerShell` object (2.2.3.11) is then written here, with
//! RefIds and `<TN>`/`<TNRef>` numbered as the general writer numbers them (2.2.5.2.2-3), so
//! the bytes are the same as `MessageData::to_message` produces (tests compare both). Argument
//! values that are objects would need the general writer's RefId bookkeeping: pipelines with
//! such arguments take the general path.

use psremote_clixml::Value;
use psremote_clixml::escape::{push_name_attr, push_text_element};

use crate::command::{Command, ExtraCmdsMode, PipelineResultTypes, PowerShell};
use crate::messages::{CreatePipeline, MessageData};
use crate::obj::PSOBJECT_LIST_TYPE;
use crate::types::{ApartmentState, HostInfo, ProtocolVersion, RemoteStreamOptions};

const PRT_TYPE: &str = "System.Management.Automation.Runspaces.PipelineResultTypes";
const PS_MARKER: &str = "<Obj N=\"PowerShell\" RefId=\"";

/// What the cached prefix was made from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrefixKey {
    pub no_input: bool,
    pub add_to_history: bool,
    pub apartment_state: ApartmentState,
    pub remote_stream_options: RemoteStreamOptions,
    pub host_info: HostInfo,
    pub version: ProtocolVersion,
}

/// The CREATE_PIPELINE text up to the `PowerShell` object, and the writer's counters there.
#[derive(Debug, Clone)]
pub(crate) struct Prefix {
    version: ProtocolVersion,
    text: String,
    next_obj: u32,
    next_tn: u32,
}

impl Prefix {
    /// Serializes the constant part once with the general writer. `None` when its type-name
    /// lists overlap with the ones `PowerShell` uses (they would be `<TNRef>`s into the
    /// prefix): such pipelines take the general path.
    pub(crate) fn build(key: &PrefixKey) -> Option<Prefix> {
        let probe = MessageData::CreatePipeline(CreatePipeline {
            no_input: key.no_input,
            apartment_state: key.apartment_state,
            remote_stream_options: key.remote_stream_options,
            add_to_history: key.add_to_history,
            host_info: key.host_info.clone(),
            power_shell: PowerShell::from(Command::new("")),
            is_nested: false,
        });
        let full = psremote_clixml::to_string(&probe.to_value(key.version)?);
        let at = full.find(PS_MARKER)?;
        let text = full[..at].to_string();
        let digits = &full[at + PS_MARKER.len()..];
        let end = digits.find('"')?;
        let next_obj: u32 = digits[..end].parse().ok()?;
        if text.contains(PRT_TYPE) || text.contains(PSOBJECT_LIST_TYPE[0]) {
            return None;
        }
        let next_tn = u32::try_from(text.matches("<TN RefId=").count()).ok()?;
        Some(Prefix {
            version: key.version,
            text,
            next_obj,
            next_tn,
        })
    }
}

/// Whether [`write`] can write this pipeline (no argument is an object).
pub(crate) fn supported(ps: &PowerShell) -> bool {
    ps.statements()
        .flatten()
        .flat_map(|c| &c.parameters)
        .all(|a| !matches!(a.value, Value::Object(_)))
}

struct W<'p> {
    out: String,
    next_obj: u32,
    next_tn: u32,
    /// RefIds of the two type-name lists `PowerShell` uses, once written.
    prt_tn: Option<u32>,
    list_tn: Option<u32>,
    _prefix: std::marker::PhantomData<&'p ()>,
}

/// Appends a decimal number (RefIds, enum values) without the format machinery.
fn push_num(out: &mut String, n: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    for &b in &buf[at..] {
        out.push(char::from(b));
    }
}

impl W<'_> {
    fn obj(&mut self, name: Option<&str>) {
        self.out.push_str("<Obj");
        push_name_attr(&mut self.out, name);
        self.out.push_str(" RefId=\"");
        push_num(&mut self.out, i64::from(self.next_obj));
        self.out.push_str("\">");
        self.next_obj += 1;
    }

    fn type_names(&mut self, prt: bool) {
        let slot = if prt {
            &mut self.prt_tn
        } else {
            &mut self.list_tn
        };
        if let Some(id) = *slot {
            self.out.push_str("<TNRef RefId=\"");
            push_num(&mut self.out, i64::from(id));
            self.out.push_str("\" />");
            return;
        }
        let id = self.next_tn;
        *slot = Some(id);
        self.next_tn += 1;
        self.out.push_str("<TN RefId=\"");
        push_num(&mut self.out, i64::from(id));
        self.out.push_str("\">");
        if prt {
            for t in [PRT_TYPE, "System.Enum", "System.ValueType", "System.Object"] {
                self.text("T", None, t);
            }
        } else {
            for t in PSOBJECT_LIST_TYPE {
                self.text("T", None, t);
            }
        }
        self.out.push_str("</TN>");
    }

    fn text(&mut self, tag: &str, name: Option<&str>, text: &str) {
        push_text_element(&mut self.out, tag, name, text);
    }

    /// `name` is one of this module's constant property names (nothing to escape).
    fn bool(&mut self, name: &str, b: bool) {
        self.out.push_str("<B N=\"");
        self.out.push_str(name);
        self.out
            .push_str(if b { "\">true</B>" } else { "\">false</B>" });
    }

    fn nil(&mut self, name: &str) {
        self.out.push_str("<Nil N=\"");
        self.out.push_str(name);
        self.out.push_str("\" />");
    }

    fn opt_string(&mut self, name: &str, s: Option<&str>) {
        match s {
            Some(s) => self.text("S", Some(name), s),
            None => self.nil(name),
        }
    }

    /// A non-object value with an `N` attribute: the general writer's text for it, named.
    fn named_value(&mut self, name: &str, v: &Value) {
        let text = psremote_clixml::to_string(v);
        // `<Tag…`: the name goes right after the tag name.
        let tag_end = text[1..]
            .find([' ', '>', '/'])
            .map_or(text.len(), |i| i + 1);
        self.out.push_str(&text[..tag_end]);
        push_name_attr(&mut self.out, Some(name));
        self.out.push_str(&text[tag_end..]);
    }

    fn merge(&mut self, name: &str, m: PipelineResultTypes) {
        self.obj(Some(name));
        self.type_names(true);
        if m == PipelineResultTypes::NONE {
            self.out
                .push_str("<ToString>None</ToString><I32>0</I32></Obj>");
            return;
        }
        let label = m.label();
        self.text("ToString", None, &label);
        self.out.push_str("<I32>");
        push_num(&mut self.out, i64::from(m.0));
        self.out.push_str("</I32></Obj>");
    }

    fn list_open(&mut self, name: Option<&str>, empty: bool) {
        self.obj(name);
        self.type_names(false);
        self.out.push_str(if empty { "<LST />" } else { "<LST>" });
    }

    fn command(&mut self, c: &Command, version: ProtocolVersion) {
        self.obj(None);
        self.out.push_str("<MS>");
        self.text("S", Some("Cmd"), &c.name);
        self.bool("IsScript", c.is_script);
        match c.use_local_scope {
            Some(b) => self.bool("UseLocalScope", b),
            None => self.nil("UseLocalScope"),
        }
        self.merge("MergeMyResult", c.merge_my_result);
        self.merge("MergeToResult", c.merge_to_result);
        self.merge("MergePreviousResults", c.merge_previous_results);
        self.list_open(Some("Args"), c.parameters.is_empty());
        if !c.parameters.is_empty() {
            for a in &c.parameters {
                self.obj(None);
                self.out.push_str("<MS>");
                self.opt_string("N", a.name.as_deref());
                self.named_value("V", &a.value);
                self.out.push_str("</MS></Obj>");
            }
            self.out.push_str("</LST>");
        }
        self.out.push_str("</Obj>");
        if version >= ProtocolVersion::V2_2 {
            self.merge("MergeError", c.merge_error);
            self.merge("MergeWarning", c.merge_warning);
            self.merge("MergeVerbose", c.merge_verbose);
            self.merge("MergeDebug", c.merge_debug);
        }
        if version >= ProtocolVersion::V2_3 {
            self.merge("MergeInformation", c.merge_information);
        }
        self.out.push_str("</MS></Obj>");
    }

    fn cmds(&mut self, cmds: &[Command], version: ProtocolVersion) {
        self.list_open(Some("Cmds"), cmds.is_empty());
        if !cmds.is_empty() {
            for c in cmds {
                self.command(c, version);
            }
            self.out.push_str("</LST>");
        }
        self.out.push_str("</Obj>");
    }
}

/// The CREATE_PIPELINE CLIXML for `ps` after `prefix` (whose key holds the other fields),
/// `is_nested` last. The caller checked [`supported`].
pub(crate) fn write(prefix: &Prefix, ps: &PowerShell, is_nested: bool) -> String {
    let version = prefix.version;
    let mut w = W {
        out: String::with_capacity(prefix.text.len() + 2048),
        next_obj: prefix.next_obj,
        next_tn: prefix.next_tn,
        prt_tn: None,
        list_tn: None,
        _prefix: std::marker::PhantomData,
    };
    w.out.push_str(&prefix.text);
    w.obj(Some("PowerShell"));
    w.out.push_str("<MS>");
    w.cmds(&ps.commands, version);
    w.bool("IsNested", ps.is_nested);
    w.opt_string("History", ps.history.as_deref());
    w.bool(
        "RedirectShellErrorOutputPipe",
        ps.redirect_shell_error_output_pipe,
    );
    if ps.extra_statements.is_empty() && ps.extra_cmds == ExtraCmdsMode::Nil {
        w.nil("ExtraCmds");
    } else if !ps.extra_statements.is_empty() || ps.extra_cmds == ExtraCmdsMode::Always {
        // ExtraCmds lists every statement, the first one included (as `to_value` does).
        w.list_open(Some("ExtraCmds"), false);
        for s in ps.statements() {
            w.obj(None);
            w.out.push_str("<MS>");
            w.cmds(s, version);
            w.out.push_str("</MS></Obj>");
        }
        w.out.push_str("</LST></Obj>");
    }
    w.out.push_str("</MS></Obj>");
    w.bool("IsNested", is_nested);
    w.out.push_str("</MS></Obj>");
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Argument;

    fn general(key: &PrefixKey, ps: &PowerShell, is_nested: bool) -> String {
        let m = MessageData::CreatePipeline(CreatePipeline {
            no_input: key.no_input,
            apartment_state: key.apartment_state,
            remote_stream_options: key.remote_stream_options,
            add_to_history: key.add_to_history,
            host_info: key.host_info.clone(),
            power_shell: ps.clone(),
            is_nested,
        });
        let v = m.to_value(key.version);
        psremote_clixml::to_string(&v.unwrap_or(Value::Null))
    }

    fn key(version: ProtocolVersion) -> PrefixKey {
        PrefixKey {
            no_input: true,
            add_to_history: false,
            apartment_state: ApartmentState::Unknown,
            remote_stream_options: RemoteStreamOptions::AddInvocationInfo,
            host_info: HostInfo::default(),
            version,
        }
    }

    fn shapes() -> Vec<PowerShell> {
        let mut merged = Command::new("Get-Item").param("Path", "C:\\<&>\"x\"");
        merged.merge_my_result = PipelineResultTypes::ERROR;
        merged.merge_to_result = PipelineResultTypes::OUTPUT;
        merged.merge_previous_results = PipelineResultTypes::OUTPUT_AND_ERROR;
        merged.merge_error = PipelineResultTypes::OUTPUT;
        merged.merge_information = PipelineResultTypes(42);
        merged.use_local_scope = Some(true);
        let mut every = Command::new("Write-Output");
        for v in [
            Value::Null,
            Value::String(String::new()),
            Value::String("a\u{1}b _x0041_ \u{1F600}".into()),
            Value::Char(65),
            Value::Bool(true),
            Value::I8(-1),
            Value::U8(2),
            Value::I16(-3),
            Value::U16(4),
            Value::I32(-5),
            Value::U32(6),
            Value::I64(-7),
            Value::U64(8),
            Value::Float(1.5),
            Value::Double(-2.25),
            Value::Bytes(vec![0, 1, 2, 255]),
            Value::Guid(uuid::Uuid::nil()),
            Value::Uri("http://x/?a&b".into()),
            Value::ScriptBlock("{ $_ }".into()),
        ] {
            every.parameters.push(Argument {
                name: None,
                value: v,
            });
        }
        let mut nil_extra = PowerShell::from(Command::new("Get-Date"));
        nil_extra.extra_cmds = ExtraCmdsMode::Nil;
        let mut always = PowerShell::from(Command::script("1; 2").arg(3));
        always.extra_cmds = ExtraCmdsMode::Always;
        always.history = Some("1 < 2".into());
        always.is_nested = true;
        always.redirect_shell_error_output_pipe = false;
        vec![
            PowerShell::from(Command::new("Get-Date")),
            PowerShell::from(
                Command::new("Get-Service")
                    .param("Name", "win*")
                    .switch("Force"),
            )
            .pipe(merged)
            .pipe(every),
            PowerShell::from(Command::new("a"))
                .statement(Command::new("b").arg("x"))
                .pipe(Command::new("c"))
                .statement(Command::new("d")),
            nil_extra,
            always,
            PowerShell {
                commands: Vec::new(),
                ..PowerShell::from(Command::new("x"))
            },
        ]
    }

    #[test]
    fn same_bytes_as_the_general_writer() {
        for version in [
            ProtocolVersion::V2_1,
            ProtocolVersion::V2_2,
            ProtocolVersion::V2_3,
        ] {
            for (no_input, add_to_history, nested) in [
                (true, false, false),
                (false, true, true),
                (false, false, true),
            ] {
                let mut k = key(version);
                k.no_input = no_input;
                k.add_to_history = add_to_history;
                k.apartment_state = ApartmentState::MTA;
                let prefix = Prefix::build(&k).expect("a prefix");
                for ps in shapes() {
                    assert!(supported(&ps));
                    assert_eq!(
                        write(&prefix, &ps, nested),
                        general(&k, &ps, nested),
                        "{version:?} {ps:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn host_data_prefix_keeps_numbering() {
        let mut k = key(ProtocolVersion::V2_3);
        k.host_info = HostInfo {
            is_host_null: false,
            is_host_ui_null: false,
            is_host_raw_ui_null: false,
            use_runspace_host: false,
            host_default_data: Some(crate::obj::ms_object(vec![(
                "x",
                crate::types::RemoteStreamOptions::AddInvocationInfo.to_value(),
            )])),
        };
        if let Some(prefix) = Prefix::build(&k) {
            for ps in shapes() {
                assert_eq!(write(&prefix, &ps, false), general(&k, &ps, false));
            }
        }
    }

    #[test]
    fn numbers() {
        for n in [
            0i64,
            7,
            -7,
            10,
            1234567890,
            i64::MIN,
            i64::MAX,
            i64::from(i32::MIN),
        ] {
            let mut s = String::new();
            push_num(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn object_arguments_are_not_supported() {
        let ps = PowerShell::from(
            Command::new("x").arg(crate::obj::ms_object(vec![("a", Value::I32(1))])),
        );
        assert!(!supported(&ps));
    }
}
