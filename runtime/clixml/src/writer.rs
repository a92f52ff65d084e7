//! The CLIXML writer: a hand-rolled, allocation-light serializer (MS-PSRP 2.2.5).
//!
//! Every `<Obj>` gets a `RefId`; an `Arc<PsObject>` met again (pointer-equal) is written as
//! `<Ref RefId>`, and a type-name list met again as `<TNRef>` (2.2.5.2.2-3), as PowerShell does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;

use crate::escape::{push_name_attr, push_text_element};
use crate::value::{ListKind, ObjContent, Property, PsObject, Value};

/// The `<Objs>` document namespace (Export-Clixml).
pub const CLIXML_NAMESPACE: &str = "http://schemas.microsoft.com/powershell/2004/04";

/// Writes one value (RefIds numbered from 0), as in a PSRP message body.
pub fn to_string(value: &Value) -> String {
    let mut w = Writer::new();
    w.value(value, None);
    w.out
}

/// Writes `<Objs Version="1.1.0.1" xmlns="…">` around the values, sharing one RefId space
/// (Export-Clixml's document form).
pub fn to_objs_document(values: &[Value]) -> String {
    let mut w = Writer::new();
    w.out.push_str("<Objs Version=\"1.1.0.1\" xmlns=\"");
    w.out.push_str(CLIXML_NAMESPACE);
    w.out.push_str("\">");
    for v in values {
        w.value(v, None);
    }
    w.out.push_str("</Objs>");
    w.out
}

/// A reusable writer: values written into one `Writer` share the RefId space.
#[derive(Default)]
pub struct Writer<'v> {
    out: String,
    objects: HashMap<*const PsObject, u32>,
    type_ptrs: HashMap<*const [String], u32>,
    type_lists: HashMap<&'v [String], u32>,
    next_obj: u32,
    next_tn: u32,
    // Keeps the objects whose addresses are map keys alive (they are borrowed from the values
    // for 'v anyway; this only documents the invariant).
    _values: std::marker::PhantomData<&'v Value>,
}

impl<'v> Writer<'v> {
    pub fn new() -> Self {
        Writer::default()
    }

    /// Appends one value.
    pub fn write(&mut self, value: &'v Value) {
        self.value(value, None);
    }

    /// The text written so far.
    pub fn into_string(self) -> String {
        self.out
    }

    #[inline]
    fn open(&mut self, tag: &str, name: Option<&str>) {
        self.out.push('<');
        self.out.push_str(tag);
        push_name_attr(&mut self.out, name);
        self.out.push('>');
    }

    #[inline]
    fn close(&mut self, tag: &str) {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
    }

    /// `<tag/>` as .NET's XmlWriter writes an empty element.
    #[inline]
    fn empty(&mut self, tag: &str, name: Option<&str>) {
        self.out.push('<');
        self.out.push_str(tag);
        push_name_attr(&mut self.out, name);
        self.out.push_str(" />");
    }

    #[inline]
    fn text_elem(&mut self, tag: &str, name: Option<&str>, text: &str) {
        // Windows writes an empty string as `<S></S>` (not `<S />`): the recordings show it.
        push_text_element(&mut self.out, tag, name, text);
    }

    #[inline]
    fn display_elem(&mut self, tag: &str, name: Option<&str>, v: impl std::fmt::Display) {
        self.open(tag, name);
        let _ = write!(self.out, "{v}");
        self.close(tag);
    }

    fn value(&mut self, value: &'v Value, name: Option<&str>) {
        match value {
            Value::Null => self.empty("Nil", name),
            Value::String(s) => self.text_elem("S", name, s),
            Value::Char(c) => self.display_elem("C", name, c),
            Value::Bool(b) => self.open_text("B", name, if *b { "true" } else { "false" }),
            Value::DateTime(d) => self.text_elem("DT", name, &d.0),
            Value::Duration(d) => self.text_elem("TS", name, &d.0),
            Value::U8(v) => self.display_elem("By", name, v),
            Value::I8(v) => self.display_elem("SB", name, v),
            Value::U16(v) => self.display_elem("U16", name, v),
            Value::I16(v) => self.display_elem("I16", name, v),
            Value::U32(v) => self.display_elem("U32", name, v),
            Value::I32(v) => self.display_elem("I32", name, v),
            Value::U64(v) => self.display_elem("U64", name, v),
            Value::I64(v) => self.display_elem("I64", name, v),
            Value::Float(v) => {
                self.open("Sg", name);
                crate::float::write_f32(&mut self.out, *v);
                self.close("Sg");
            }
            Value::Double(v) => {
                self.open("Db", name);
                crate::float::write_f64(&mut self.out, *v);
                self.close("Db");
            }
            Value::Decimal(d) => self.text_elem("D", name, &d.0),
            Value::Bytes(b) => self.base64("BA", name, b),
            Value::Guid(g) => {
                self.open("G", name);
                let mut buf = uuid::Uuid::encode_buffer();
                self.out.push_str(g.hyphenated().encode_lower(&mut buf));
                self.close("G");
            }
            Value::Uri(u) => self.text_elem("URI", name, u),
            Value::Version(v) => self.display_elem("Version", name, v),
            Value::XmlDocument(x) => self.text_elem("XD", name, x),
            Value::ScriptBlock(s) => self.text_elem("SBK", name, s),
            Value::SecureString(b) => self.base64("SS", name, b),
            Value::Object(o) => self.object(o, name),
        }
    }

    #[inline]
    fn open_text(&mut self, tag: &str, name: Option<&str>, raw: &str) {
        self.open(tag, name);
        self.out.push_str(raw);
        self.close(tag);
    }

    fn base64(&mut self, tag: &str, name: Option<&str>, bytes: &[u8]) {
        self.open(tag, name);
        base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut self.out);
        self.close(tag);
    }

    fn ref_attrs(&mut self, tag: &str, name: Option<&str>, id: u32, empty: bool) {
        self.out.push('<');
        self.out.push_str(tag);
        push_name_attr(&mut self.out, name);
        let _ = write!(self.out, " RefId=\"{id}\"");
        self.out.push_str(if empty { " />" } else { ">" });
    }

    fn object(&mut self, obj: &'v Arc<PsObject>, name: Option<&str>) {
        let ptr = Arc::as_ptr(obj);
        if let Some(id) = self.objects.get(&ptr) {
            let id = *id;
            self.ref_attrs("Ref", name, id, true);
            return;
        }
        let id = self.next_obj;
        self.next_obj += 1;
        self.objects.insert(ptr, id);
        self.ref_attrs("Obj", name, id, false);
        if let Some(names) = &obj.type_names {
            self.type_names(names);
        }
        if let Some(s) = &obj.to_string {
            self.text_elem("ToString", None, s);
        }
        match &obj.content {
            ObjContent::None => {}
            ObjContent::Value(v) => self.value(v, None),
            ObjContent::List(kind, items) => {
                let tag = match kind {
                    ListKind::List => "LST",
                    ListKind::Enumerable => "IE",
                    ListKind::Stack => "STK",
                    ListKind::Queue => "QUE",
                };
                if items.is_empty() {
                    self.empty(tag, None);
                } else {
                    self.open(tag, None);
                    for item in items {
                        self.value(item, None);
                    }
                    self.close(tag);
                }
            }
            ObjContent::Dict(entries) if entries.is_empty() => self.empty("DCT", None),
            ObjContent::Dict(entries) => {
                self.out.push_str("<DCT>");
                for (k, v) in entries {
                    self.out.push_str("<En>");
                    self.value(k, Some("Key"));
                    self.value(v, Some("Value"));
                    self.out.push_str("</En>");
                }
                self.out.push_str("</DCT>");
            }
        }
        if !obj.adapted.is_empty() {
            self.props("Props", &obj.adapted);
        }
        if !obj.extended.is_empty() {
            self.props("MS", &obj.extended);
        }
        self.close("Obj");
    }

    fn props(&mut self, tag: &str, props: &'v [Property]) {
        self.open(tag, None);
        for p in props {
            match crate::value::as_property_set(&p.value) {
                Some(members) => {
                    self.open("MS", Some(&p.name));
                    for m in members {
                        self.value(&m.value, Some(&m.name));
                    }
                    self.close("MS");
                }
                None => self.value(&p.value, Some(&p.name)),
            }
        }
        self.close(tag);
    }

    fn type_names(&mut self, names: &'v Arc<[String]>) {
        let ptr: *const [String] = Arc::as_ptr(names);
        let known = self
            .type_ptrs
            .get(&ptr)
            .or_else(|| self.type_lists.get(&names[..]))
            .copied();
        if let Some(id) = known {
            let _ = write!(self.out, "<TNRef RefId=\"{id}\" />");
            return;
        }
        let id = self.next_tn;
        self.next_tn += 1;
        self.type_ptrs.insert(ptr, id);
        self.type_lists.insert(&names[..], id);
        let _ = write!(self.out, "<TN RefId=\"{id}\">");
        for n in names.iter() {
            self.text_elem("T", None, n);
        }
        self.out.push_str("</TN>");
    }
}
