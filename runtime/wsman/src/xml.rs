//! A small namespace-resolved element tree over quick-xml, for WS-Man responses.
//!
//! Responses are matched by namespace URI, never by prefix: Windows uses `s:`/`a:`/`w:`/`rsp:`,
//! other servers use their own prefixes. Each element keeps the byte span it came from so
//! `Get`/`Enumerate` can hand back the server's XML verbatim.

use std::ops::Range;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::error::Error;

/// Deepest nesting accepted from the network (a SOAP response is < 20 deep).
pub(crate) const MAX_DEPTH: usize = 128;

/// One element: namespace URI, local name, attributes, children and direct text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub ns: String,
    pub name: String,
    /// (namespace URI or "" for unqualified attributes, local name, value)
    pub attrs: Vec<(String, String, String)>,
    pub children: Vec<Element>,
    pub text: String,
    /// Byte range of the whole element (start tag to end tag) in the parsed document.
    pub span: Range<usize>,
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns == ns
    }

    /// The first child with this namespace and local name.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// Depth-first search for the first descendant (or self) with this name.
    pub fn find(&self, ns: &str, name: &str) -> Option<&Element> {
        if self.is(ns, name) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(ns, name))
    }

    /// An unqualified attribute's value (WS-Man attributes such as `Name`, `CommandId`, `Code`).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, n, _)| ns.is_empty() && n == name)
            .map(|(_, _, v)| v.as_str())
    }

    /// Direct text, trimmed.
    pub fn text_trim(&self) -> &str {
        self.text.trim()
    }

    /// The text of a child element, trimmed.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name).map(Element::text_trim)
    }
}

fn ns_to_string<T: AsRef<[u8]> + ?Sized>(b: &T) -> String {
    String::from_utf8_lossy(b.as_ref()).into_owned()
}

fn resolved_ns(r: ResolveResult<'_>) -> String {
    match r {
        ResolveResult::Bound(ns) => ns_to_string(ns.as_ref()),
        _ => String::new(),
    }
}

fn open(reader: &NsReader<&[u8]>, e: &BytesStart<'_>, start: usize) -> Result<Element, Error> {
    let (ns, local) = reader.resolver().resolve_element(e.name());
    let mut el = Element {
        ns: resolved_ns(ns),
        name: ns_to_string(local.as_ref()),
        span: start..start,
        ..Element::default()
    };
    for attr in e.attributes() {
        let attr = attr.map_err(|e| Error::Protocol(format!("bad XML attribute: {e}")))?;
        let key = attr.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (ans, alocal) = reader.resolver().resolve_attribute(key);
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| Error::Protocol(format!("bad XML attribute value: {e}")))?;
        el.attrs.push((
            resolved_ns(ans),
            ns_to_string(alocal.as_ref()),
            value.into_owned(),
        ));
    }
    Ok(el)
}

/// Parses a document and returns its root element.
pub fn parse(doc: &str) -> Result<Element, Error> {
    let mut reader = NsReader::from_str(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| Error::Protocol(format!("malformed XML in response: {e}")))?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::Protocol("XML nested too deep".into()));
                }
                let el = open(&reader, &e, before)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let mut el = open(&reader, &e, before)?;
                el.span = before..after;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| Error::Protocol("unbalanced XML end tag".into()))?;
                el.span = el.span.start..after;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let ch = r
                    .resolve_char_ref()
                    .map_err(|e| Error::Protocol(format!("bad character reference: {e}")))?;
                let top = stack.last_mut();
                match (ch, top) {
                    (Some(c), Some(top)) => top.text.push(c),
                    (None, Some(top)) => {
                        let name: String = (*r).to_owned();
                        let rep = quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| Error::Protocol(format!("unknown entity &{name};")))?;
                        top.text.push_str(rep);
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            Event::DocType(_) => {
                return Err(Error::Protocol("DOCTYPE is not allowed in SOAP".into()));
            }
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(Error::Protocol(
            "XML document ends inside an element".into(),
        ));
    }
    root.ok_or_else(|| Error::Protocol("empty XML document".into()))
}

/// Escapes text or attribute content for the envelopes we write.
pub(crate) fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_namespaces_not_prefixes() {
        let doc = r#"<a:Root xmlns:a="urn:x" xmlns:b="urn:y"><b:Child Name="n&amp;1">t&lt;1&#65;</b:Child><x xmlns="urn:y"/></a:Root>"#;
        let root = parse(doc).expect("parse");
        assert!(root.is("urn:x", "Root"));
        let c = root.child("urn:y", "Child").expect("child");
        assert_eq!(c.attr("Name"), Some("n&1"));
        assert_eq!(c.text, "t<1A");
        assert!(root.child("urn:y", "x").is_some());
        assert_eq!(
            &doc[c.span.clone()],
            r#"<b:Child Name="n&amp;1">t&lt;1&#65;</b:Child>"#
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "</a>",
            "<a x='1' x='2'/>",
            "<!DOCTYPE x><x/>",
            "<a>&bogus;</a>",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
    }
}
