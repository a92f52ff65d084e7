//! The XML tokenizer under the CLIXML reader: just the XML 1.0 that CLIXML uses, over a `&str`.
//!
//! A general tokenizer (quick-xml) re-validates UTF-8 of every event and splits text at each
//! entity; CLIXML input is already a `&str`, and the reader wants a value's whole text at
//! once. Every token is a slice of the input cut at ASCII bytes (`<`, `>`, quotes,
//! whitespace), so slices are always on character boundaries. Non-validating like quick-xml:
//! element names are not checked against the XML Name production, end tags are matched by
//! the reader's grammar.

use std::borrow::Cow;

/// A start or empty-element tag: its name and its attribute text (from the first byte after
/// the name up to `>` or `/>`, unparsed).
pub(crate) struct StartTag<'a> {
    pub name: &'a str,
    pub attrs: &'a str,
}

pub(crate) enum Token<'a> {
    Start(StartTag<'a>),
    Empty(StartTag<'a>),
    /// `</name>` (trailing whitespace trimmed).
    End(&'a str),
    /// Character data up to the next `<` or the end, as written (entities and line ends not
    /// yet resolved: [`unescape`]).
    Text(&'a str),
    /// The content of `<![CDATA[…]]>`, as written.
    CData(&'a str),
    Comment,
    Pi,
    /// `<?xml …?>`
    Decl,
    /// `<!DOCTYPE`: never allowed in CLIXML, so not scanned further.
    DocType,
    Eof,
}

/// A syntax error at a byte offset of the input.
pub(crate) struct LexError {
    pub offset: usize,
    pub message: &'static str,
}

#[inline]
pub(crate) fn is_xml_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    /// Offset of the next unread byte.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// `src[a..b]`; both ends are at ASCII bytes or the input's ends by construction.
    #[inline]
    fn slice(&self, a: usize, b: usize) -> &'a str {
        self.src.get(a..b).unwrap_or_default()
    }

    fn error(offset: usize, message: &'static str) -> LexError {
        LexError { offset, message }
    }

    /// The raw text of a simple element body: text without markup, then `</tag>` exactly.
    /// Leaves the position unchanged and returns `None` for anything else (comments, CDATA,
    /// nested elements, a different end tag, the end of input).
    #[inline]
    pub fn simple_text(&mut self, tag: &str) -> Option<&'a str> {
        let bytes = self.src.as_bytes();
        let rest = bytes.get(self.pos..)?;
        let lt = memchr::memchr(b'<', rest)?;
        let after = rest.get(lt + 1..)?;
        let t = tag.as_bytes();
        if after.first() == Some(&b'/')
            && after.get(1..=t.len()) == Some(t)
            && after.get(t.len() + 1) == Some(&b'>')
        {
            let text = self.slice(self.pos, self.pos + lt);
            self.pos += lt + t.len() + 3;
            return Some(text);
        }
        None
    }

    /// The next token.
    pub fn next_token(&mut self) -> Result<Token<'a>, LexError> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let Some(&first) = bytes.get(start) else {
            return Ok(Token::Eof);
        };
        if first != b'<' {
            let end = memchr::memchr(b'<', bytes.get(start..).unwrap_or_default())
                .map_or(bytes.len(), |i| start + i);
            self.pos = end;
            return Ok(Token::Text(self.slice(start, end)));
        }
        match bytes.get(start + 1) {
            Some(b'/') => {
                let Some(gt) = memchr::memchr(b'>', bytes.get(start + 2..).unwrap_or_default())
                else {
                    return Err(Self::error(start, "unclosed end tag"));
                };
                let name = self.slice(start + 2, start + 2 + gt);
                self.pos = start + 3 + gt;
                Ok(Token::End(name.trim_end_matches([' ', '\t', '\r', '\n'])))
            }
            Some(b'?') => {
                let Some(end) =
                    memchr::memmem::find(bytes.get(start + 2..).unwrap_or_default(), b"?>")
                else {
                    return Err(Self::error(start, "unclosed processing instruction"));
                };
                let body = bytes.get(start + 2..start + 2 + end).unwrap_or_default();
                self.pos = start + 4 + end;
                let is_decl = body.starts_with(b"xml") && body.get(3).is_none_or(|b| is_xml_ws(*b));
                Ok(if is_decl { Token::Decl } else { Token::Pi })
            }
            Some(b'!') => {
                let rest = bytes.get(start..).unwrap_or_default();
                if rest.starts_with(b"<!--") {
                    let Some(end) = memchr::memmem::find(rest.get(4..).unwrap_or_default(), b"-->")
                    else {
                        return Err(Self::error(start, "unclosed comment"));
                    };
                    self.pos = start + 7 + end;
                    Ok(Token::Comment)
                } else if rest.starts_with(b"<![CDATA[") {
                    let Some(end) = memchr::memmem::find(rest.get(9..).unwrap_or_default(), b"]]>")
                    else {
                        return Err(Self::error(start, "unclosed CDATA section"));
                    };
                    self.pos = start + 12 + end;
                    Ok(Token::CData(self.slice(start + 9, start + 9 + end)))
                } else if rest
                    .get(2..9)
                    .is_some_and(|d| d.eq_ignore_ascii_case(b"DOCTYPE"))
                {
                    // Fatal for the reader: nothing after it is read.
                    self.pos = bytes.len();
                    Ok(Token::DocType)
                } else {
                    Err(Self::error(start, "unknown markup after `<!`"))
                }
            }
            Some(_) => self.start_tag(start),
            None => Err(Self::error(start, "unclosed tag")),
        }
    }

    /// `<name attrs>` or `<name attrs/>`, starting at the `<`. A `>` inside a quoted attribute
    /// value does not end the tag (XML 1.0 §3.1).
    fn start_tag(&mut self, start: usize) -> Result<Token<'a>, LexError> {
        let bytes = self.src.as_bytes();
        let mut i = start + 1;
        let gt = loop {
            let Some(off) = memchr::memchr3(b'>', b'"', b'\'', bytes.get(i..).unwrap_or_default())
            else {
                return Err(Self::error(start, "unclosed start tag"));
            };
            let at = i + off;
            match bytes.get(at) {
                Some(&q @ (b'"' | b'\'')) => {
                    let Some(close) = memchr::memchr(q, bytes.get(at + 1..).unwrap_or_default())
                    else {
                        return Err(Self::error(start, "unclosed attribute value"));
                    };
                    i = at + 2 + close;
                }
                _ => break at,
            }
        };
        self.pos = gt + 1;
        let empty = bytes.get(gt - 1) == Some(&b'/') && gt - 1 > start;
        let content_end = if empty { gt - 1 } else { gt };
        let content = bytes.get(start + 1..content_end).unwrap_or_default();
        let name_len = content
            .iter()
            .position(|b| is_xml_ws(*b))
            .unwrap_or(content.len());
        if name_len == 0 {
            return Err(Self::error(start, "missing element name"));
        }
        let tag = StartTag {
            name: self.slice(start + 1, start + 1 + name_len),
            attrs: self.slice(start + 1 + name_len, content_end),
        };
        Ok(if empty {
            Token::Empty(tag)
        } else {
            Token::Start(tag)
        })
    }
}

/// What [`unescape`] could not resolve.
pub(crate) enum EntityError {
    /// `&name;` with a name XML does not predefine (offset of the `&`, the name).
    Unknown(usize, String),
    /// `&` without `;`, or a malformed or out-of-range character reference.
    Malformed(usize),
}

/// Character data as XML 1.0 reads it: predefined entities and character references
/// resolved (§4.6, §4.1), CR LF and lone CR turned into LF (§2.11). Borrows when there is
/// nothing to do.
#[inline]
pub(crate) fn unescape(raw: &str) -> Result<Cow<'_, str>, EntityError> {
    let bytes = raw.as_bytes();
    let Some(first) = memchr::memchr2(b'&', b'\r', bytes) else {
        return Ok(Cow::Borrowed(raw));
    };
    unescape_from(raw, first).map(Cow::Owned)
}

fn unescape_from(raw: &str, first: usize) -> Result<String, EntityError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut start = 0;
    let mut i = first;
    loop {
        out.push_str(raw.get(start..i).unwrap_or_default());
        match bytes.get(i) {
            None => return Ok(out),
            Some(b'\r') => {
                out.push('\n');
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            Some(_) => {
                // `&`
                let rest = bytes.get(i + 1..).unwrap_or_default();
                let Some(semi) = memchr::memchr(b';', rest) else {
                    return Err(EntityError::Malformed(i));
                };
                let name = raw.get(i + 1..i + 1 + semi).unwrap_or_default();
                match name {
                    "lt" => out.push('<'),
                    "gt" => out.push('>'),
                    "amp" => out.push('&'),
                    "apos" => out.push('\''),
                    "quot" => out.push('"'),
                    _ => match name.strip_prefix('#') {
                        Some(num) => out.push(char_ref(num).ok_or(EntityError::Malformed(i))?),
                        // `&` followed by something that is no Name (XML 1.0 §2.3) before `;`.
                        None if name.is_empty()
                            || name.bytes().any(|b| is_xml_ws(b) || b == b'&' || b == b'<') =>
                        {
                            return Err(EntityError::Malformed(i));
                        }
                        None => {
                            let shown: String = name.chars().take(40).collect();
                            return Err(EntityError::Unknown(i, shown));
                        }
                    },
                }
                i += semi + 2;
            }
        }
        start = i;
        i = match memchr::memchr2(b'&', b'\r', bytes.get(i..).unwrap_or_default()) {
            Some(off) => i + off,
            None => bytes.len(),
        };
    }
}

/// `#x…` / `#…` after the `&#`: a character other than NUL (XML 1.0 §4.1).
fn char_ref(num: &str) -> Option<char> {
    let (digits, radix) = match num.strip_prefix('x') {
        Some(hex) => (hex, 16),
        None => (num, 10),
    };
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let cp = u32::from_str_radix(digits, radix).ok()?;
    if cp == 0 {
        return None;
    }
    char::from_u32(cp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<String> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = match lx.next_token() {
                Ok(t) => t,
                Err(e) => {
                    out.push(format!("error@{}", e.offset));
                    return out;
                }
            };
            out.push(match t {
                Token::Start(s) => format!("start {}|{}", s.name, s.attrs),
                Token::Empty(s) => format!("empty {}|{}", s.name, s.attrs),
                Token::End(n) => format!("end {n}"),
                Token::Text(t) => format!("text {t}"),
                Token::CData(t) => format!("cdata {t}"),
                Token::Comment => "comment".into(),
                Token::Pi => "pi".into(),
                Token::Decl => "decl".into(),
                Token::DocType => "doctype".into(),
                Token::Eof => return out,
            });
        }
    }

    #[test]
    fn tokenizes_clixml_shapes() {
        assert_eq!(
            tokens("<?xml version=\"1.0\"?><Obj RefId=\"0\"><S N='a>b'>x</S ><Nil/></Obj>"),
            [
                "decl",
                "start Obj| RefId=\"0\"",
                "start S| N='a>b'",
                "text x",
                "end S",
                "empty Nil|",
                "end Obj",
            ]
        );
        assert_eq!(
            tokens("<!-- c --><?pi x?><S><![CDATA[a<b]]></S>"),
            ["comment", "pi", "start S", "cdata a<b", "end S"]
                .map(|s| s.replace("start S", "start S|"))
        );
        assert_eq!(tokens("<!doctype x>"), ["doctype"]);
        for bad in [
            "<S N=\"x>y</S>",
            "<S",
            "</S",
            "<!-- x",
            "<![CDATA[x",
            "<!x>",
            "<",
            "< a>",
        ] {
            assert!(
                tokens(bad).last().is_some_and(|t| t.starts_with("error@")),
                "{bad}"
            );
        }
    }

    #[test]
    fn simple_text_needs_the_exact_end_tag() {
        let mut lx = Lexer::new("abc</S>rest");
        assert_eq!(lx.simple_text("S"), Some("abc"));
        assert_eq!(lx.pos(), 7);
        for src in ["abc</SS>", "abc<!--x--></S>", "abc</S", "abc"] {
            let mut lx = Lexer::new(src);
            assert_eq!(lx.simple_text("S"), None, "{src}");
            assert_eq!(lx.pos(), 0);
        }
    }

    #[test]
    fn unescape_resolves_entities_and_line_ends() {
        let ok = |s: &str| match unescape(s) {
            Ok(c) => c.into_owned(),
            Err(_) => "ERR".into(),
        };
        assert!(matches!(unescape("plain"), Ok(Cow::Borrowed("plain"))));
        assert_eq!(ok("a&lt;b&gt;&amp;&apos;&quot;"), "a<b>&'\"");
        assert_eq!(ok("&#x41;&#66;&#x1F600;"), "AB\u{1F600}");
        assert_eq!(ok("a\r\nb\rc\n"), "a\nb\nc\n");
        // A character reference to CR is kept (only literal line ends are normalized).
        assert_eq!(ok("a&#13;\nb"), "a\r\nb");
        for bad in [
            "&#0;",
            "&#xD800;",
            "&#x;",
            "&amp",
            "&#12a;",
            "&#x110000;",
            "&;",
            "&amo &lt;",
        ] {
            assert!(
                matches!(unescape(bad), Err(EntityError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(unescape("x&bogus;"), Err(EntityError::Unknown(1, n)) if n == "bogus"));
    }
}
