//! The CLIXML value model (MS-PSRP 2.2.5).
//!
//! Every value that crosses a PowerShell remoting boundary is one of these. The model keeps
//! what is needed to re-encode a value to an equal value: type names, ToString, adapted
//! (`<Props>`) and extended (`<MS>`) properties in wire order, and container kinds.
//! `<Ref>` back-references decode to a shared `Arc` of the same object, so a reference chain
//! never expands into copies (no billion-laughs blow-up) and the writer can emit `<Ref>` again.

use std::sync::Arc;

/// One CLIXML value: a primitive (MS-PSRP 2.2.5.1) or a complex object (2.2.5.2).
///
/// `==` is structural and compares each pair of shared objects once (see `eq.rs`).
#[derive(Debug, Clone)]
pub enum Value {
    /// `<Nil/>`
    Null,
    /// `<S>`, with `_xHHHH_` escapes already decoded.
    String(String),
    /// `<C>`: one UTF-16 code unit (may be a lone surrogate).
    Char(u16),
    /// `<B>`
    Bool(bool),
    /// `<DT>`
    DateTime(DateTime),
    /// `<TS>`
    Duration(Duration),
    /// `<By>`
    U8(u8),
    /// `<SB>`
    I8(i8),
    /// `<U16>`
    U16(u16),
    /// `<I16>`
    I16(i16),
    /// `<U32>`
    U32(u32),
    /// `<I32>`
    I32(i32),
    /// `<U64>`
    U64(u64),
    /// `<I64>`
    I64(i64),
    /// `<Sg>`
    Float(f32),
    /// `<Db>`
    Double(f64),
    /// `<D>`
    Decimal(Decimal),
    /// `<BA>` (base64 on the wire)
    Bytes(Vec<u8>),
    /// `<G>`
    Guid(uuid::Uuid),
    /// `<URI>`
    Uri(String),
    /// `<Version>`
    Version(Version),
    /// `<XD>`: the document text as sent.
    XmlDocument(String),
    /// `<SBK>`: the script block text.
    ScriptBlock(String),
    /// `<SS>`: the encrypted bytes as on the wire (base64-decoded); decrypted only with the
    /// session key (MS-PSRP 2.2.5.1.24, 3.1.4.7).
    SecureString(Vec<u8>),
    /// `<Obj>` (or a `<Ref>` to one seen earlier: same `Arc`).
    Object(Arc<PsObject>),
}

/// A `<DT>` value. Kept as the wire text (ISO 8601 with up to 7 fractional digits and an
/// optional offset) so round trips are exact; accessors parse it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTime(pub String);

/// A `<TS>` value: an XML Schema duration (`PT1H2M3.4S`), kept as wire text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Duration(pub String);

/// A `<D>` value (System.Decimal), kept as its decimal text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal(pub String);

/// A `<Version>` value: `major.minor[.build[.revision]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub major: i32,
    pub minor: i32,
    pub build: Option<i32>,
    pub revision: Option<i32>,
}

/// A complex object, `<Obj>` (MS-PSRP 2.2.5.2).
#[derive(Clone, Default)]
pub struct PsObject {
    /// `<TN>` (most derived first). Shared so `<TNRef>` costs nothing.
    pub type_names: Option<Arc<[String]>>,
    /// `<ToString>`
    pub to_string: Option<String>,
    /// What the object wraps: a primitive (enums, primitives with notes), a container, or nothing.
    pub content: ObjContent,
    /// `<Props>`: adapted properties, in wire order.
    pub adapted: Vec<Property>,
    /// `<MS>`: extended (note) properties, in wire order.
    pub extended: Vec<Property>,
}

/// A named member of `<Props>` or `<MS>` (the `N` attribute).
#[derive(Debug, Clone)]
pub struct Property {
    pub name: String,
    pub value: Value,
}

/// The part of an `<Obj>` that is neither type names, ToString nor properties.
#[derive(Debug, Clone, Default)]
pub enum ObjContent {
    #[default]
    None,
    /// A primitive inside the object: an enum's underlying integer (2.2.5.2.7), or a
    /// primitive carrying extra properties.
    Value(Value),
    /// `<LST>`, `<IE>`, `<STK>`, `<QUE>` (2.2.5.2.6.1–3).
    List(ListKind, Vec<Value>),
    /// `<DCT>`: `<En><Key/><Value/></En>` entries in wire order (2.2.5.2.6.4).
    Dict(Vec<(Value, Value)>),
}

/// Which list-like container an `<Obj>` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// `<LST>`: a list (System.Collections.ArrayList, object[], …).
    List,
    /// `<IE>`: an enumerable.
    Enumerable,
    /// `<STK>`: a stack.
    Stack,
    /// `<QUE>`: a queue.
    Queue,
}

impl Value {
    /// The string inside `<S>`, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object inside `<Obj>`, if this is one.
    pub fn as_object(&self) -> Option<&PsObject> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Wraps an object.
    pub fn object(o: PsObject) -> Value {
        Value::Object(Arc::new(o))
    }
}

impl PsObject {
    /// An object with the given type names (most derived first).
    pub fn with_type_names<I, S>(names: I) -> PsObject
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        PsObject {
            type_names: Some(names.into_iter().map(Into::into).collect()),
            ..PsObject::default()
        }
    }

    /// Looks a property up by name, extended (`<MS>`) first, then adapted (`<Props>`),
    /// ignoring ASCII case as PowerShell does.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.extended
            .iter()
            .chain(self.adapted.iter())
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| &p.value)
    }

    /// The type names, or an empty slice.
    pub fn type_names(&self) -> &[String] {
        self.type_names.as_deref().unwrap_or(&[])
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(b) = self.build {
            write!(f, ".{b}")?;
            if let Some(r) = self.revision {
                write!(f, ".{r}")?;
            }
        }
        Ok(())
    }
}

/// Why a `<Version>` text did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version {0:?}: expected major.minor[.build[.revision]]")]
pub struct ParseVersionError(pub String);

impl std::str::FromStr for Version {
    type Err = ParseVersionError;

    /// System.Version's syntax: two to four non-negative 32-bit components.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.chars().take(40).collect());
        let mut parts = [None; 4];
        let mut count = 0;
        for part in s.split('.') {
            let slot = parts.get_mut(count).ok_or_else(err)?;
            let trimmed = part.trim();
            if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'+') {
                return Err(err());
            }
            *slot = Some(trimmed.parse::<i32>().map_err(|_| err())?);
            count += 1;
        }
        match parts {
            [Some(major), Some(minor), build, revision] if count >= 2 => Ok(Version {
                major,
                minor,
                build,
                revision,
            }),
            _ => Err(err()),
        }
    }
}

impl Version {
    /// `major.minor`.
    pub fn new(major: i32, minor: i32) -> Version {
        Version {
            major,
            minor,
            build: None,
            revision: None,
        }
    }

    /// `major.minor.build.revision`.
    pub fn new4(major: i32, minor: i32, build: i32, revision: i32) -> Version {
        Version {
            major,
            minor,
            build: Some(build),
            revision: Some(revision),
        }
    }
}

/// Is this System.Decimal text as XmlConvert reads it: optional sign, digits, optional
/// fraction (no exponent)?
pub(crate) fn is_decimal_text(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    (!int.is_empty() || !frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

impl Value {
    /// The CLIXML element name of this value's kind (`S`, `I32`, `Obj`, …), for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "Nil",
            Value::String(_) => "S",
            Value::Char(_) => "C",
            Value::Bool(_) => "B",
            Value::DateTime(_) => "DT",
            Value::Duration(_) => "TS",
            Value::U8(_) => "By",
            Value::I8(_) => "SB",
            Value::U16(_) => "U16",
            Value::I16(_) => "I16",
            Value::U32(_) => "U32",
            Value::I32(_) => "I32",
            Value::U64(_) => "U64",
            Value::I64(_) => "I64",
            Value::Float(_) => "Sg",
            Value::Double(_) => "Db",
            Value::Decimal(_) => "D",
            Value::Bytes(_) => "BA",
            Value::Guid(_) => "G",
            Value::Uri(_) => "URI",
            Value::Version(_) => "Version",
            Value::XmlDocument(_) => "XD",
            Value::ScriptBlock(_) => "SBK",
            Value::SecureString(_) => "SS",
            Value::Object(_) => "Obj",
        }
    }

    /// The primitive this value stands for: itself, or the primitive wrapped by an `<Obj>`
    /// (an enum's integer, a string with note properties).
    pub fn primitive(&self) -> &Value {
        match self {
            Value::Object(o) => match &o.content {
                ObjContent::Value(v) => v.primitive(),
                _ => self,
            },
            other => other,
        }
    }

    /// Is this `<Nil/>`?
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl PsObject {
    /// Adds an adapted (`<Props>`) property.
    pub fn with_adapted(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.adapted.push(Property {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Adds an extended (`<MS>`) property.
    pub fn with_extended(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extended.push(Property {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Sets `<ToString>`.
    pub fn with_to_string(mut self, s: impl Into<String>) -> Self {
        self.to_string = Some(s.into());
        self
    }

    /// Sets the wrapped content.
    pub fn with_content(mut self, content: ObjContent) -> Self {
        self.content = content;
        self
    }

    /// Sets or replaces an extended property.
    pub fn set_extended(&mut self, name: &str, value: Value) {
        match self.extended.iter_mut().find(|p| p.name == name) {
            Some(p) => p.value = value,
            None => self.extended.push(Property {
                name: name.to_owned(),
                value,
            }),
        }
    }
}

impl From<PsObject> for Value {
    fn from(o: PsObject) -> Value {
        Value::object(o)
    }
}

/// The type name marking a property set (MS-PSRP 2.2.5.2.9: an `<MS N="…">` nested in `<MS>`).
/// A property set is modelled as a property whose value is an object with exactly this type
/// name and the set's members as extended properties. `#` cannot start a .NET type name, so
/// no real object is mistaken for one.
pub const PROPERTY_SET_TYPE_NAME: &str = "#PropertySet";

/// A property set value holding `members`.
pub fn property_set(members: Vec<Property>) -> Value {
    Value::object(PsObject {
        type_names: Some(Arc::from([PROPERTY_SET_TYPE_NAME.to_owned()])),
        extended: members,
        ..PsObject::default()
    })
}

/// The members of a property set value, if `v` is one.
pub fn as_property_set(v: &Value) -> Option<&[Property]> {
    let o = v.as_object()?;
    let is_set = o.type_names() == [PROPERTY_SET_TYPE_NAME]
        && o.to_string.is_none()
        && matches!(o.content, ObjContent::None)
        && o.adapted.is_empty();
    is_set.then_some(o.extended.as_slice())
}

impl Default for Value {
    /// `<Nil/>`.
    fn default() -> Self {
        Value::Null
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        crate::eq::values(self, other, &mut crate::eq::Memo::new())
    }
}

impl PartialEq for PsObject {
    fn eq(&self, other: &PsObject) -> bool {
        crate::eq::objects(self, other, &mut crate::eq::Memo::new())
    }
}

impl PartialEq for Property {
    fn eq(&self, other: &Property) -> bool {
        crate::eq::property(self, other, &mut crate::eq::Memo::new())
    }
}

impl PartialEq for ObjContent {
    fn eq(&self, other: &ObjContent) -> bool {
        crate::eq::contents(self, other, &mut crate::eq::Memo::new())
    }
}

/// Objects a single `{:?}` of a value may print before it elides the rest.
///
/// `<Ref>`s share one `Arc`, so a hostile reply of a few kilobytes can name an object 10^9
/// times; printing it in full would never finish.
const DEBUG_OBJECT_BUDGET: usize = 4096;

thread_local! {
    /// (nesting depth of PsObject Debug calls, objects printed in the outermost call)
    static DEBUG_STATE: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

impl std::fmt::Debug for PsObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (depth, printed) = DEBUG_STATE.with(|s| s.get());
        let printed = if depth == 0 { 0 } else { printed };
        if printed >= DEBUG_OBJECT_BUDGET {
            return f.write_str("PsObject { .. }");
        }
        DEBUG_STATE.with(|s| s.set((depth + 1, printed + 1)));
        let result = f
            .debug_struct("PsObject")
            .field("type_names", &self.type_names)
            .field("to_string", &self.to_string)
            .field("content", &self.content)
            .field("adapted", &self.adapted)
            .field("extended", &self.extended)
            .finish();
        DEBUG_STATE.with(|s| {
            let (_, printed) = s.get();
            s.set((depth, printed));
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_reference_bomb_is_bounded() {
        // Each level lists the previous object ten times by reference: 10^30 objects unshared.
        let mut v = Value::String("lol".into());
        for _ in 0..30 {
            let shared = Arc::new(PsObject {
                content: ObjContent::List(ListKind::List, vec![v.clone(); 10]),
                ..PsObject::default()
            });
            v = Value::Object(shared);
        }
        let text = format!("{v:?}");
        assert!(text.len() < 4 << 20, "{} bytes", text.len());
        assert!(text.contains("PsObject { .. }"));
        // A small object prints in full, and the budget resets for the next call.
        let small = Value::object(PsObject::with_type_names(["System.Object"]));
        let once = format!("{small:?}");
        assert!(
            once.contains("System.Object") && !once.contains(".."),
            "{once}"
        );
    }

    /// Two copies of a DAG in which each level lists the one below twice: 2^48 paths. A
    /// comparison that walked every path would not finish; pair by pair it is 48 steps.
    fn diamond(depth: usize, leaf: Value) -> Value {
        let mut v = leaf;
        for _ in 0..depth {
            v = Value::object(PsObject {
                content: ObjContent::List(ListKind::List, vec![v.clone(), v]),
                ..PsObject::default()
            });
        }
        v
    }

    #[test]
    fn equality_of_shared_objects_costs_their_size_not_their_expansion() {
        let a = diamond(48, Value::I32(1));
        assert_eq!(a, diamond(48, Value::I32(1)));
        assert_ne!(a, diamond(48, Value::I32(2)));
        // Decoded from text (30 levels: the default depth limit is 64 elements), the shares
        // come back as `<Ref>`s, and compare equal: 2^30 paths.
        let b = diamond(30, Value::I32(1));
        let back = crate::from_str(&crate::to_string(&b)).expect("decode");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0], b);
        // NaN is unequal to itself, as with the derived comparison, even when shared.
        let nan = diamond(3, Value::Double(f64::NAN));
        assert_ne!(nan, nan.clone());
        assert_ne!(Value::Double(f64::NAN), Value::Double(f64::NAN));
    }
}
