//! Small helpers to build and read the CLIXML objects the protocol messages are made of
//! (MS-PSRP 2.2.5.2): note-property bags, enums, lists, dictionaries.

use std::sync::Arc;

use psremote_clixml::{ListKind, ObjContent, Property, PsObject, Value};

use crate::error::Error;

/// The type names of `List<PSObject>`, which PowerShell uses for command lists and arguments.
pub(crate) const PSOBJECT_LIST_TYPE: [&str; 2] = [
    "System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]",
    "System.Object",
];

/// An object with only extended (`<MS>`) properties, in the given order.
pub(crate) fn ms_object(props: Vec<(&str, Value)>) -> Value {
    Value::object(PsObject {
        extended: props.into_iter().map(|(n, v)| prop(n, v)).collect(),
        ..PsObject::default()
    })
}

pub(crate) fn prop(name: &str, value: Value) -> Property {
    Property {
        name: name.to_owned(),
        value,
    }
}

/// An enum value (MS-PSRP 2.2.5.2.7): type names ending in System.Enum, ToString, the integer.
pub(crate) fn enum_value(type_name: &str, to_string: &str, value: i32) -> Value {
    Value::object(PsObject {
        type_names: Some(Arc::from(vec![
            type_name.to_owned(),
            "System.Enum".to_owned(),
            "System.ValueType".to_owned(),
            "System.Object".to_owned(),
        ])),
        to_string: Some(to_string.to_owned()),
        content: ObjContent::Value(Value::I32(value)),
        ..PsObject::default()
    })
}

/// A list object with the given type names.
pub(crate) fn list_value(type_names: &[&str], kind: ListKind, items: Vec<Value>) -> Value {
    Value::object(PsObject {
        type_names: Some(type_names.iter().map(|s| (*s).to_owned()).collect()),
        content: ObjContent::List(kind, items),
        ..PsObject::default()
    })
}

/// Reads properties of a message's object, naming the message in errors.
pub(crate) struct Reader<'a> {
    pub(crate) obj: &'a PsObject,
    pub(crate) what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(v: &'a Value, what: &'static str) -> Result<Self, Error> {
        match v {
            Value::Object(o) => Ok(Reader { obj: o, what }),
            _ => Err(Error::payload(what, "expected an <Obj>")),
        }
    }

    pub(crate) fn opt(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name)
    }

    /// A property that is present and not `<Nil/>`.
    pub(crate) fn some(&self, name: &str) -> Option<&'a Value> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub(crate) fn req(&self, name: &'static str) -> Result<&'a Value, Error> {
        self.obj
            .get(name)
            .ok_or_else(|| Error::payload(self.what, format!("missing property {name}")))
    }

    pub(crate) fn i32(&self, name: &'static str) -> Result<i32, Error> {
        as_i32(self.req(name)?).ok_or_else(|| self.bad(name, "an integer"))
    }

    pub(crate) fn i64(&self, name: &'static str) -> Result<i64, Error> {
        as_i64(self.req(name)?).ok_or_else(|| self.bad(name, "an integer"))
    }

    pub(crate) fn bool(&self, name: &'static str) -> Result<bool, Error> {
        match self.req(name)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.bad(name, "a <B>")),
        }
    }

    pub(crate) fn opt_bool(&self, name: &'static str) -> Result<Option<bool>, Error> {
        match self.some(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.bad(name, "a <B>")),
        }
    }

    pub(crate) fn string(&self, name: &'static str) -> Result<String, Error> {
        match self.req(name)? {
            Value::String(s) => Ok(s.clone()),
            _ => Err(self.bad(name, "an <S>")),
        }
    }

    pub(crate) fn opt_string(&self, name: &'static str) -> Result<Option<String>, Error> {
        match self.some(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(name, "an <S>")),
        }
    }

    pub(crate) fn bad(&self, name: &str, expected: &str) -> Error {
        Error::payload(self.what, format!("property {name} is not {expected}"))
    }
}

/// The integer of an integer primitive, or of an enum object wrapping one.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::I8(n) => Some((*n).into()),
        Value::U8(n) => Some((*n).into()),
        Value::I16(n) => Some((*n).into()),
        Value::U16(n) => Some((*n).into()),
        Value::I32(n) => Some((*n).into()),
        Value::U32(n) => Some((*n).into()),
        Value::I64(n) => Some(*n),
        Value::U64(n) => i64::try_from(*n).ok(),
        Value::Object(o) => match &o.content {
            ObjContent::Value(inner) => as_i64(inner),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn as_i32(v: &Value) -> Option<i32> {
    as_i64(v).and_then(|n| i32::try_from(n).ok())
}

/// The items of a list-like object.
pub(crate) fn as_list(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Object(o) => match &o.content {
            ObjContent::List(_, items) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

/// The entries of a `<DCT>` object.
pub(crate) fn as_dict(v: &Value) -> Option<&[(Value, Value)]> {
    match v {
        Value::Object(o) => match &o.content {
            ObjContent::Dict(entries) => Some(entries),
            _ => None,
        },
        _ => None,
    }
}
