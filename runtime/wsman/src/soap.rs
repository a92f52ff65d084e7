//! SOAP 1.2 envelopes with WS-Addressing and WS-Management headers (MS-WSMV 2.2.4).
//!
//! The envelope is written straight into a `String`: element and attribute content goes
//! through quick-xml's escaper, everything else is fixed protocol text.

use std::fmt::Write as _;
use std::time::Duration;

use uuid::Uuid;

use crate::xml::esc;

/// Namespace URIs (MS-WSMV 2.2.1 table of namespaces).
pub mod ns {
    pub const SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
    pub const ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    pub const WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
    /// Microsoft's extensions (`p:`/`wsmv:`): DataLocale, SessionId, ActivityId.
    pub const WSMV: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
    pub const SHELL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
    pub const POWERSHELL: &str = "http://schemas.microsoft.com/powershell";
    pub const TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
    pub const ENUMERATION: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
    pub const IDENTITY: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
    pub const WSMAN_FAULT: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
}

/// `wsa:Action` URIs.
pub mod action {
    pub const CREATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create";
    pub const DELETE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete";
    pub const GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
    pub const ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
    pub const PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";
    pub const COMMAND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command";
    pub const SEND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send";
    pub const RECEIVE: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive";
    pub const SIGNAL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal";
    pub const DISCONNECT: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Disconnect";
    pub const RECONNECT: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Reconnect";
    pub const CONNECT: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Connect";
}

/// The shell resource itself, for Enumerate of shells (MS-WSMV 3.1.4.14).
pub const SHELL_RESOURCE: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
/// Commands of a shell, for Enumerate with a ShellId selector filter.
pub const COMMAND_RESOURCE: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command";
const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
const SELECTOR_FILTER: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter";

/// Signal codes (MS-WSMV 2.2.5.6; MS-PSRP 3.1.5.3.9 for the PowerShell stop signal).
pub mod signal {
    /// MS-WSMV's spelling (and wsman.h's WSMAN_SIGNAL_SHELL_CODE_TERMINATE).
    pub const TERMINATE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate";
    /// The capitalised form pypsrp sends; Windows accepts both.
    pub const TERMINATE_ALT: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate";
    /// MS-PSRP 3.1.5.3.9 "MUST be powershell/signal/crtl_c" (sic): what PowerShell sends.
    pub const PS_CRTL_C: &str = "powershell/signal/crtl_c";
    /// The corrected spelling listed in MS-WSMV 2.2.5.6 and sent by pypsrp.
    pub const PS_CTRL_C: &str = "powershell/signal/ctrl_c";
}

/// A `wsman:Option` of an OptionSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsOption {
    pub name: String,
    pub value: String,
    pub must_comply: bool,
}

impl WsOption {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        WsOption {
            name: name.into(),
            value: value.into(),
            must_comply: false,
        }
    }
    pub fn must_comply(mut self) -> Self {
        self.must_comply = true;
        self
    }
}

/// Everything in `s:Header` for one request.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    pub action: &'a str,
    pub to: &'a str,
    pub resource_uri: &'a str,
    pub message_id: Uuid,
    pub session_id: Option<Uuid>,
    pub operation_timeout: Duration,
    pub max_envelope_size: u32,
    pub locale: &'a str,
    pub data_locale: &'a str,
    pub selectors: &'a [(&'a str, &'a str)],
    pub options: &'a [WsOption],
}

/// xs:duration as WS-Man wants it: `PT20S`, `PT0.500S`.
pub fn duration(d: Duration) -> String {
    let ms = d.subsec_millis();
    if ms == 0 {
        format!("PT{}S", d.as_secs())
    } else {
        format!("PT{}.{:03}S", d.as_secs(), ms)
    }
}

/// The envelope's opening, the same for every request (namespace declarations).
const ENVELOPE_START: &str = concat!(
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"",
    " xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"",
    " xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"",
    " xmlns:wsmv=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"",
    " xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"",
    " xmlns:wsen=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\"><s:Header>"
);

/// Writes a whole envelope; `body` appends the content of `s:Body`. Every request builds
/// one, so it is plain appends of constant text and escaped values (no format machinery).
pub fn envelope(h: &Header<'_>, body: impl FnOnce(&mut String)) -> String {
    let mut s = String::with_capacity(2048);
    s.push_str(ENVELOPE_START);
    s.push_str("<wsa:To>");
    s.push_str(&esc(h.to));
    s.push_str("</wsa:To><wsa:ReplyTo><wsa:Address s:mustUnderstand=\"true\">");
    s.push_str(ANONYMOUS);
    s.push_str("</wsa:Address></wsa:ReplyTo><wsa:Action s:mustUnderstand=\"true\">");
    s.push_str(&esc(h.action));
    s.push_str("</wsa:Action><wsa:MessageID>uuid:");
    s.push_str(
        h.message_id
            .as_hyphenated()
            .encode_upper(&mut Uuid::encode_buffer()),
    );
    s.push_str("</wsa:MessageID><wsman:ResourceURI s:mustUnderstand=\"true\">");
    s.push_str(&esc(h.resource_uri));
    s.push_str("</wsman:ResourceURI><wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">");
    let _ = write!(s, "{}", h.max_envelope_size);
    s.push_str("</wsman:MaxEnvelopeSize><wsman:OperationTimeout>");
    s.push_str(&duration(h.operation_timeout));
    s.push_str("</wsman:OperationTimeout><wsman:Locale xml:lang=\"");
    s.push_str(&esc(h.locale));
    s.push_str("\" s:mustUnderstand=\"false\"/><wsmv:DataLocale xml:lang=\"");
    s.push_str(&esc(h.data_locale));
    s.push_str("\" s:mustUnderstand=\"false\"/>");
    if let Some(sid) = h.session_id {
        s.push_str("<wsmv:SessionId s:mustUnderstand=\"false\">uuid:");
        s.push_str(sid.as_hyphenated().encode_upper(&mut Uuid::encode_buffer()));
        s.push_str("</wsmv:SessionId>");
    }
    if !h.options.is_empty() {
        s.push_str("<wsman:OptionSet s:mustUnderstand=\"true\">");
        for o in h.options {
            s.push_str("<wsman:Option Name=\"");
            s.push_str(&esc(&o.name));
            s.push('"');
            if o.must_comply {
                s.push_str(" MustComply=\"true\"");
            }
            s.push('>');
            s.push_str(&esc(&o.value));
            s.push_str("</wsman:Option>");
        }
        s.push_str("</wsman:OptionSet>");
    }
    if !h.selectors.is_empty() {
        write_selectors(&mut s, h.selectors);
    }
    s.push_str("</s:Header><s:Body>");
    body(&mut s);
    s.push_str("</s:Body></s:Envelope>");
    s
}

fn write_selectors(s: &mut String, selectors: &[(&str, &str)]) {
    s.push_str("<wsman:SelectorSet>");
    for (name, value) in selectors {
        s.push_str("<wsman:Selector Name=\"");
        s.push_str(&esc(name));
        s.push_str("\">");
        s.push_str(&esc(value));
        s.push_str("</wsman:Selector>");
    }
    s.push_str("</wsman:SelectorSet>");
}

fn upper(id: &Uuid) -> String {
    id.as_hyphenated()
        .encode_upper(&mut Uuid::encode_buffer())
        .to_owned()
}

/// `rsp:Shell` for Create (MS-WSMV 2.2.4.37; MS-PSRP 3.1.5.3.1 puts the opening fragments in
/// `creationXml`).
pub fn create_body(
    s: &mut String,
    shell_id: Option<&Uuid>,
    name: Option<&str>,
    input_streams: &str,
    output_streams: &str,
    idle_timeout: Option<Duration>,
    creation_xml_b64: Option<&str>,
) {
    s.push_str("<rsp:Shell");
    if let Some(id) = shell_id {
        let _ = write!(s, " ShellId=\"{}\"", upper(id));
    }
    if let Some(n) = name {
        let _ = write!(s, " Name=\"{}\"", esc(n));
    }
    s.push('>');
    if let Some(t) = idle_timeout {
        let _ = write!(s, "<rsp:IdleTimeOut>{}</rsp:IdleTimeOut>", duration(t));
    }
    let _ = write!(
        s,
        "<rsp:InputStreams>{}</rsp:InputStreams><rsp:OutputStreams>{}</rsp:OutputStreams>",
        esc(input_streams),
        esc(output_streams)
    );
    if let Some(x) = creation_xml_b64 {
        let _ = write!(
            s,
            "<creationXml xmlns=\"{}\">{}</creationXml>",
            ns::POWERSHELL,
            x
        );
    }
    s.push_str("</rsp:Shell>");
}

/// `rsp:CommandLine` (MS-WSMV 2.2.4.7). For PowerShell the CommandId is the PSRP pipeline id
/// and `rsp:Arguments` carries CREATE_PIPELINE (MS-PSRP 3.1.5.3.3).
pub fn command_body(s: &mut String, command_id: &Uuid, arguments_b64: &str) {
    s.push_str("<rsp:CommandLine CommandId=\"");
    s.push_str(
        command_id
            .as_hyphenated()
            .encode_upper(&mut Uuid::encode_buffer()),
    );
    s.push_str("\"><rsp:Command/><rsp:Arguments>");
    s.push_str(arguments_b64);
    s.push_str("</rsp:Arguments></rsp:CommandLine>");
}

/// `rsp:Send` with one stream (MS-WSMV 2.2.4.33).
pub fn send_body(
    s: &mut String,
    stream: &str,
    command_id: Option<&Uuid>,
    data_b64: &str,
    end: bool,
) {
    let _ = write!(s, "<rsp:Send><rsp:Stream Name=\"{}\"", esc(stream));
    if let Some(id) = command_id {
        let _ = write!(s, " CommandId=\"{}\"", upper(id));
    }
    if end {
        s.push_str(" End=\"true\"");
    }
    let _ = write!(s, ">{data_b64}</rsp:Stream></rsp:Send>");
}

/// `rsp:Receive` (MS-WSMV 2.2.4.26).
pub fn receive_body(s: &mut String, streams: &str, command_id: Option<&Uuid>) {
    s.push_str("<rsp:Receive><rsp:DesiredStream");
    if let Some(id) = command_id {
        s.push_str(" CommandId=\"");
        s.push_str(id.as_hyphenated().encode_upper(&mut Uuid::encode_buffer()));
        s.push('"');
    }
    s.push('>');
    s.push_str(&esc(streams));
    s.push_str("</rsp:DesiredStream></rsp:Receive>");
}

/// `rsp:Signal` (MS-WSMV 2.2.4.38).
pub fn signal_body(s: &mut String, command_id: Option<&Uuid>, code: &str) {
    s.push_str("<rsp:Signal");
    if let Some(id) = command_id {
        let _ = write!(s, " CommandId=\"{}\"", upper(id));
    }
    let _ = write!(s, "><rsp:Code>{}</rsp:Code></rsp:Signal>", esc(code));
}

/// `rsp:Disconnect` with the server-side idle timeout to keep the shell (MS-WSMV 2.2.4.9).
pub fn disconnect_body(s: &mut String, idle_timeout: Option<Duration>) {
    match idle_timeout {
        Some(t) => {
            let _ = write!(
                s,
                "<rsp:Disconnect><rsp:IdleTimeOut>{}</rsp:IdleTimeOut></rsp:Disconnect>",
                duration(t)
            );
        }
        None => s.push_str("<rsp:Disconnect/>"),
    }
}

/// Reconnect has no input data (MS-WSMV 3.1.4.16); the body stays empty, as Windows expects.
pub fn reconnect_body(_s: &mut String) {}

/// `rsp:Connect` with `connectXml` (MS-PSRP 3.1.5.3.? connect to a disconnected pool).
pub fn connect_body(s: &mut String, connect_xml_b64: &str) {
    let _ = write!(
        s,
        "<rsp:Connect><connectXml xmlns=\"{}\">{}</connectXml></rsp:Connect>",
        ns::POWERSHELL,
        connect_xml_b64
    );
}

/// `rsp:Connect CommandId=…`: attach to a running command of a connected shell (MS-PSRP
/// 3.1.4.10.2, after Connect to the shell).
pub fn connect_command_body(s: &mut String, command_id: &Uuid) {
    let _ = write!(s, "<rsp:Connect CommandId=\"{}\"/>", upper(command_id));
}

/// `wsen:Enumerate`, optimized (first items in the response), optionally filtered by selectors
/// (how commands of one shell are listed, MS-WSMV 3.1.4.14).
pub fn enumerate_body(s: &mut String, max_elements: u32, selector_filter: &[(&str, &str)]) {
    let _ = write!(
        s,
        "<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>{max_elements}</wsman:MaxElements>"
    );
    if !selector_filter.is_empty() {
        let _ = write!(s, "<wsman:Filter Dialect=\"{SELECTOR_FILTER}\">");
        write_selectors(s, selector_filter);
        s.push_str("</wsman:Filter>");
    }
    s.push_str("</wsen:Enumerate>");
}

pub fn pull_body(s: &mut String, context: &str, max_elements: u32) {
    let _ = write!(
        s,
        "<wsen:Pull><wsen:EnumerationContext>{}</wsen:EnumerationContext>\
         <wsman:MaxElements>{max_elements}</wsman:MaxElements></wsen:Pull>",
        esc(context)
    );
}

/// The Identify request has no addressing headers at all (DSP0226 11).
pub fn identify_envelope() -> String {
    format!(
        "<s:Envelope xmlns:s=\"{}\" xmlns:wsmid=\"{}\"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>",
        ns::SOAP,
        ns::IDENTITY
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_start_names_the_namespaces() {
        assert_eq!(
            ENVELOPE_START,
            format!(
                "<s:Envelope xmlns:s=\"{}\" xmlns:wsa=\"{}\" xmlns:wsman=\"{}\" xmlns:wsmv=\"{}\" \
                 xmlns:rsp=\"{}\" xmlns:wsen=\"{}\"><s:Header>",
                ns::SOAP,
                ns::ADDRESSING,
                ns::WSMAN,
                ns::WSMV,
                ns::SHELL,
                ns::ENUMERATION
            )
        );
    }
    use crate::xml::parse;

    fn header<'a>(sel: &'a [(&'a str, &'a str)], opts: &'a [WsOption]) -> Header<'a> {
        Header {
            action: action::CREATE,
            to: "http://h:5985/wsman",
            resource_uri: "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
            message_id: Uuid::nil(),
            session_id: Some(Uuid::nil()),
            operation_timeout: Duration::from_millis(20_500),
            max_envelope_size: 153_600,
            locale: "en-US",
            data_locale: "en-US",
            selectors: sel,
            options: opts,
        }
    }

    #[test]
    fn envelope_carries_every_header() {
        let opts = [WsOption::new("protocolversion", "2.3").must_comply()];
        let sel = [("ShellId", "A&B")];
        let x = envelope(&header(&sel, &opts), |s| s.push_str("<rsp:Receive/>"));
        let root = parse(&x).expect("well-formed");
        let h = root.child(ns::SOAP, "Header").expect("header");
        assert_eq!(h.child_text(ns::ADDRESSING, "Action"), Some(action::CREATE));
        assert_eq!(
            h.child_text(ns::WSMAN, "OperationTimeout"),
            Some("PT20.500S")
        );
        let mes = h.child(ns::WSMAN, "MaxEnvelopeSize").expect("mes");
        assert_eq!(mes.text_trim(), "153600");
        assert!(
            mes.attrs
                .iter()
                .any(|(n, l, v)| n == ns::SOAP && l == "mustUnderstand" && v == "true")
        );
        let opt = h.find(ns::WSMAN, "Option").expect("option");
        assert_eq!(opt.attr("Name"), Some("protocolversion"));
        assert_eq!(opt.attr("MustComply"), Some("true"));
        assert_eq!(
            h.find(ns::WSMAN, "Selector").map(|e| e.text.as_str()),
            Some("A&B")
        );
        assert!(h.child(ns::WSMV, "SessionId").is_some());
        assert!(h.child(ns::WSMV, "DataLocale").is_some());
        assert!(
            root.child(ns::SOAP, "Body")
                .and_then(|b| b.child(ns::SHELL, "Receive"))
                .is_some()
        );
    }

    /// Wraps a body in an envelope (for its namespace declarations) and returns the first
    /// element of `s:Body`.
    fn body_of(write: impl FnOnce(&mut String)) -> crate::xml::Element {
        let x = envelope(&header(&[], &[]), write);
        let root = parse(&x).expect("well-formed");
        root.child(ns::SOAP, "Body")
            .and_then(|b| b.children.first().cloned())
            .expect("body element")
    }

    #[test]
    fn bodies_have_the_spec_shape() {
        let id = Uuid::from_u128(0xABCD);
        let shell =
            body_of(|s| create_body(s, Some(&id), None, "stdin pr", "stdout", None, Some("AAA=")));
        assert!(shell.is(ns::SHELL, "Shell"));
        assert_eq!(
            shell.attr("ShellId"),
            Some("00000000-0000-0000-0000-00000000ABCD")
        );
        assert_eq!(
            shell.child_text(ns::POWERSHELL, "creationXml"),
            Some("AAA=")
        );
        assert_eq!(
            shell.child_text(ns::SHELL, "InputStreams"),
            Some("stdin pr")
        );

        let st = body_of(|s| send_body(s, "stdin", Some(&id), "QQ==", true));
        let stream = st.child(ns::SHELL, "Stream").expect("stream");
        assert_eq!(stream.attr("End"), Some("true"));
        assert_eq!(
            stream.attr("CommandId"),
            Some("00000000-0000-0000-0000-00000000ABCD")
        );

        let sig = body_of(|s| signal_body(s, Some(&id), signal::PS_CRTL_C));
        assert_eq!(sig.child_text(ns::SHELL, "Code"), Some(signal::PS_CRTL_C));

        let cmd = body_of(|s| command_body(s, &id, "QUJD"));
        assert!(cmd.is(ns::SHELL, "CommandLine"));
        assert_eq!(cmd.child_text(ns::SHELL, "Arguments"), Some("QUJD"));

        let rcv = body_of(|s| receive_body(s, "stdout", Some(&id)));
        let ds = rcv.child(ns::SHELL, "DesiredStream").expect("desired");
        assert_eq!(ds.text, "stdout");
        assert!(ds.attr("CommandId").is_some());

        let en = body_of(|s| enumerate_body(s, 32000, &[("ShellId", "X")]));
        assert!(en.is(ns::ENUMERATION, "Enumerate"));
        assert_eq!(
            en.child(ns::WSMAN, "Filter")
                .and_then(|f| f.attr("Dialect")),
            Some(SELECTOR_FILTER)
        );

        let dc = body_of(|s| disconnect_body(s, Some(Duration::from_secs(240))));
        assert_eq!(dc.child_text(ns::SHELL, "IdleTimeOut"), Some("PT240S"));

        let cn = body_of(|s| connect_body(s, "Q0M="));
        assert_eq!(cn.child_text(ns::POWERSHELL, "connectXml"), Some("Q0M="));
    }
}
