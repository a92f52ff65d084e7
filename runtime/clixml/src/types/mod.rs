//! The record types of MS-PSRP 2.2.3 that pipelines carry, as typed Rust structs.
//!
//! Every type keeps the object it was read from (`raw`). Converting an unmodified record back
//! with [`ToValue`] returns that object unchanged, so what Windows sent re-encodes exactly
//! (unknown properties, property order and shared `<Ref>`s included). After a change, the
//! modelled properties are updated in place and everything else is kept.

mod command_metadata;
mod error_record;
mod streams;

use std::sync::Arc;

pub use command_metadata::{
    CommandMetadata, CommandMetadataCount, CommandTypes, ParameterMetadata,
};
pub use error_record::{
    ErrorCategory, ErrorCategoryInfo, ErrorDetails, ErrorRecord, InvocationInfo,
};
pub use streams::{
    InformationRecord, InformationalKind, InformationalRecord, ProgressRecord, ProgressRecordType,
};

use crate::convert::{FromValue, type_error};
use crate::error::ConversionError;
use crate::value::{ListKind, ObjContent, Property, PsObject, Value};

/// The object inside `v`, or a type error naming `what`.
pub(crate) fn object<'v>(
    v: &'v Value,
    what: &'static str,
) -> Result<&'v Arc<PsObject>, ConversionError> {
    match v {
        Value::Object(o) => Ok(o),
        other => Err(type_error(what, other)),
    }
}

/// A property that may be absent or `<Nil/>`.
pub(crate) fn opt<T: FromValue>(o: &PsObject, name: &str) -> Result<Option<T>, ConversionError> {
    crate::convert::get_optional(o, name)
}

/// A string property; absent or `<Nil/>` reads as empty (PowerShell writes both).
pub(crate) fn string(o: &PsObject, name: &str) -> Result<String, ConversionError> {
    Ok(opt::<String>(o, name)?.unwrap_or_default())
}

/// An `int[]`-like list property (`PipelineIterationInfo`).
pub(crate) fn int_list(o: &PsObject, name: &str) -> Result<Vec<i32>, ConversionError> {
    Ok(opt::<Vec<i32>>(o, name)?.unwrap_or_default())
}

/// The integer of an enum property (an `<Obj>` with `System.Enum` and its value, or a bare
/// integer: MS-PSRP 2.2.5.2.7).
pub(crate) fn enum_int(o: &PsObject, name: &str) -> Result<Option<i32>, ConversionError> {
    opt::<i32>(o, name)
}

/// An enum value as PowerShell serializes it: the type names, ToString (the member name) and
/// the underlying `<I32>`.
pub fn enum_value(type_name: &str, member: impl Into<String>, value: i32) -> Value {
    Value::object(
        PsObject::with_type_names([
            type_name,
            "System.Enum",
            "System.ValueType",
            "System.Object",
        ])
        .with_to_string(member)
        .with_content(ObjContent::Value(Value::I32(value))),
    )
}

/// A typed list with the given collection type names.
pub(crate) fn typed_list(type_names: &[&str], items: Vec<Value>) -> Value {
    Value::object(
        PsObject::with_type_names(type_names.iter().copied())
            .with_content(ObjContent::List(ListKind::List, items)),
    )
}

pub(crate) fn opt_string(s: &Option<String>) -> Value {
    match s {
        Some(s) => Value::String(s.clone()),
        None => Value::Null,
    }
}

/// Sets property `name` in `props` to `value`, keeping the existing one (and its position and
/// sharing) when it is equal.
pub(crate) fn put(props: &mut Vec<Property>, name: &str, value: Value) {
    match props.iter_mut().find(|p| p.name == name) {
        Some(p) => {
            if p.value != value {
                p.value = value;
            }
        }
        None => props.push(Property {
            name: name.to_owned(),
            value,
        }),
    }
}

/// Starts an object for `ToValue`: the received one when there is one, else a fresh one with
/// the given type names.
pub(crate) fn base(raw: &Option<Arc<PsObject>>, type_names: Option<&[&str]>) -> PsObject {
    match raw {
        Some(r) => (**r).clone(),
        None => PsObject {
            type_names: type_names.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
            ..PsObject::default()
        },
    }
}

/// Whether a field differs from the record as it was received (true when there was none).
pub(crate) fn changed<R, T: PartialEq + ?Sized>(
    prev: &Option<R>,
    get: impl Fn(&R) -> &T,
    now: &T,
) -> bool {
    prev.as_ref().is_none_or(|p| get(p) != now)
}
