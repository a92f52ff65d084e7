//! Parsing of WS-Man responses: shells, Receive output, command state, faults, Identify,
//! enumerations.

use base64::Engine as _;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::fault::parse_fault;
use crate::soap::ns;
use crate::xml::{Element, parse};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A parsed envelope: the whole document text and its root element.
#[derive(Debug)]
pub struct Envelope<'a> {
    pub doc: &'a str,
    pub root: Element,
}

impl<'a> Envelope<'a> {
    /// Parses a response; a `s:Fault` in the body becomes `Error::Fault`.
    pub fn parse(doc: &'a str) -> Result<Envelope<'a>> {
        let root = parse(doc)?;
        if !root.is(ns::SOAP, "Envelope") {
            return Err(Error::Protocol(format!(
                "expected a SOAP 1.2 Envelope, got {{{}}}{}",
                root.ns, root.name
            )));
        }
        let env = Envelope { doc, root };
        if let Some(fault) = env.body()?.child(ns::SOAP, "Fault") {
            return Err(Error::Fault(Box::new(parse_fault(fault))));
        }
        Ok(env)
    }

    pub fn body(&self) -> Result<&Element> {
        self.root
            .child(ns::SOAP, "Body")
            .ok_or_else(|| Error::Protocol("SOAP envelope without a Body".into()))
    }

    pub fn action(&self) -> Option<&str> {
        self.root
            .child(ns::SOAP, "Header")
            .and_then(|h| h.child_text(ns::ADDRESSING, "Action"))
    }

    /// The raw XML of an element of this document.
    pub fn raw(&self, el: &Element) -> &'a str {
        self.doc.get(el.span.clone()).unwrap_or_default()
    }

    /// The first element in the body with this name, or a protocol error naming it.
    pub fn expect(&self, ns_uri: &str, name: &str) -> Result<&Element> {
        self.body()?
            .find(ns_uri, name)
            .ok_or_else(|| Error::Protocol(format!("response has no {name} element")))
    }
}

/// The `rsp:Shell` resource (MS-WSMV 2.2.4.37) as Create, Get and Enumerate return it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shell {
    pub shell_id: String,
    pub resource_uri: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub client_ip: Option<String>,
    pub process_id: Option<u32>,
    pub idle_timeout: Option<String>,
    pub max_idle_timeout: Option<String>,
    pub input_streams: Option<String>,
    pub output_streams: Option<String>,
    pub locale: Option<String>,
    pub data_locale: Option<String>,
    /// `Connected` or `Disconnected`.
    pub state: Option<String>,
    pub shell_run_time: Option<String>,
    pub shell_inactivity: Option<String>,
    pub compression_mode: Option<String>,
    pub buffer_mode: Option<String>,
}

fn opt(el: &Element, name: &str) -> Option<String> {
    el.child_text(ns::SHELL, name).map(str::to_owned)
}

impl Shell {
    pub fn from_element(el: &Element) -> Result<Shell> {
        let shell_id = el
            .child_text(ns::SHELL, "ShellId")
            .or_else(|| el.attr("ShellId"))
            .ok_or_else(|| Error::Protocol("Shell without ShellId".into()))?
            .to_owned();
        Ok(Shell {
            shell_id,
            resource_uri: opt(el, "ResourceUri").unwrap_or_default(),
            name: opt(el, "Name").or_else(|| el.attr("Name").map(str::to_owned)),
            owner: opt(el, "Owner"),
            client_ip: opt(el, "ClientIP"),
            process_id: el
                .child_text(ns::SHELL, "ProcessId")
                .and_then(|p| p.parse().ok()),
            idle_timeout: opt(el, "IdleTimeOut"),
            max_idle_timeout: opt(el, "MaxIdleTimeOut"),
            input_streams: opt(el, "InputStreams"),
            output_streams: opt(el, "OutputStreams"),
            locale: opt(el, "Locale"),
            data_locale: opt(el, "DataLocale"),
            state: opt(el, "State"),
            shell_run_time: opt(el, "ShellRunTime"),
            shell_inactivity: opt(el, "ShellInactivity"),
            compression_mode: opt(el, "CompressionMode"),
            buffer_mode: opt(el, "BufferMode"),
        })
    }
}

/// The CreateResponse: `x:ResourceCreated` (with the ShellId selector) and, from Windows, the
/// full `rsp:Shell`.
pub fn parse_create(env: &Envelope<'_>) -> Result<Shell> {
    let body = env.body()?;
    if let Some(shell) = body.find(ns::SHELL, "Shell") {
        let mut s = Shell::from_element(shell)?;
        if s.resource_uri.is_empty() {
            s.resource_uri = body
                .find(ns::WSMAN, "ResourceURI")
                .map(|e| e.text_trim().to_owned())
                .unwrap_or_default();
        }
        return Ok(s);
    }
    let created = env.expect(ns::TRANSFER, "ResourceCreated")?;
    let shell_id = created
        .find(ns::WSMAN, "Selector")
        .filter(|s| s.attr("Name") == Some("ShellId"))
        .map(|s| s.text_trim().to_owned())
        .ok_or_else(|| Error::Protocol("ResourceCreated without a ShellId selector".into()))?;
    let resource_uri = created
        .find(ns::WSMAN, "ResourceURI")
        .map(|e| e.text_trim().to_owned())
        .unwrap_or_default();
    Ok(Shell {
        shell_id,
        resource_uri,
        ..Shell::default()
    })
}

/// `rsp:CommandResponse/rsp:CommandId`.
pub fn parse_command(env: &Envelope<'_>) -> Result<Uuid> {
    let id = env
        .expect(ns::SHELL, "CommandResponse")?
        .child_text(ns::SHELL, "CommandId")
        .ok_or_else(|| Error::Protocol("CommandResponse without CommandId".into()))?;
    parse_uuid(id)
}

pub fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s.trim()).map_err(|e| Error::Protocol(format!("bad GUID {s:?}: {e}")))
}

/// One `rsp:Stream` of a ReceiveResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamData {
    pub name: String,
    pub command_id: Option<Uuid>,
    pub data: Vec<u8>,
    pub end: bool,
}

/// `rsp:CommandState/@State` (MS-WSMV 2.2.4.27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandStatus {
    Done,
    Running,
    Pending,
    Other(String),
}

impl CommandStatus {
    fn from_uri(uri: &str) -> CommandStatus {
        match uri.rsplit('/').next().unwrap_or(uri) {
            "Done" => CommandStatus::Done,
            "Running" => CommandStatus::Running,
            "Pending" => CommandStatus::Pending,
            _ => CommandStatus::Other(uri.to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandState {
    pub command_id: Option<Uuid>,
    pub state: CommandStatus,
    pub exit_code: Option<i64>,
}

/// What one Receive returned. Empty when the long poll timed out (w:TimedOut).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    pub streams: Vec<StreamData>,
    pub command_state: Option<CommandState>,
}

impl Received {
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty() && self.command_state.is_none()
    }
    /// True once the command reported Done.
    pub fn is_done(&self) -> bool {
        matches!(
            self.command_state,
            Some(CommandState {
                state: CommandStatus::Done,
                ..
            })
        )
    }
}

fn optional_uuid(s: Option<&str>) -> Result<Option<Uuid>> {
    s.map(parse_uuid).transpose()
}

/// `rsp:ReceiveResponse` (MS-WSMV 2.2.4.30).
pub fn parse_receive(env: &Envelope<'_>) -> Result<Received> {
    let rr = env.expect(ns::SHELL, "ReceiveResponse")?;
    let mut out = Received::default();
    for st in rr.children_named(ns::SHELL, "Stream") {
        let text: String = st.text.split_ascii_whitespace().collect();
        let data = B64
            .decode(text.as_bytes())
            .map_err(|e| Error::Protocol(format!("bad base64 in rsp:Stream: {e}")))?;
        out.streams.push(StreamData {
            name: st.attr("Name").unwrap_or_default().to_owned(),
            command_id: optional_uuid(st.attr("CommandId"))?,
            data,
            end: st.attr("End").is_some_and(|e| e == "true" || e == "1"),
        });
    }
    if let Some(cs) = rr.child(ns::SHELL, "CommandState") {
        let exit_code = match cs.child_text(ns::SHELL, "ExitCode") {
            Some(t) => Some(
                t.parse()
                    .map_err(|e| Error::Protocol(format!("bad ExitCode {t:?}: {e}")))?,
            ),
            None => None,
        };
        out.command_state = Some(CommandState {
            command_id: optional_uuid(cs.attr("CommandId"))?,
            state: CommandStatus::from_uri(cs.attr("State").unwrap_or_default()),
            exit_code,
        });
    }
    Ok(out)
}

/// `connectResponseXml` of a ConnectResponse, decoded.
pub fn parse_connect(env: &Envelope<'_>) -> Result<Vec<u8>> {
    let x = env.expect(ns::POWERSHELL, "connectResponseXml")?;
    let text: String = x.text.split_ascii_whitespace().collect();
    B64.decode(text.as_bytes())
        .map_err(|e| Error::Protocol(format!("bad base64 in connectResponseXml: {e}")))
}

/// The Identify answer (DSP0226 11).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub protocol_version: String,
    pub product_vendor: Option<String>,
    pub product_version: Option<String>,
    pub security_profiles: Vec<String>,
    /// The IdentifyResponse element as the server wrote it.
    pub xml: String,
}

pub fn parse_identify(env: &Envelope<'_>) -> Result<Identity> {
    let r = env.expect(ns::IDENTITY, "IdentifyResponse")?;
    let t = |n: &str| r.child_text(ns::IDENTITY, n).map(str::to_owned);
    Ok(Identity {
        protocol_version: t("ProtocolVersion").unwrap_or_default(),
        product_vendor: t("ProductVendor"),
        product_version: t("ProductVersion"),
        security_profiles: r
            .child(ns::IDENTITY, "SecurityProfiles")
            .map(|p| {
                p.children
                    .iter()
                    .map(|c| c.text_trim().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        xml: env.raw(r).to_owned(),
    })
}

/// One Enumerate or Pull page: the items' XML, and the context for the next Pull if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnumerationPage {
    pub items: Vec<String>,
    pub context: Option<String>,
}

/// EnumerateResponse (optimized, items in `w:Items`) or PullResponse (`n:Items`).
pub fn parse_enumeration(env: &Envelope<'_>) -> Result<(EnumerationPage, Vec<Element>)> {
    let body = env.body()?;
    let resp = body
        .child(ns::ENUMERATION, "EnumerateResponse")
        .or_else(|| body.child(ns::ENUMERATION, "PullResponse"))
        .ok_or_else(|| Error::Protocol("expected EnumerateResponse or PullResponse".into()))?;
    let items_el = resp
        .child(ns::WSMAN, "Items")
        .or_else(|| resp.child(ns::ENUMERATION, "Items"));
    let end = resp.child(ns::WSMAN, "EndOfSequence").is_some()
        || resp.child(ns::ENUMERATION, "EndOfSequence").is_some();
    let context = resp
        .child_text(ns::ENUMERATION, "EnumerationContext")
        .filter(|c| !c.is_empty() && !end)
        .map(str::to_owned);
    let mut page = EnumerationPage {
        items: Vec::new(),
        context,
    };
    let mut elements = Vec::new();
    if let Some(items) = items_el {
        for it in &items.children {
            page.items.push(env.raw(it).to_owned());
            elements.push(it.clone());
        }
    }
    Ok((page, elements))
}

/// A Get answer: the body's first element, verbatim.
pub fn parse_get(env: &Envelope<'_>) -> Result<(String, Element)> {
    let first = env
        .body()?
        .children
        .first()
        .ok_or_else(|| Error::Protocol("Get response with an empty body".into()))?;
    Ok((env.raw(first).to_owned(), first.clone()))
}

// --- Streaming scans for the replies of a warm call -------------------------------------
//
// Command and Receive answer every call, and building the element tree for them was a large
// part of a call's client CPU. These scans read the same document with quick-xml's namespace
// resolver, without a tree, and pick out only what `parse_command` / `parse_receive` return.
// They return `None` for anything but a plain, well-formed success (a fault, a malformed
// document, an entity or CDATA, an unexpected shape): the caller then takes the tree path,
// which gives the same typed error or value it always did.

/// Which namespace an element is in, for the few the scans look at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    Soap,
    Shell,
    Other,
}

enum ScanEvent<'e, 'd> {
    /// An element opened at `depth` (0 = root), with its raw attribute text.
    Start {
        depth: usize,
        ns: Ns,
        local: &'e str,
        attrs: &'d str,
    },
    /// The element opened at `depth` closed.
    End { depth: usize },
    /// Text directly inside the element opened at `depth - 1`.
    Text { depth: usize, raw: &'d str },
}

/// Most attributes one element may have before the scan leaves it to the tree path.
const SCAN_MAX_ATTRS: usize = 16;

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Bytes of the plain names the scans accept (`[A-Za-z0-9_.:-]`).
static NAME_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':');
        c += 1;
    }
    t
};

/// An XML name of the plain kind WS-Man uses: ASCII, at most one `:`, not at either end.
fn plain_name(n: &str) -> bool {
    let b = n.as_bytes();
    let Some((&first, rest)) = b.split_first() else {
        return false;
    };
    let mut colons = 0;
    for &c in rest {
        if !NAME_BYTE[c as usize] {
            return false;
        }
        colons += usize::from(c == b':');
    }
    is_name_start(first) && colons <= 1 && b.last() != Some(&b':')
}

/// Calls `f(name, value)` for each attribute of a start tag's attribute text; `None` if the
/// text is not a plain `name="value"` list (single or double quotes, whitespace-separated).
fn each_attr<'d>(
    mut rest: &'d str,
    mut f: impl FnMut(&'d str, &'d str) -> Option<()>,
) -> Option<()> {
    loop {
        let ws = rest
            .bytes()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(rest.len());
        let trimmed = &rest[ws..];
        if trimmed.is_empty() {
            return Some(());
        }
        // Attributes are separated by whitespace.
        if trimmed.len() == rest.len() && !rest.is_empty() {
            return None;
        }
        let eq = trimmed.bytes().position(|b| b == b'=')?;
        let name = &trimmed[..eq];
        if !plain_name(name) {
            return None;
        }
        let after = &trimmed[eq + 1..];
        let quote = after.bytes().next()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = after[1..].bytes().position(|b| b == quote)? + 1;
        let value = &after[1..close];
        f(name, value)?;
        rest = &after[close + 1..];
        if rest.is_empty() {
            return Some(());
        }
    }
}

/// Reads the whole document for the scans. Stricter than the tree parser: it gives up
/// (`None`) on entities, CDATA, comments, processing instructions after the XML declaration,
/// DOCTYPE, non-ASCII or unusual names and any attribute syntax beyond `name="value"`; what
/// it accepts, the tree parser reads the same way (nesting limit, matching end tags, one
/// root, no duplicate attributes, namespace scoping).
fn scan_doc<'d>(
    doc: &'d str,
    mut visit: impl FnMut(ScanEvent<'_, 'd>) -> Option<()>,
) -> Option<()> {
    let bytes = doc.as_bytes();
    let mut i = 0;
    if doc.starts_with("<?xml") {
        i = doc.find("?>")? + 2;
    }
    // Open elements (qualified name, bindings in scope before it) and namespace bindings
    // (prefix, "" for the default namespace; URI).
    let mut stack: Vec<(&'d str, usize)> = Vec::with_capacity(16);
    let mut bindings: Vec<(&'d str, &'d str)> = Vec::with_capacity(16);
    let mut roots = 0usize;
    loop {
        // Text (a Stream's base64 is most of a reply) is searched with SIMD memchr; names
        // and tags are short, and plain loops serve them better.
        let lt = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(doc.len(), |p| i + p);
        if bytes.get(lt) == Some(&b'&') {
            return None;
        }
        let text = &doc[i..lt];
        if !text.is_empty() {
            if stack.is_empty() {
                if !text.bytes().all(|b| b.is_ascii_whitespace()) {
                    return None;
                }
            } else {
                visit(ScanEvent::Text {
                    depth: stack.len(),
                    raw: text,
                })?;
            }
        }
        if lt == doc.len() {
            break;
        }
        let tag_start = lt + 1;
        match bytes.get(tag_start) {
            Some(b'/') => {
                let gt = bytes[tag_start..].iter().position(|&b| b == b'>')? + tag_start;
                let name = doc[tag_start + 1..gt].trim_end_matches([' ', '\t', '\r', '\n']);
                let (open, before) = stack.pop()?;
                if open != name {
                    return None;
                }
                bindings.truncate(before);
                visit(ScanEvent::End { depth: stack.len() })?;
                i = gt + 1;
            }
            Some(&c) if is_name_start(c) => {
                // The tag ends at the first '>' outside quotes; '<' inside it gives up.
                // Quoted values are skipped with memchr.
                let mut k = tag_start;
                let gt = loop {
                    let rel = bytes[k..]
                        .iter()
                        .position(|&c| matches!(c, b'"' | b'\'' | b'<' | b'>' | b'&'))?;
                    k += rel;
                    match bytes[k] {
                        b'>' => break k,
                        b'<' | b'&' => return None,
                        q => {
                            let close = memchr::memchr3(q, b'<', b'&', &bytes[k + 1..])?;
                            if bytes[k + 1 + close] != q {
                                return None;
                            }
                            k += close + 2;
                        }
                    }
                };
                let mut inner = &doc[tag_start..gt];
                let empty = inner.ends_with('/');
                if empty {
                    inner = &inner[..inner.len() - 1];
                }
                let name_end = inner
                    .bytes()
                    .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                    .unwrap_or(inner.len());
                let (name, attrs) = inner.split_at(name_end);
                if !plain_name(name) || stack.len() >= crate::xml::MAX_DEPTH {
                    return None;
                }
                if stack.is_empty() {
                    roots += 1;
                    if roots > 1 {
                        return None;
                    }
                }
                let before = bindings.len();
                let mut seen: [&str; SCAN_MAX_ATTRS] = [""; SCAN_MAX_ATTRS];
                let mut n = 0;
                each_attr(attrs, |an, av| {
                    if n == SCAN_MAX_ATTRS || seen[..n].contains(&an) {
                        return None;
                    }
                    seen[n] = an;
                    n += 1;
                    // The reserved prefixes and namespaces (Namespaces in XML 3) are the
                    // tree parser's to refuse.
                    let reserved = |v: &str| {
                        v == "http://www.w3.org/XML/1998/namespace"
                            || v == "http://www.w3.org/2000/xmlns/"
                    };
                    if an == "xmlns" {
                        if reserved(av) {
                            return None;
                        }
                        bindings.push(("", av));
                    } else if let Some(p) = an.strip_prefix("xmlns:") {
                        if av.is_empty() || p == "xml" || p == "xmlns" || reserved(av) {
                            return None;
                        }
                        bindings.push((p, av));
                    }
                    Some(())
                })?;
                let (prefix, local) = name.split_once(':').unwrap_or(("", name));
                let uri = bindings
                    .iter()
                    .rev()
                    .find(|(p, _)| *p == prefix)
                    .map(|(_, u)| *u);
                let ns = match uri {
                    Some(u) if u == ns::SOAP => Ns::Soap,
                    Some(u) if u == ns::SHELL => Ns::Shell,
                    _ => Ns::Other,
                };
                let depth = stack.len();
                visit(ScanEvent::Start {
                    depth,
                    ns,
                    local,
                    attrs,
                })?;
                if empty {
                    bindings.truncate(before);
                    visit(ScanEvent::End { depth })?;
                } else {
                    stack.push((name, before));
                }
                i = gt + 1;
            }
            _ => return None,
        }
    }
    (stack.is_empty() && roots == 1).then_some(())
}

/// An unqualified attribute of an element the scans read. A prefixed attribute (other than a
/// namespace declaration), or a value the tree would normalize, gives up.
fn scan_attr(attrs: &str, name: &str) -> Option<Option<String>> {
    let mut found = None;
    each_attr(attrs, |an, av| {
        if an == "xmlns" || an.starts_with("xmlns:") {
            return Some(());
        }
        if an.contains(':') {
            return None;
        }
        if found.is_none() && an == name {
            if av.contains(['\t', '\r', '\n']) {
                return None;
            }
            found = Some(av.to_owned());
        }
        Some(())
    })?;
    Some(found)
}

/// Where a scan stands in the envelope: the root must be `s:Envelope`, only its first
/// `s:Body` counts, and any `s:Fault` sends the document to the tree path.
#[derive(Default)]
struct Frame {
    in_body: bool,
    body_seen: bool,
    body_depth: usize,
}

impl Frame {
    /// Tracks Envelope/Body; `Some(true)` when the element is inside the first Body.
    fn start(&mut self, depth: usize, ns: Ns, local: &str) -> Option<bool> {
        if ns == Ns::Soap && local == "Fault" {
            return None;
        }
        if depth == 0 {
            return (ns == Ns::Soap && local == "Envelope").then_some(false);
        }
        if depth == 1 && !self.body_seen && ns == Ns::Soap && local == "Body" {
            self.body_seen = true;
            self.in_body = true;
            self.body_depth = depth;
            return Some(false);
        }
        Some(self.in_body)
    }

    fn end(&mut self, depth: usize) {
        if self.in_body && depth == self.body_depth {
            self.in_body = false;
        }
    }
}

/// Direct text of one element, as the tree keeps it (`Element::text`), borrowed when it
/// came in one piece.
#[derive(Default)]
struct TextAcc<'d> {
    first: Option<&'d str>,
    more: String,
}

impl<'d> TextAcc<'d> {
    fn push(&mut self, raw: &'d str) {
        match self.first {
            None => self.first = Some(raw),
            Some(f) => {
                if self.more.is_empty() {
                    self.more.push_str(f);
                }
                self.more.push_str(raw);
            }
        }
    }

    fn text(&self) -> &str {
        if self.more.is_empty() {
            self.first.unwrap_or_default()
        } else {
            &self.more
        }
    }

    fn trimmed(&self) -> &str {
        self.text().trim()
    }
}

/// `parse_command`'s answer read without building the tree (see above); `None`: use the tree.
pub fn scan_command(doc: &str) -> Option<Uuid> {
    let mut frame = Frame::default();
    // Depth of the first CommandResponse, then of its first CommandId.
    let mut resp: Option<usize> = None;
    let mut id: Option<usize> = None;
    let mut id_done = false;
    let mut text = TextAcc::default();
    scan_doc(doc, |ev| {
        match ev {
            ScanEvent::Start {
                depth, ns, local, ..
            } => {
                let in_body = frame.start(depth, ns, local)?;
                if in_body && resp.is_none() && ns == Ns::Shell && local == "CommandResponse" {
                    resp = Some(depth);
                } else if resp.is_some_and(|r| depth == r + 1)
                    && !id_done
                    && id.is_none()
                    && ns == Ns::Shell
                    && local == "CommandId"
                {
                    id = Some(depth);
                }
            }
            ScanEvent::Text { depth, raw } => {
                if id.is_some_and(|d| depth == d + 1) {
                    text.push(raw);
                }
            }
            ScanEvent::End { depth } => {
                frame.end(depth);
                if id == Some(depth) {
                    id = None;
                    id_done = true;
                }
            }
        }
        Some(())
    })?;
    if !id_done {
        return None;
    }
    Uuid::parse_str(text.trimmed()).ok()
}

struct StreamScan<'d> {
    depth: usize,
    name: String,
    command_id: Option<Uuid>,
    end: bool,
    text: TextAcc<'d>,
}

/// `parse_receive`'s answer read without building the tree (see above); `None`: use the tree.
pub fn scan_receive(doc: &str) -> Option<Received> {
    let mut frame = Frame::default();
    let mut out = Received::default();
    // The first ReceiveResponse in the body (its depth), and whether it already closed.
    let mut rr: Option<usize> = None;
    let mut rr_done = false;
    let mut stream: Option<StreamScan<'_>> = None;
    // The first CommandState (depth), its first ExitCode (depth) and their values.
    let mut cs: Option<usize> = None;
    let mut cs_seen = false;
    let mut state: Option<(Option<Uuid>, CommandStatus)> = None;
    let mut exit: Option<usize> = None;
    let mut exit_done = false;
    let mut exit_text = TextAcc::default();
    scan_doc(doc, |ev| {
        match ev {
            ScanEvent::Start {
                depth,
                ns,
                local,
                attrs,
            } => {
                let in_body = frame.start(depth, ns, local)?;
                let in_rr = !rr_done && rr.is_some_and(|r| depth == r + 1);
                if in_body && rr.is_none() && ns == Ns::Shell && local == "ReceiveResponse" {
                    rr = Some(depth);
                } else if in_rr && ns == Ns::Shell && local == "Stream" {
                    let command_id = match scan_attr(attrs, "CommandId")? {
                        Some(c) => Some(Uuid::parse_str(c.trim()).ok()?),
                        None => None,
                    };
                    stream = Some(StreamScan {
                        depth,
                        name: scan_attr(attrs, "Name")?.unwrap_or_default(),
                        command_id,
                        end: scan_attr(attrs, "End")?.is_some_and(|e| e == "true" || e == "1"),
                        text: TextAcc::default(),
                    });
                } else if in_rr && !cs_seen && ns == Ns::Shell && local == "CommandState" {
                    cs_seen = true;
                    cs = Some(depth);
                    let command_id = match scan_attr(attrs, "CommandId")? {
                        Some(c) => Some(Uuid::parse_str(c.trim()).ok()?),
                        None => None,
                    };
                    let st = scan_attr(attrs, "State")?.unwrap_or_default();
                    state = Some((command_id, CommandStatus::from_uri(&st)));
                } else if cs.is_some_and(|c| depth == c + 1)
                    && exit.is_none()
                    && !exit_done
                    && ns == Ns::Shell
                    && local == "ExitCode"
                {
                    exit = Some(depth);
                }
            }
            ScanEvent::Text { depth, raw } => {
                if let Some(s) = stream.as_mut().filter(|s| depth == s.depth + 1) {
                    s.text.push(raw);
                } else if exit.is_some_and(|d| depth == d + 1) {
                    exit_text.push(raw);
                }
            }
            ScanEvent::End { depth } => {
                frame.end(depth);
                if stream.as_ref().is_some_and(|s| s.depth == depth) {
                    let s = stream.take()?;
                    let raw = s.text.text().as_bytes();
                    let data = if raw.iter().any(u8::is_ascii_whitespace) {
                        let compact: Vec<u8> = raw
                            .iter()
                            .copied()
                            .filter(|b| !b.is_ascii_whitespace())
                            .collect();
                        B64.decode(compact).ok()?
                    } else {
                        B64.decode(raw).ok()?
                    };
                    out.streams.push(StreamData {
                        name: s.name,
                        command_id: s.command_id,
                        data,
                        end: s.end,
                    });
                } else if exit == Some(depth) {
                    exit = None;
                    exit_done = true;
                } else if cs == Some(depth) {
                    cs = None;
                } else if rr == Some(depth) {
                    rr_done = true;
                }
            }
        }
        Some(())
    })?;
    rr?;
    if let Some((command_id, state)) = state {
        let exit_code = if exit_done {
            Some(exit_text.trimmed().parse().ok()?)
        } else {
            None
        };
        out.command_state = Some(CommandState {
            command_id,
            state,
            exit_code,
        });
    }
    Some(out)
}
