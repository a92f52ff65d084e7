//! Conversions between Rust types and [`Value`]s, used by generated stubs and the record types.
//!
//! `FromValue` is lenient the way PowerShell's parameter binding is for these types: an
//! `<Obj>` wrapping a primitive (an enum, a string with notes) converts like the primitive,
//! integers convert across widths when the value fits, `Vec<T>` accepts a single value as a
//! one-element list and `<Nil/>` as an empty one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::error::ConversionError;
use crate::value::{DateTime, Duration, ListKind, ObjContent, PsObject, Value, Version};

/// Converts a Rust value to CLIXML.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

/// Converts a CLIXML value to a Rust value.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, ConversionError>;
}

pub(crate) fn type_error(expected: &'static str, found: &Value) -> ConversionError {
    ConversionError::Type {
        expected,
        found: describe(found),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Object(o) => match o.type_names().first() {
            Some(t) => format!("<Obj> of type {t}"),
            None => "<Obj>".to_owned(),
        },
        other => format!("<{}>", other.kind_name()),
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        Ok(v.clone())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::String(self.to_owned())
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        match v.primitive() {
            Value::String(s) | Value::Uri(s) => Ok(s.clone()),
            other => Err(type_error("<S>", other)),
        }
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        match v.primitive() {
            Value::Bool(b) => Ok(*b),
            other => Err(type_error("<B>", other)),
        }
    }
}

/// The integer inside any integer value, widened.
fn as_i128(v: &Value) -> Option<i128> {
    Some(match v {
        Value::U8(x) => i128::from(*x),
        Value::I8(x) => i128::from(*x),
        Value::U16(x) => i128::from(*x),
        Value::I16(x) => i128::from(*x),
        Value::U32(x) => i128::from(*x),
        Value::I32(x) => i128::from(*x),
        Value::U64(x) => i128::from(*x),
        Value::I64(x) => i128::from(*x),
        _ => return None,
    })
}

macro_rules! integer {
    ($($t:ty => $variant:ident, $tag:literal;)*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::$variant(*self)
            }
        }

        impl FromValue for $t {
            fn from_value(v: &Value) -> Result<Self, ConversionError> {
                let p = v.primitive();
                let wide = as_i128(p).ok_or_else(|| type_error(concat!("<", $tag, ">"), p))?;
                <$t>::try_from(wide).map_err(|_| ConversionError::OutOfRange {
                    value: wide.to_string(),
                    target: stringify!($t),
                })
            }
        }

        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v)
            }
        }
    )*};
}

integer! {
    u8 => U8, "By";
    i8 => I8, "SB";
    u16 => U16, "U16";
    i16 => I16, "I16";
    u32 => U32, "U32";
    i32 => I32, "I32";
    u64 => U64, "U64";
    i64 => I64, "I64";
}

impl ToValue for f32 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
}

impl FromValue for f32 {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        match v.primitive() {
            Value::Float(f) => Ok(*f),
            other => Err(type_error("<Sg>", other)),
        }
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Double(*self)
    }
}

impl FromValue for f64 {
    /// Doubles, singles, and integers (exactly representable ones only).
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        let p = v.primitive();
        match p {
            Value::Double(f) => Ok(*f),
            Value::Float(f) => Ok(f64::from(*f)),
            _ => match as_i128(p) {
                Some(i) if i.unsigned_abs() <= 1u128 << 53 => Ok(i as f64),
                Some(i) => Err(ConversionError::OutOfRange {
                    value: i.to_string(),
                    target: "f64",
                }),
                None => Err(type_error("<Db>", p)),
            },
        }
    }
}

impl ToValue for char {
    /// `<C>` holds one UTF-16 code unit; a character outside the BMP becomes `<S>`.
    fn to_value(&self) -> Value {
        match u16::try_from(u32::from(*self)) {
            Ok(unit) => Value::Char(unit),
            Err(_) => Value::String(self.to_string()),
        }
    }
}

impl FromValue for char {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        match v.primitive() {
            Value::Char(unit) => {
                char::from_u32(u32::from(*unit)).ok_or_else(|| ConversionError::OutOfRange {
                    value: format!("0x{unit:04X}"),
                    target: "char (lone surrogate)",
                })
            }
            Value::String(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Ok(c),
                    _ => Err(ConversionError::Parse {
                        what: "char",
                        text: s.chars().take(40).collect(),
                    }),
                }
            }
            other => Err(type_error("<C>", other)),
        }
    }
}

macro_rules! simple {
    ($($t:ty => $variant:ident, $tag:literal;)*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::$variant(self.clone())
            }
        }

        impl FromValue for $t {
            fn from_value(v: &Value) -> Result<Self, ConversionError> {
                match v.primitive() {
                    Value::$variant(x) => Ok(x.clone()),
                    other => Err(type_error($tag, other)),
                }
            }
        }

        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v)
            }
        }
    )*};
}

simple! {
    uuid::Uuid => Guid, "<G>";
    Version => Version, "<Version>";
    DateTime => DateTime, "<DT>";
    Duration => Duration, "<TS>";
    crate::value::Decimal => Decimal, "<D>";
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::String(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::String(v.to_owned())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Double(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(v)
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// The type names PowerShell gives an `object[]` (MS-PSRP 2.2.5.2.6.1).
pub const ARRAY_TYPE_NAMES: [&str; 3] = ["System.Object[]", "System.Array", "System.Object"];
/// The type names of a Hashtable (MS-PSRP 2.2.5.2.6.4).
pub const HASHTABLE_TYPE_NAMES: [&str; 2] = ["System.Collections.Hashtable", "System.Object"];

/// An `object[]` (`<LST>`) of the given values.
pub fn array(items: Vec<Value>) -> Value {
    Value::object(
        PsObject::with_type_names(ARRAY_TYPE_NAMES)
            .with_content(ObjContent::List(ListKind::List, items)),
    )
}

/// A Hashtable (`<DCT>`) of the given entries, in the given order.
pub fn hashtable(entries: Vec<(Value, Value)>) -> Value {
    Value::object(
        PsObject::with_type_names(HASHTABLE_TYPE_NAMES).with_content(ObjContent::Dict(entries)),
    )
}

impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Value {
        self.as_slice().to_value()
    }
}

impl<T: ToValue> ToValue for [T] {
    fn to_value(&self) -> Value {
        array(self.iter().map(ToValue::to_value).collect())
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Object(o) => match &o.content {
                ObjContent::List(_, items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| T::from_value(item).map_err(|e| e.at(format!("[{i}]"))))
                    .collect(),
                _ => Ok(vec![T::from_value(v)?]),
            },
            other => Ok(vec![T::from_value(other)?]),
        }
    }
}

fn dict_entries(v: &Value) -> Result<&[(Value, Value)], ConversionError> {
    match v {
        Value::Object(o) => match &o.content {
            ObjContent::Dict(entries) => Ok(entries),
            _ => Err(type_error("<DCT>", v)),
        },
        other => Err(type_error("<DCT>", other)),
    }
}

impl<T: ToValue, S> ToValue for HashMap<String, T, S> {
    /// Keys are sorted so the output is deterministic.
    fn to_value(&self) -> Value {
        let mut entries: Vec<_> = self.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        hashtable(
            entries
                .into_iter()
                .map(|(k, v)| (Value::String(k.clone()), v.to_value()))
                .collect(),
        )
    }
}

impl<T: FromValue, S: std::hash::BuildHasher + Default> FromValue for HashMap<String, T, S> {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        dict_entries(v)?
            .iter()
            .map(|(k, v)| {
                let key = String::from_value(k)?;
                let value = T::from_value(v).map_err(|e| e.at(key.clone()))?;
                Ok((key, value))
            })
            .collect()
    }
}

impl<T: ToValue> ToValue for BTreeMap<String, T> {
    fn to_value(&self) -> Value {
        hashtable(
            self.iter()
                .map(|(k, v)| (Value::String(k.clone()), v.to_value()))
                .collect(),
        )
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        dict_entries(v)?
            .iter()
            .map(|(k, v)| {
                let key = String::from_value(k)?;
                let value = T::from_value(v).map_err(|e| e.at(key.clone()))?;
                Ok((key, value))
            })
            .collect()
    }
}

impl ToValue for PsObject {
    fn to_value(&self) -> Value {
        Value::Object(Arc::new(self.clone()))
    }
}

impl ToValue for Arc<PsObject> {
    fn to_value(&self) -> Value {
        Value::Object(Arc::clone(self))
    }
}

impl FromValue for Arc<PsObject> {
    fn from_value(v: &Value) -> Result<Self, ConversionError> {
        match v {
            Value::Object(o) => Ok(Arc::clone(o)),
            other => Err(type_error("<Obj>", other)),
        }
    }
}

/// Reads a required property (extended first, then adapted, ASCII case-insensitive).
pub fn get_property<T: FromValue>(obj: &PsObject, name: &str) -> Result<T, ConversionError> {
    match obj.get(name) {
        Some(v) => T::from_value(v).map_err(|e| e.at(name)),
        None => Err(ConversionError::MissingProperty(name.to_owned())),
    }
}

/// Reads an optional property: absent or `<Nil/>` gives `None`.
pub fn get_optional<T: FromValue>(
    obj: &PsObject,
    name: &str,
) -> Result<Option<T>, ConversionError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => T::from_value(v).map(Some).map_err(|e| e.at(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_convert_across_widths_when_they_fit() {
        assert_eq!(u8::from_value(&Value::I64(200)), Ok(200));
        assert!(matches!(
            u8::from_value(&Value::I32(-1)),
            Err(ConversionError::OutOfRange { .. })
        ));
        assert!(i32::from_value(&Value::String("1".into())).is_err());
    }

    #[test]
    fn enums_convert_like_their_integer() {
        let e = Value::object(
            PsObject::with_type_names(["System.ConsoleColor", "System.Enum"])
                .with_to_string("Red")
                .with_content(ObjContent::Value(Value::I32(12))),
        );
        assert_eq!(i32::from_value(&e), Ok(12));
    }

    #[test]
    fn collections_round_trip() {
        let v = vec![1i32, 2, 3];
        assert_eq!(Vec::<i32>::from_value(&v.to_value()), Ok(v));
        assert_eq!(Vec::<i32>::from_value(&Value::I32(7)), Ok(vec![7]));
        assert_eq!(Vec::<i32>::from_value(&Value::Null), Ok(vec![]));
        let mut m = HashMap::new();
        m.insert("b".to_owned(), Some(2u64));
        m.insert("a".to_owned(), None);
        let back: HashMap<String, Option<u64>> =
            FromValue::from_value(&m.to_value()).unwrap_or_default();
        assert_eq!(back, m);
        let err = Vec::<bool>::from_value(&vec![Value::Bool(true), Value::I32(1)].to_value());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("[1]: expected <B>, found <I32>".to_owned())
        );
    }

    #[test]
    fn chars_outside_the_bmp_become_strings() {
        assert_eq!('a'.to_value(), Value::Char(97));
        assert_eq!('\u{1F600}'.to_value(), Value::String("\u{1F600}".into()));
        assert!(char::from_value(&Value::Char(0xD800)).is_err());
    }
}
