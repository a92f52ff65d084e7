//! Structural equality of values.
//!
//! A decoded `<Ref>` shares one `Arc`, so a value is a DAG whose expansion can be exponential
//! in its size. A derived `PartialEq` walks every path: the roundtrip fuzz target found a 1 KB
//! input whose comparison took 12 s. Here each pair of objects is compared once and the answer
//! kept, so a comparison costs the size of the two DAGs. The result is the same as the derived
//! one, NaN included (a pair is remembered as unequal as well as equal).

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::{ObjContent, Property, PsObject, Value};

/// Answers already known for a pair of objects (by address, valid while both are borrowed).
pub(crate) type Memo = HashMap<(*const PsObject, *const PsObject), bool>;

macro_rules! primitives {
    ($a:expr, $b:expr, $memo:expr; $($variant:ident),*) => {
        match ($a, $b) {
            (Value::Null, Value::Null) => true,
            $((Value::$variant(x), Value::$variant(y)) => x == y,)*
            (Value::Object(x), Value::Object(y)) => shared_objects(x, y, $memo),
            _ => false,
        }
    };
}

pub(crate) fn values(a: &Value, b: &Value, memo: &mut Memo) -> bool {
    primitives!(a, b, memo;
        String, Char, Bool, DateTime, Duration, U8, I8, U16, I16, U32, I32, U64, I64, Float,
        Double, Decimal, Bytes, Guid, Uri, Version, XmlDocument, ScriptBlock, SecureString)
}

fn shared_objects(a: &Arc<PsObject>, b: &Arc<PsObject>, memo: &mut Memo) -> bool {
    let key = (Arc::as_ptr(a), Arc::as_ptr(b));
    if let Some(known) = memo.get(&key) {
        return *known;
    }
    let equal = objects(a, b, memo);
    memo.insert(key, equal);
    equal
}

pub(crate) fn objects(a: &PsObject, b: &PsObject, memo: &mut Memo) -> bool {
    a.type_names == b.type_names
        && a.to_string == b.to_string
        && contents(&a.content, &b.content, memo)
        && properties(&a.adapted, &b.adapted, memo)
        && properties(&a.extended, &b.extended, memo)
}

pub(crate) fn properties(a: &[Property], b: &[Property], memo: &mut Memo) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| property(x, y, memo))
}

pub(crate) fn property(a: &Property, b: &Property, memo: &mut Memo) -> bool {
    a.name == b.name && values(&a.value, &b.value, memo)
}

pub(crate) fn contents(a: &ObjContent, b: &ObjContent, memo: &mut Memo) -> bool {
    match (a, b) {
        (ObjContent::None, ObjContent::None) => true,
        (ObjContent::Value(x), ObjContent::Value(y)) => values(x, y, memo),
        (ObjContent::List(kx, x), ObjContent::List(ky, y)) => {
            kx == ky && x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values(p, q, memo))
        }
        (ObjContent::Dict(x), ObjContent::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| values(k1, k2, memo) && values(v1, v2, memo))
        }
        _ => false,
    }
}
