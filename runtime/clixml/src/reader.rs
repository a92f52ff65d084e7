//! The CLIXML reader (MS-PSRP 2.2.5): recursive descent over the tokens of [`crate::lexer`].
//!
//! Text is borrowed from the input and only copied into the resulting `String`s; `<TNRef>`
//! and `<Ref>` share `Arc`s, so no input can make the output larger than a constant times the
//! input.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;

use crate::error::{Error, LimitKind, line_column};
use crate::escape::decode_string;
use crate::lexer::{EntityError, LexError, Lexer, StartTag, Token, is_xml_ws, unescape};
use crate::limits::Limits;
use crate::value::{
    DateTime, Decimal, Duration, ListKind, ObjContent, Property, PsObject, Value, Version,
};

/// Reads CLIXML: zero or more top-level values, or one `<Objs>` document.
pub fn from_str(input: &str) -> Result<Vec<Value>, Error> {
    from_str_with(input, &Limits::DEFAULT)
}

/// [`from_str`] with explicit [`Limits`].
pub fn from_str_with(input: &str, limits: &Limits) -> Result<Vec<Value>, Error> {
    let input = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    if input.len() > limits.max_total_bytes {
        return Err(Error::Limit {
            line: 1,
            column: 1,
            limit: LimitKind::TotalBytes,
            max: limits.max_total_bytes,
        });
    }
    Parser::new(input, limits).document()
}

/// Reads CLIXML from UTF-8 bytes (a leading UTF-8 BOM is skipped).
pub fn from_bytes(input: &[u8]) -> Result<Vec<Value>, Error> {
    from_bytes_with(input, &Limits::DEFAULT)
}

/// [`from_bytes`] with explicit [`Limits`].
pub fn from_bytes_with(input: &[u8], limits: &Limits) -> Result<Vec<Value>, Error> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    match std::str::from_utf8(input) {
        Ok(s) => from_str_with(s, limits),
        Err(e) => {
            let valid = std::str::from_utf8(input.get(..e.valid_up_to()).unwrap_or_default())
                .unwrap_or_default();
            let (line, column) = line_column(valid, valid.len());
            Err(Error::Xml {
                line,
                column,
                message: "input is not valid UTF-8".into(),
            })
        }
    }
}

/// Where an element's value goes, from its tag name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    S,
    C,
    B,
    Dt,
    Ts,
    By,
    Sb,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    Sg,
    Db,
    D,
    Ba,
    G,
    Uri,
    Version,
    Xd,
    Sbk,
    Ss,
    Nil,
    Obj,
    Ref,
}

impl Tag {
    #[inline]
    fn of(name: &[u8]) -> Option<Tag> {
        Some(match name {
            b"S" => Tag::S,
            b"I32" => Tag::I32,
            b"Obj" => Tag::Obj,
            b"B" => Tag::B,
            b"Nil" => Tag::Nil,
            b"Ref" => Tag::Ref,
            b"I64" => Tag::I64,
            b"DT" => Tag::Dt,
            b"C" => Tag::C,
            b"TS" => Tag::Ts,
            b"By" => Tag::By,
            b"SB" => Tag::Sb,
            b"U16" => Tag::U16,
            b"I16" => Tag::I16,
            b"U32" => Tag::U32,
            b"U64" => Tag::U64,
            b"Sg" => Tag::Sg,
            b"Db" => Tag::Db,
            b"D" => Tag::D,
            b"BA" => Tag::Ba,
            b"G" => Tag::G,
            b"URI" => Tag::Uri,
            b"Version" => Tag::Version,
            b"XD" => Tag::Xd,
            b"SBK" => Tag::Sbk,
            b"SS" => Tag::Ss,
            _ => return None,
        })
    }
}

/// RefId → item. PowerShell numbers RefIds 0, 1, 2, …: those live in a vector indexed by the
/// number (no hashing); any other spelling (the spec's `RefId-0`, huge numbers) in a map.
struct RefTable<'a, T> {
    dense: Vec<Option<T>>,
    other: HashMap<Cow<'a, str>, T>,
    inserted: usize,
}

impl<T> Default for RefTable<'_, T> {
    fn default() -> Self {
        RefTable {
            dense: Vec::new(),
            other: HashMap::new(),
            inserted: 0,
        }
    }
}

impl<'a, T> RefTable<'a, T> {
    /// The number of a canonical decimal RefId (`0`, `17`; not `017` or `RefId-0`).
    #[inline]
    fn number(id: &str) -> Option<usize> {
        let b = id.as_bytes();
        if b.is_empty()
            || b.len() > 9
            || (b.len() > 1 && b[0] == b'0')
            || !b.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        Some(
            b.iter()
                .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0')),
        )
    }

    #[inline]
    fn get(&self, id: &str) -> Option<&T> {
        // An id stored in the map while the vector was short may be covered by it now: the
        // vector holds the later definition if there is one.
        Self::number(id)
            .and_then(|i| self.dense.get(i))
            .and_then(Option::as_ref)
            .or_else(|| self.other.get(id))
    }

    #[inline]
    fn insert(&mut self, id: Cow<'a, str>, item: T) {
        // Dense only while the vector stays within twice the number of ids defined, so
        // sparse or huge RefIds cannot make it large: memory stays linear in the input.
        self.inserted += 1;
        let bound = self.inserted.saturating_mul(2).saturating_add(1024);
        match Self::number(&id).filter(|n| *n < bound) {
            Some(i) => {
                if i >= self.dense.len() {
                    self.dense.resize_with(i + 1, || None);
                }
                if let Some(slot) = self.dense.get_mut(i) {
                    *slot = Some(item);
                }
            }
            None => {
                self.other.insert(id, item);
            }
        }
    }
}

/// The attributes CLIXML uses: `N` (property / entry name) and `RefId`.
struct Attrs<'a> {
    name: Option<Cow<'a, str>>,
    ref_id: Option<Cow<'a, str>>,
}

struct Parser<'a, 'l> {
    xml: Lexer<'a>,
    src: &'a str,
    limits: &'l Limits,
    objects: RefTable<'a, Arc<PsObject>>,
    type_names: RefTable<'a, Arc<[String]>>,
    ref_count: usize,
    text: String,
    prop_stack: Vec<Property>,
    item_stack: Vec<Value>,
    /// Where the last token began: structural errors point there.
    event_start: usize,
    /// Where the current element's text began: errors in a value's text point there.
    value_start: usize,
}

/// One event, reduced to what the grammar needs outside of text content.
enum Node<'a> {
    Start(StartTag<'a>),
    Empty(StartTag<'a>),
    End(&'a str),
    Eof,
}

impl<'a, 'l> Parser<'a, 'l> {
    fn new(src: &'a str, limits: &'l Limits) -> Self {
        Parser {
            xml: Lexer::new(src),
            src,
            limits,
            objects: RefTable::default(),
            type_names: RefTable::default(),
            ref_count: 0,
            text: String::new(),
            prop_stack: Vec::new(),
            item_stack: Vec::new(),
            event_start: 0,
            value_start: 0,
        }
    }

    fn here(&self) -> (usize, usize) {
        line_column(self.src, self.event_start)
    }

    fn invalid(&self, message: impl Into<String>) -> Error {
        let (line, column) = self.here();
        Error::Invalid {
            line,
            column,
            message: message.into(),
        }
    }

    /// An error in the text of the current value.
    fn invalid_value(&self, message: impl Into<String>) -> Error {
        let (line, column) = line_column(self.src, self.value_start);
        Error::Invalid {
            line,
            column,
            message: message.into(),
        }
    }

    fn limit(&self, limit: LimitKind, max: usize) -> Error {
        let (line, column) = self.here();
        Error::Limit {
            line,
            column,
            limit,
            max,
        }
    }

    fn xml_error(&self, offset: usize, message: impl Into<String>) -> Error {
        let (line, column) = line_column(self.src, offset);
        Error::Xml {
            line,
            column,
            message: message.into(),
        }
    }

    fn lex_error(&self, e: LexError) -> Error {
        self.xml_error(e.offset, e.message)
    }

    #[inline]
    fn token(&mut self) -> Result<Token<'a>, Error> {
        self.event_start = self.xml.pos();
        self.xml.next_token().map_err(|e| self.lex_error(e))
    }

    /// Character data with entities and line ends resolved; `at` is where `raw` begins.
    #[inline]
    fn unescape(&self, raw: &'a str, at: usize) -> Result<Cow<'a, str>, Error> {
        unescape(raw).map_err(|e| match e {
            EntityError::Unknown(i, name) => {
                let (line, column) = line_column(self.src, at + i);
                Error::Invalid {
                    line,
                    column,
                    message: format!("unknown entity &{name};"),
                }
            }
            EntityError::Malformed(i) => {
                self.xml_error(at + i, "malformed entity or character reference")
            }
        })
    }

    /// The next markup event, skipping whitespace, comments, processing instructions and the
    /// XML declaration. Other text here is an error (CLIXML elements hold elements or text,
    /// never both).
    #[inline]
    fn node(&mut self) -> Result<Node<'a>, Error> {
        loop {
            match self.token()? {
                Token::Start(e) => return Ok(Node::Start(e)),
                Token::Empty(e) => return Ok(Node::Empty(e)),
                Token::End(e) => return Ok(Node::End(e)),
                Token::Eof => return Ok(Node::Eof),
                Token::Text(t) => {
                    if !t.bytes().all(is_xml_ws) {
                        return Err(self.invalid("unexpected text between elements"));
                    }
                }
                Token::Comment | Token::Pi | Token::Decl => {}
                Token::CData(_) => {
                    return Err(self.invalid("unexpected text between elements"));
                }
                Token::DocType => return Err(self.invalid("DOCTYPE is not allowed")),
            }
        }
    }

    #[inline]
    fn attrs(&self, e: &StartTag<'a>) -> Result<Attrs<'a>, Error> {
        let mut attrs = Attrs {
            name: None,
            ref_id: None,
        };
        let raw = e.attrs;
        if raw.is_empty() || Self::plain_attrs(raw, &mut attrs) {
            return Ok(attrs);
        }
        attrs = Attrs {
            name: None,
            ref_id: None,
        };
        // A hand-rolled scan of `S Name S? '=' S? AttValue` (XML 1.0 §3.1): CLIXML elements
        // carry at most `N` and `RefId`, and this is the hottest path of the reader.
        let bytes = raw.as_bytes();
        let is_ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let mut i = 0;
        loop {
            while i < bytes.len() && is_ws(bytes[i]) {
                i += 1;
            }
            if i >= bytes.len() {
                return Ok(attrs);
            }
            let name_start = i;
            while i < bytes.len() && !is_ws(bytes[i]) && bytes[i] != b'=' {
                i += 1;
            }
            let key = &raw[name_start..i];
            while i < bytes.len() && is_ws(bytes[i]) {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') || key.is_empty() {
                return Err(self.malformed_attribute());
            }
            i += 1;
            while i < bytes.len() && is_ws(bytes[i]) {
                i += 1;
            }
            let quote = match bytes.get(i) {
                Some(q @ (b'"' | b'\'')) => *q,
                _ => return Err(self.malformed_attribute()),
            };
            i += 1;
            let Some(len) = memchr::memchr(quote, &bytes[i..]) else {
                return Err(self.malformed_attribute());
            };
            let value = &raw[i..i + len];
            i += len + 1;
            if i < bytes.len() && !is_ws(bytes[i]) {
                return Err(self.malformed_attribute());
            }
            let is_name = match key {
                "N" => true,
                "RefId" => false,
                _ => {
                    if value.contains('<') {
                        return Err(self.malformed_attribute());
                    }
                    continue;
                }
            };
            // One pass: `<` is ill-formed; entities, line ends and `_x` need the slow path.
            let mut special = false;
            for b in value.bytes() {
                if ATTR_SPECIAL[usize::from(b)] {
                    if b == b'<' {
                        return Err(self.malformed_attribute());
                    }
                    special = true;
                }
            }
            let value = if special {
                // XML 1.0 §3.3.3: line ends become one LF, then each literal whitespace
                // character a space (character references are kept as they are).
                let spaced = value.replace("\r\n", " ").replace(['\r', '\n', '\t'], " ");
                let attr = quick_xml::events::attributes::Attribute {
                    key: quick_xml::name::QName(key),
                    value: Cow::Borrowed(spaced.as_str()),
                };
                let normalized = attr
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| self.xml_error(self.event_start, e.to_string()))?;
                Cow::Owned(decode_string(&normalized).into_owned())
            } else {
                // No entity, no line end to normalize, no `_x` escape.
                Cow::Borrowed(value)
            };
            if is_name {
                attrs.name = Some(value);
            } else {
                attrs.ref_id = Some(value);
            }
        }
    }

    /// The form PowerShell writes: ` N="…"` and/or ` RefId="…"`, one space before each,
    /// values without anything to resolve. Returns false (with `attrs` partly filled) for
    /// anything else, which [`Parser::attrs`] then reads in full.
    #[inline]
    fn plain_attrs(raw: &'a str, attrs: &mut Attrs<'a>) -> bool {
        let mut rest = raw;
        // `<Nil N="x" />`: the writer puts a space before `/>`.
        while !rest.is_empty() && rest != " " {
            let (after, is_name) = if let Some(r) = rest.strip_prefix(" N=\"") {
                (r, true)
            } else if let Some(r) = rest.strip_prefix(" RefId=\"") {
                (r, false)
            } else {
                return false;
            };
            let bytes = after.as_bytes();
            let mut len = 0;
            loop {
                match bytes.get(len) {
                    Some(b'"') => break,
                    Some(b) if !ATTR_SPECIAL[usize::from(*b)] => len += 1,
                    _ => return false,
                }
            }
            let (Some(value), Some(next)) = (after.get(..len), after.get(len + 1..)) else {
                return false;
            };
            let slot = if is_name {
                &mut attrs.name
            } else {
                &mut attrs.ref_id
            };
            *slot = Some(Cow::Borrowed(value));
            rest = next;
        }
        true
    }

    fn malformed_attribute(&self) -> Error {
        let (line, column) = self.here();
        Error::Xml {
            line,
            column,
            message: "malformed attribute".into(),
        }
    }

    fn document(mut self) -> Result<Vec<Value>, Error> {
        let mut out = Vec::new();
        let mut in_objs = false;
        loop {
            match self.node()? {
                Node::Eof => {
                    if in_objs {
                        return Err(self.invalid("missing </Objs>"));
                    }
                    return Ok(out);
                }
                Node::End(e) => {
                    if in_objs && e == "Objs" {
                        // Only trailing whitespace, comments or PIs may follow.
                        return match self.node()? {
                            Node::Eof => Ok(out),
                            _ => Err(self.invalid("content after </Objs>")),
                        };
                    }
                    return Err(self.invalid(format!("unexpected end tag </{e}>")));
                }
                Node::Start(e) if !in_objs && out.is_empty() && e.name == "Objs" => {
                    in_objs = true;
                }
                Node::Empty(e) if !in_objs && out.is_empty() && e.name == "Objs" => {
                    return match self.node()? {
                        Node::Eof => Ok(out),
                        _ => Err(self.invalid("content after <Objs/>")),
                    };
                }
                Node::Start(e) => {
                    self.check_len(out.len())?;
                    let (_, v) = self.value(e, false, 1)?;
                    out.push(v);
                }
                Node::Empty(e) => {
                    self.check_len(out.len())?;
                    let (_, v) = self.value(e, true, 1)?;
                    out.push(v);
                }
            }
        }
    }

    #[inline]
    fn check_len(&self, len: usize) -> Result<(), Error> {
        if len >= self.limits.max_container_len {
            return Err(self.limit(LimitKind::ContainerLen, self.limits.max_container_len));
        }
        Ok(())
    }

    #[inline]
    fn check_depth(&self, depth: usize) -> Result<(), Error> {
        if depth > self.limits.max_depth {
            return Err(self.limit(LimitKind::Depth, self.limits.max_depth));
        }
        Ok(())
    }

    fn count_ref(&mut self) -> Result<(), Error> {
        self.ref_count += 1;
        if self.ref_count > self.limits.max_refs {
            return Err(self.limit(LimitKind::Refs, self.limits.max_refs));
        }
        Ok(())
    }

    /// Reads the text content of the element `tag` up to its end tag, with entities and
    /// character references resolved and line ends normalized (XML 1.0 §2.11); `_xHHHH_` is
    /// left for the caller.
    #[inline]
    fn text(&mut self, tag: &str) -> Result<Cow<'a, str>, Error> {
        // Fast path: plain text, then this element's end tag (almost every primitive).
        let at = self.xml.pos();
        if let Some(raw) = self.xml.simple_text(tag) {
            let text = self.unescape(raw, at)?;
            if text.len() > self.limits.max_string_len {
                self.event_start = at;
                return Err(self.limit(LimitKind::StringLen, self.limits.max_string_len));
            }
            return Ok(text);
        }
        self.text_slow(tag)
    }

    /// [`Parser::text`] with comments, processing instructions and CDATA sections between
    /// the pieces of text.
    fn text_slow(&mut self, tag: &str) -> Result<Cow<'a, str>, Error> {
        let mut first: Option<Cow<'a, str>> = None;
        let mut owned = false;
        self.text.clear();
        loop {
            let at = self.xml.pos();
            match self.token()? {
                Token::Text(raw) => {
                    let chunk = self.unescape(raw, at)?;
                    self.push_text(&mut first, &mut owned, chunk)?;
                }
                Token::CData(raw) => {
                    // Line ends are normalized in CDATA too; it has no entities.
                    let chunk = if raw.contains('\r') {
                        Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
                    } else {
                        Cow::Borrowed(raw)
                    };
                    self.push_text(&mut first, &mut owned, chunk)?;
                }
                Token::Comment | Token::Pi => {}
                Token::End(e) => {
                    if e != tag {
                        return Err(self.invalid(format!("expected </{tag}>, found </{e}>")));
                    }
                    return Ok(if owned {
                        Cow::Owned(std::mem::take(&mut self.text))
                    } else {
                        first.unwrap_or(Cow::Borrowed(""))
                    });
                }
                Token::Start(e) | Token::Empty(e) => {
                    return Err(self.invalid(format!("unexpected element <{}> in <{tag}>", e.name)));
                }
                Token::Eof => return Err(self.invalid(format!("missing </{tag}>"))),
                Token::Decl | Token::DocType => {
                    return Err(self.invalid(format!("unexpected declaration in <{tag}>")));
                }
            }
        }
    }

    #[inline]
    fn push_text(
        &mut self,
        first: &mut Option<Cow<'a, str>>,
        owned: &mut bool,
        chunk: Cow<'a, str>,
    ) -> Result<(), Error> {
        if *owned {
            self.text.push_str(&chunk);
        } else if let Some(prev) = first.take() {
            self.text.push_str(&prev);
            self.text.push_str(&chunk);
            *owned = true;
        } else {
            *first = Some(chunk);
        }
        let len = if *owned {
            self.text.len()
        } else {
            first.as_ref().map_or(0, |s| s.len())
        };
        if len > self.limits.max_string_len {
            return Err(self.limit(LimitKind::StringLen, self.limits.max_string_len));
        }
        Ok(())
    }

    /// Text of an element that may be empty (`<S/>`).
    #[inline]
    fn content(&mut self, tag: &str, empty: bool) -> Result<Cow<'a, str>, Error> {
        if empty {
            Ok(Cow::Borrowed(""))
        } else {
            self.text(tag)
        }
    }

    fn string(&mut self, tag: &str, empty: bool) -> Result<String, Error> {
        let raw = self.content(tag, empty)?;
        Ok(match decode_string(&raw) {
            Cow::Borrowed(s) => s.to_owned(),
            Cow::Owned(s) => s,
        })
    }

    fn number<T: std::str::FromStr>(&mut self, tag: &str, empty: bool) -> Result<T, Error> {
        let raw = self.content(tag, empty)?;
        raw.trim_matches(is_xml_ws_char)
            .parse::<T>()
            .map_err(|_| self.invalid_value(format!("invalid <{tag}> value {:?}", clip(&raw))))
    }

    /// Reads one value element whose start tag was just read. Returns its `N` attribute.
    fn value(
        &mut self,
        start: StartTag<'a>,
        empty: bool,
        depth: usize,
    ) -> Result<(Option<Cow<'a, str>>, Value), Error> {
        self.check_depth(depth)?;
        let tag_str = start.name;
        let Some(tag) = Tag::of(tag_str.as_bytes()) else {
            return Err(self.invalid(format!("unknown element <{tag_str}>")));
        };
        let attrs = self.attrs(&start)?;
        self.value_start = self.xml.pos();
        let value = match tag {
            Tag::S => Value::String(self.string("S", empty)?),
            Tag::I32 => Value::I32(self.number("I32", empty)?),
            Tag::Obj => Value::Object(self.object(attrs.ref_id.clone(), empty, depth)?),
            Tag::Nil => {
                if !empty {
                    let t = self.text("Nil")?;
                    if !t.trim_matches(is_xml_ws_char).is_empty() {
                        return Err(self.invalid_value("<Nil> must be empty"));
                    }
                }
                Value::Null
            }
            Tag::Ref => {
                if !empty {
                    let t = self.text("Ref")?;
                    if !t.trim_matches(is_xml_ws_char).is_empty() {
                        return Err(self.invalid_value("<Ref> must be empty"));
                    }
                }
                let Some(id) = attrs.ref_id.as_deref() else {
                    return Err(self.invalid("<Ref> without RefId"));
                };
                match self.objects.get(id) {
                    Some(o) => Value::Object(Arc::clone(o)),
                    None => {
                        return Err(self.invalid(format!(
                            "<Ref RefId={:?}> names no earlier <Obj>",
                            clip(id)
                        )));
                    }
                }
            }
            Tag::B => {
                let raw = self.content("B", empty)?;
                match raw.trim_matches(is_xml_ws_char) {
                    "true" | "1" => Value::Bool(true),
                    "false" | "0" => Value::Bool(false),
                    other => {
                        return Err(
                            self.invalid_value(format!("invalid <B> value {:?}", clip(other)))
                        );
                    }
                }
            }
            Tag::C => Value::Char(self.number("C", empty)?),
            Tag::Dt => Value::DateTime(DateTime(self.trimmed("DT", empty)?)),
            Tag::Ts => Value::Duration(Duration(self.trimmed("TS", empty)?)),
            Tag::By => Value::U8(self.number("By", empty)?),
            Tag::Sb => Value::I8(self.number("SB", empty)?),
            Tag::U16 => Value::U16(self.number("U16", empty)?),
            Tag::I16 => Value::I16(self.number("I16", empty)?),
            Tag::U32 => Value::U32(self.number("U32", empty)?),
            Tag::U64 => Value::U64(self.number("U64", empty)?),
            Tag::I64 => Value::I64(self.number("I64", empty)?),
            Tag::Sg => {
                let raw = self.content("Sg", empty)?;
                match crate::float::parse_f32(&raw) {
                    Some(v) => Value::Float(v),
                    None => {
                        return Err(
                            self.invalid_value(format!("invalid <Sg> value {:?}", clip(&raw)))
                        );
                    }
                }
            }
            Tag::Db => {
                let raw = self.content("Db", empty)?;
                match crate::float::parse_f64(&raw) {
                    Some(v) => Value::Double(v),
                    None => {
                        return Err(
                            self.invalid_value(format!("invalid <Db> value {:?}", clip(&raw)))
                        );
                    }
                }
            }
            Tag::D => {
                let text = self.trimmed("D", empty)?;
                if !crate::value::is_decimal_text(&text) {
                    return Err(self.invalid_value(format!("invalid <D> value {:?}", clip(&text))));
                }
                Value::Decimal(Decimal(text))
            }
            Tag::Ba => Value::Bytes(self.base64("BA", empty)?),
            Tag::Ss => Value::SecureString(self.base64("SS", empty)?),
            Tag::G => {
                let raw = self.content("G", empty)?;
                match uuid::Uuid::try_parse(raw.trim_matches(is_xml_ws_char)) {
                    Ok(g) => Value::Guid(g),
                    Err(_) => {
                        return Err(
                            self.invalid_value(format!("invalid <G> value {:?}", clip(&raw)))
                        );
                    }
                }
            }
            Tag::Uri => Value::Uri(self.string("URI", empty)?),
            Tag::Version => {
                let raw = self.content("Version", empty)?;
                match raw.trim_matches(is_xml_ws_char).parse::<Version>() {
                    Ok(v) => Value::Version(v),
                    Err(_) => {
                        return Err(
                            self.invalid_value(format!("invalid <Version> value {:?}", clip(&raw)))
                        );
                    }
                }
            }
            Tag::Xd => Value::XmlDocument(self.string("XD", empty)?),
            Tag::Sbk => Value::ScriptBlock(self.string("SBK", empty)?),
        };
        Ok((attrs.name, value))
    }

    fn trimmed(&mut self, tag: &str, empty: bool) -> Result<String, Error> {
        let raw = self.content(tag, empty)?;
        Ok(decode_string(raw.trim_matches(is_xml_ws_char)).into_owned())
    }

    fn base64(&mut self, tag: &str, empty: bool) -> Result<Vec<u8>, Error> {
        let raw = self.content(tag, empty)?;
        let compact: Cow<'_, str> = if raw.bytes().any(|b| XML_WS.contains(&char::from(b))) {
            Cow::Owned(raw.chars().filter(|c| !XML_WS.contains(c)).collect())
        } else {
            Cow::Borrowed(&raw)
        };
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| self.invalid_value(format!("invalid base64 in <{tag}>")))
    }

    /// Reads `<Obj>` after its start tag (MS-PSRP 2.2.5.2).
    fn object(
        &mut self,
        ref_id: Option<Cow<'a, str>>,
        empty: bool,
        depth: usize,
    ) -> Result<Arc<PsObject>, Error> {
        let mut obj = PsObject::default();
        if !empty {
            loop {
                let (start, is_empty) = match self.node()? {
                    Node::Start(e) => (e, false),
                    Node::Empty(e) => (e, true),
                    Node::End(e) => {
                        if e != "Obj" {
                            return Err(self.invalid(format!("expected </Obj>, found </{e}>")));
                        }
                        break;
                    }
                    Node::Eof => return Err(self.invalid("missing </Obj>")),
                };
                let name = start.name;
                match name {
                    "TN" => {
                        let attrs = self.attrs(&start)?;
                        let names = self.type_name_list(is_empty)?;
                        if let Some(id) = attrs.ref_id {
                            self.count_ref()?;
                            self.type_names.insert(id, Arc::clone(&names));
                        }
                        self.set_once(&mut obj.type_names, names, "TN")?;
                    }
                    "TNRef" => {
                        let attrs = self.attrs(&start)?;
                        if !is_empty {
                            self.expect_end("TNRef")?;
                        }
                        let Some(id) = attrs.ref_id.as_deref() else {
                            return Err(self.invalid("<TNRef> without RefId"));
                        };
                        let Some(names) = self.type_names.get(id).cloned() else {
                            return Err(self.invalid(format!(
                                "<TNRef RefId={:?}> names no earlier <TN>",
                                clip(id)
                            )));
                        };
                        self.set_once(&mut obj.type_names, names, "TN")?;
                    }
                    "ToString" => {
                        let s = self.string("ToString", is_empty)?;
                        self.set_once(&mut obj.to_string, s, "ToString")?;
                    }
                    "Props" => {
                        if !obj.adapted.is_empty() {
                            return Err(self.invalid("more than one <Props>"));
                        }
                        obj.adapted = self.properties("Props", is_empty, depth + 1)?;
                    }
                    "MS" => {
                        if !obj.extended.is_empty() {
                            return Err(self.invalid("more than one <MS>"));
                        }
                        obj.extended = self.properties("MS", is_empty, depth + 1)?;
                    }
                    "LST" | "IE" | "STK" | "QUE" => {
                        let kind = match name {
                            "LST" => ListKind::List,
                            "IE" => ListKind::Enumerable,
                            "STK" => ListKind::Stack,
                            _ => ListKind::Queue,
                        };
                        let tag: &'static str = match kind {
                            ListKind::List => "LST",
                            ListKind::Enumerable => "IE",
                            ListKind::Stack => "STK",
                            ListKind::Queue => "QUE",
                        };
                        let items = self.list(tag, is_empty, depth + 1)?;
                        self.set_content(&mut obj, ObjContent::List(kind, items))?;
                    }
                    "DCT" => {
                        let entries = self.dict(is_empty, depth + 1)?;
                        self.set_content(&mut obj, ObjContent::Dict(entries))?;
                    }
                    _ => {
                        let (_, v) = self.value(start, is_empty, depth + 1)?;
                        self.set_content(&mut obj, ObjContent::Value(v))?;
                    }
                }
            }
        }
        // Every object counts against `max_refs`, with a RefId or not: an object costs far
        // more memory than its shortest spelling (`<Obj/>`).
        self.count_ref()?;
        let obj = Arc::new(obj);
        if let Some(id) = ref_id {
            // A later definition of the same RefId wins: concatenated PSRP messages each
            // number their objects from 0.
            self.objects.insert(id, Arc::clone(&obj));
        }
        Ok(obj)
    }

    fn set_once<T>(&self, slot: &mut Option<T>, value: T, what: &str) -> Result<(), Error> {
        if slot.is_some() {
            return Err(self.invalid(format!("more than one <{what}> in <Obj>")));
        }
        *slot = Some(value);
        Ok(())
    }

    fn set_content(&self, obj: &mut PsObject, content: ObjContent) -> Result<(), Error> {
        if !matches!(obj.content, ObjContent::None) {
            return Err(self.invalid("<Obj> holds more than one value or container"));
        }
        obj.content = content;
        Ok(())
    }

    fn expect_end(&mut self, tag: &str) -> Result<(), Error> {
        match self.node()? {
            Node::End(e) if e == tag => Ok(()),
            _ => Err(self.invalid(format!("expected </{tag}>"))),
        }
    }

    /// `<TN><T>…</T>…</TN>` (MS-PSRP 2.2.5.2.3).
    fn type_name_list(&mut self, empty: bool) -> Result<Arc<[String]>, Error> {
        let mut names = Vec::new();
        if !empty {
            loop {
                match self.node()? {
                    Node::Start(e) if e.name == "T" => {
                        self.check_len(names.len())?;
                        names.push(self.string("T", false)?);
                    }
                    Node::Empty(e) if e.name == "T" => {
                        self.check_len(names.len())?;
                        names.push(String::new());
                    }
                    Node::End("TN") => break,
                    Node::Eof => return Err(self.invalid("missing </TN>")),
                    _ => return Err(self.invalid("<TN> may hold only <T> elements")),
                }
            }
        }
        Ok(names.into())
    }

    /// Children of `<Props>`/`<MS>`: values with an `N` attribute (2.2.5.2.4-5).
    fn properties(
        &mut self,
        tag: &'static str,
        empty: bool,
        depth: usize,
    ) -> Result<Vec<Property>, Error> {
        if empty {
            return Ok(Vec::new());
        }
        // Children collect on a shared stack, then move into one exactly-sized Vec.
        let base = self.prop_stack.len();
        self.check_depth(depth)?;
        loop {
            let (start, is_empty) = match self.node()? {
                Node::Start(e) => (e, false),
                Node::Empty(e) => (e, true),
                Node::End(e) if e == tag => {
                    return Ok(self.prop_stack.split_off(base));
                }
                Node::End(e) => {
                    return Err(self.invalid(format!("expected </{tag}>, found </{e}>")));
                }
                Node::Eof => return Err(self.invalid(format!("missing </{tag}>"))),
            };
            self.check_len(self.prop_stack.len() - base)?;
            if start.name == "MS" {
                // A property set nested in <MS> (MS-PSRP 2.2.5.2.9).
                let Some(name) = self.attrs(&start)?.name else {
                    return Err(self.invalid("property set <MS> without N attribute"));
                };
                let members = self.properties("MS", is_empty, depth + 1)?;
                self.prop_stack.push(Property {
                    name: name.into_owned(),
                    value: crate::value::property_set(members),
                });
                continue;
            }
            let (name, value) = self.value(start, is_empty, depth + 1)?;
            let Some(name) = name else {
                return Err(self.invalid(format!("property in <{tag}> without N attribute")));
            };
            self.prop_stack.push(Property {
                name: name.into_owned(),
                value,
            });
        }
    }

    /// Children of `<LST>`/`<IE>`/`<STK>`/`<QUE>` (2.2.5.2.6.1-3).
    fn list(&mut self, tag: &'static str, empty: bool, depth: usize) -> Result<Vec<Value>, Error> {
        if empty {
            return Ok(Vec::new());
        }
        let base = self.item_stack.len();
        self.check_depth(depth)?;
        loop {
            let (start, is_empty) = match self.node()? {
                Node::Start(e) => (e, false),
                Node::Empty(e) => (e, true),
                Node::End(e) if e == tag => {
                    return Ok(self.item_stack.split_off(base));
                }
                Node::End(e) => {
                    return Err(self.invalid(format!("expected </{tag}>, found </{e}>")));
                }
                Node::Eof => return Err(self.invalid(format!("missing </{tag}>"))),
            };
            self.check_len(self.item_stack.len() - base)?;
            let (_, value) = self.value(start, is_empty, depth + 1)?;
            self.item_stack.push(value);
        }
    }

    /// `<DCT><En><… N="Key">…<… N="Value">…</En>…</DCT>` (2.2.5.2.6.4).
    fn dict(&mut self, empty: bool, depth: usize) -> Result<Vec<(Value, Value)>, Error> {
        let mut entries = Vec::new();
        if empty {
            return Ok(entries);
        }
        self.check_depth(depth)?;
        loop {
            match self.node()? {
                Node::Start(e) if e.name == "En" => {
                    self.check_len(entries.len())?;
                    let mut key = None;
                    let mut value = None;
                    loop {
                        let (start, is_empty) = match self.node()? {
                            Node::Start(e) => (e, false),
                            Node::Empty(e) => (e, true),
                            Node::End("En") => break,
                            _ => return Err(self.invalid("malformed <En>")),
                        };
                        let (name, v) = self.value(start, is_empty, depth + 1)?;
                        match name.as_deref() {
                            Some("Key") if key.is_none() => key = Some(v),
                            Some("Value") if value.is_none() => value = Some(v),
                            _ => {
                                return Err(self.invalid(
                                    "<En> children must be one N=\"Key\" and one N=\"Value\"",
                                ));
                            }
                        }
                    }
                    match (key, value) {
                        (Some(k), Some(v)) => entries.push((k, v)),
                        _ => return Err(self.invalid("<En> without Key or Value")),
                    }
                }
                Node::End("DCT") => return Ok(entries),
                Node::Eof => return Err(self.invalid("missing </DCT>")),
                _ => return Err(self.invalid("<DCT> may hold only <En> elements")),
            }
        }
    }
}

/// Bytes of an attribute value that need a look: `<` (ill-formed), `&`, TAB/CR/LF, `_`.
static ATTR_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'<' as usize] = true;
    t[b'&' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'_' as usize] = true;
    t
};

const XML_WS: &[char] = &[' ', '\t', '\r', '\n'];

/// At most 40 characters of untrusted text, for error messages.
#[inline]
fn is_xml_ws_char(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}
