//! A JSON view of CLIXML values (feature `json`), for `psremote clixml decode`/`encode`.
//!
//! [`to_json`] and [`from_json`] are exact inverses: `from_json(&to_json(&v)) == Ok(v)` for
//! every value, including shared objects.
//!
//! # The scheme
//!
//! | CLIXML | JSON |
//! |---|---|
//! | `<Nil/>` | `null` |
//! | `<S>` | a string |
//! | `<B>` | `true` / `false` |
//! | `<I32>` | an integer |
//! | `<Db>` | a number with a fraction or exponent (`5.0`); NaN/±∞ as `{"$f64": "NaN"}`, `"INF"`, `"-INF"` |
//! | every other primitive | a one-key object `{"$tag": value}`: `$char` (UTF-16 unit), `$u8`, `$i8`, `$u16`, `$i16`, `$u32`, `$u64`, `$i64` (integers), `$f32` (.NET text, e.g. `"0.1"`, `"INF"`), `$decimal`, `$datetime`, `$timespan`, `$guid`, `$uri`, `$version`, `$xml`, `$scriptblock` (strings), `$bytes`, `$securestring` (base64) |
//! | `<Obj>` | an object with the members below, all optional |
//!
//! Object members: `"$type"`: the type names (most derived first; absent when the object has
//! no `<TN>`); `"$tostring"`; `"$value"`: the wrapped primitive (an enum's integer);
//! `"$list"`: the items of `<LST>`, with `"$kind"`: `"IE"`, `"STK"` or `"QUE"` for the other
//! containers; `"$dict"`: `<DCT>` entries as `[key, value]` pairs; `"props"`: adapted
//! properties (`<Props>`) and `"ms"`: extended properties (`<MS>`), each a JSON object by
//! name; `"props_order"`/`"ms_order"`: the wire order of the names, present only when it is
//! not sorted (JSON objects are unordered); when two properties share a name the members
//! become arrays of `{"name": …, "value": …}`. An object that occurs more than once
//! (`<Ref>`) carries `"$id": n` where it first occurs and is `{"$ref": n}` afterwards.
//!
//! Example: a service as Windows sends it becomes
//! `{"$type": ["Deserialized.System.ServiceProcess.ServiceController", …], "$tostring": "…",
//! "props": {"Name": "WinRM", "Status": {"$type": ["System.ServiceProcess.ServiceControllerStatus", …],
//! "$tostring": "Running", "$value": 4}, …}}`.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Number, Value as Json, json};

use crate::value::{
    DateTime, Decimal, Duration, ListKind, ObjContent, Property, PsObject, Value, Version,
};

/// Why a JSON value is not a CLIXML value in the [scheme](self).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct JsonError {
    /// Where in the JSON (`$.props.Status.$value`).
    pub path: String,
    pub message: String,
}

/// The JSON view of a value.
pub fn to_json(value: &Value) -> Json {
    let mut counts: HashMap<*const PsObject, usize> = HashMap::new();
    count_objects(value, &mut counts);
    let mut ids = Ids {
        shared: counts,
        assigned: HashMap::new(),
    };
    encode(value, &mut ids)
}

struct Ids {
    shared: HashMap<*const PsObject, usize>,
    assigned: HashMap<*const PsObject, usize>,
}

/// Counts how often each object is reached (stops descending into one already seen, so a
/// heavily shared DAG costs its size, not its expansion).
fn count_objects(v: &Value, counts: &mut HashMap<*const PsObject, usize>) {
    let Value::Object(o) = v else { return };
    let n = counts.entry(Arc::as_ptr(o)).or_insert(0);
    *n += 1;
    if *n > 1 {
        return;
    }
    match &o.content {
        ObjContent::None => {}
        ObjContent::Value(x) => count_objects(x, counts),
        ObjContent::List(_, items) => items.iter().for_each(|x| count_objects(x, counts)),
        ObjContent::Dict(entries) => entries.iter().for_each(|(k, x)| {
            count_objects(k, counts);
            count_objects(x, counts);
        }),
    }
    for p in o.adapted.iter().chain(&o.extended) {
        count_objects(&p.value, counts);
    }
}

fn tagged(tag: &str, v: Json) -> Json {
    let mut m = Map::new();
    m.insert(tag.to_owned(), v);
    Json::Object(m)
}

fn f64_json(v: f64) -> Json {
    match Number::from_f64(v) {
        Some(n) if v.fract() != 0.0 || v.abs() >= 1e16 => Json::Number(n),
        // serde_json prints an integral f64 as `5.0`, which reads back as f64: fine too.
        Some(n) => Json::Number(n),
        None => {
            let mut s = String::new();
            crate::float::write_f64(&mut s, v);
            tagged("$f64", Json::String(s))
        }
    }
}

fn encode(v: &Value, ids: &mut Ids) -> Json {
    let b64 = |b: &[u8]| Json::String(base64::engine::general_purpose::STANDARD.encode(b));
    match v {
        Value::Null => Json::Null,
        Value::String(s) => Json::String(s.clone()),
        Value::Bool(b) => Json::Bool(*b),
        Value::I32(i) => json!(i),
        Value::Double(d) => f64_json(*d),
        Value::Char(c) => tagged("$char", json!(c)),
        Value::U8(x) => tagged("$u8", json!(x)),
        Value::I8(x) => tagged("$i8", json!(x)),
        Value::U16(x) => tagged("$u16", json!(x)),
        Value::I16(x) => tagged("$i16", json!(x)),
        Value::U32(x) => tagged("$u32", json!(x)),
        Value::U64(x) => tagged("$u64", json!(x)),
        Value::I64(x) => tagged("$i64", json!(x)),
        Value::Float(f) => {
            let mut s = String::new();
            crate::float::write_f32(&mut s, *f);
            tagged("$f32", Json::String(s))
        }
        Value::Decimal(d) => tagged("$decimal", Json::String(d.0.clone())),
        Value::DateTime(d) => tagged("$datetime", Json::String(d.0.clone())),
        Value::Duration(d) => tagged("$timespan", Json::String(d.0.clone())),
        Value::Bytes(b) => tagged("$bytes", b64(b)),
        Value::Guid(g) => tagged("$guid", Json::String(g.hyphenated().to_string())),
        Value::Uri(u) => tagged("$uri", Json::String(u.clone())),
        Value::Version(x) => tagged("$version", Json::String(x.to_string())),
        Value::XmlDocument(x) => tagged("$xml", Json::String(x.clone())),
        Value::ScriptBlock(x) => tagged("$scriptblock", Json::String(x.clone())),
        Value::SecureString(b) => tagged("$securestring", b64(b)),
        Value::Object(o) => encode_object(o, ids),
    }
}

fn encode_props(props: &[Property], ids: &mut Ids, m: &mut Map<String, Json>, key: &str) {
    if props.is_empty() {
        return;
    }
    let mut names: Vec<&str> = props.iter().map(|p| p.name.as_str()).collect();
    let in_order = names.windows(2).all(|w| w[0] < w[1]);
    names.sort_unstable();
    let unique = names.windows(2).all(|w| w[0] != w[1]);
    if unique {
        let mut obj = Map::new();
        for p in props {
            obj.insert(p.name.clone(), encode(&p.value, ids));
        }
        m.insert(key.to_owned(), Json::Object(obj));
        if !in_order {
            m.insert(
                format!("{key}_order"),
                Json::Array(props.iter().map(|p| Json::String(p.name.clone())).collect()),
            );
        }
    } else {
        let list = props
            .iter()
            .map(|p| json!({ "name": p.name, "value": encode(&p.value, ids) }))
            .collect();
        m.insert(key.to_owned(), Json::Array(list));
    }
}

fn encode_object(o: &Arc<PsObject>, ids: &mut Ids) -> Json {
    let ptr = Arc::as_ptr(o);
    if let Some(id) = ids.assigned.get(&ptr) {
        return json!({ "$ref": id });
    }
    let mut m = Map::new();
    if ids.shared.get(&ptr).is_some_and(|n| *n > 1) {
        let id = ids.assigned.len();
        ids.assigned.insert(ptr, id);
        m.insert("$id".into(), json!(id));
    }
    if let Some(t) = &o.type_names {
        m.insert(
            "$type".into(),
            Json::Array(t.iter().map(|s| Json::String(s.clone())).collect()),
        );
    }
    if let Some(s) = &o.to_string {
        m.insert("$tostring".into(), Json::String(s.clone()));
    }
    match &o.content {
        ObjContent::None => {}
        ObjContent::Value(v) => {
            let j = encode(v, ids);
            m.insert("$value".into(), j);
        }
        ObjContent::List(kind, items) => {
            match kind {
                ListKind::List => {}
                ListKind::Enumerable => {
                    m.insert("$kind".into(), json!("IE"));
                }
                ListKind::Stack => {
                    m.insert("$kind".into(), json!("STK"));
                }
                ListKind::Queue => {
                    m.insert("$kind".into(), json!("QUE"));
                }
            }
            let list = items.iter().map(|x| encode(x, ids)).collect();
            m.insert("$list".into(), Json::Array(list));
        }
        ObjContent::Dict(entries) => {
            let list = entries
                .iter()
                .map(|(k, v)| {
                    let k = encode(k, ids);
                    let v = encode(v, ids);
                    Json::Array(vec![k, v])
                })
                .collect();
            m.insert("$dict".into(), Json::Array(list));
        }
    }
    encode_props(&o.adapted, ids, &mut m, "props");
    encode_props(&o.extended, ids, &mut m, "ms");
    Json::Object(m)
}

/// The value a JSON view stands for (the inverse of [`to_json`]). Hand-written JSON may also
/// use plain integers beyond `i32` (read as `<I64>`/`<U64>`) and plain fractional numbers
/// (`<Db>`).
pub fn from_json(json: &Json) -> Result<Value, JsonError> {
    let mut refs = HashMap::new();
    decode(json, "$", &mut refs)
}

fn err(path: &str, message: impl Into<String>) -> JsonError {
    JsonError {
        path: path.to_owned(),
        message: message.into(),
    }
}

const PRIMITIVE_TAGS: [&str; 20] = [
    "$char",
    "$u8",
    "$i8",
    "$u16",
    "$i16",
    "$u32",
    "$u64",
    "$i64",
    "$f32",
    "$f64",
    "$decimal",
    "$datetime",
    "$timespan",
    "$bytes",
    "$guid",
    "$uri",
    "$version",
    "$xml",
    "$scriptblock",
    "$securestring",
];

fn decode(
    j: &Json,
    path: &str,
    refs: &mut HashMap<u64, Arc<PsObject>>,
) -> Result<Value, JsonError> {
    match j {
        Json::Null => Ok(Value::Null),
        Json::Bool(b) => Ok(Value::Bool(*b)),
        Json::String(s) => Ok(Value::String(s.clone())),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i32::try_from(i).map_or(Value::I64(i), Value::I32))
            } else if let Some(u) = n.as_u64() {
                Ok(Value::U64(u))
            } else {
                n.as_f64()
                    .map(Value::Double)
                    .ok_or_else(|| err(path, "unrepresentable number"))
            }
        }
        Json::Array(_) => Err(err(
            path,
            "an array is not a value (a list is {\"$list\": [...]})",
        )),
        Json::Object(m) => {
            if m.len() == 1
                && let Some((tag, v)) = m.iter().next()
                && PRIMITIVE_TAGS.contains(&tag.as_str())
            {
                return decode_primitive(tag, v, &format!("{path}.{tag}"));
            }
            decode_object(m, path, refs)
        }
    }
}

fn int<T: TryFrom<i128>>(v: &Json, path: &str) -> Result<T, JsonError> {
    let wide = match v {
        Json::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    };
    wide.and_then(|w| T::try_from(w).ok())
        .ok_or_else(|| err(path, format!("expected an integer in range, found {v}")))
}

fn text<'j>(v: &'j Json, path: &str) -> Result<&'j str, JsonError> {
    v.as_str()
        .ok_or_else(|| err(path, format!("expected a string, found {v}")))
}

fn decode_primitive(tag: &str, v: &Json, path: &str) -> Result<Value, JsonError> {
    let b64 = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| err(path, "invalid base64"))
    };
    Ok(match tag {
        "$char" => Value::Char(int(v, path)?),
        "$u8" => Value::U8(int(v, path)?),
        "$i8" => Value::I8(int(v, path)?),
        "$u16" => Value::U16(int(v, path)?),
        "$i16" => Value::I16(int(v, path)?),
        "$u32" => Value::U32(int(v, path)?),
        "$u64" => Value::U64(int(v, path)?),
        "$i64" => Value::I64(int(v, path)?),
        "$f32" => {
            let s = text(v, path)?;
            Value::Float(crate::float::parse_f32(s).ok_or_else(|| err(path, "invalid single"))?)
        }
        "$f64" => match v {
            Json::Number(n) => {
                Value::Double(n.as_f64().ok_or_else(|| err(path, "invalid double"))?)
            }
            other => {
                let s = text(other, path)?;
                Value::Double(
                    crate::float::parse_f64(s).ok_or_else(|| err(path, "invalid double"))?,
                )
            }
        },
        "$decimal" => {
            let s = text(v, path)?;
            if !crate::value::is_decimal_text(s) {
                return Err(err(path, "invalid decimal"));
            }
            Value::Decimal(Decimal(s.to_owned()))
        }
        "$datetime" => Value::DateTime(DateTime(text(v, path)?.to_owned())),
        "$timespan" => Value::Duration(Duration(text(v, path)?.to_owned())),
        "$bytes" => Value::Bytes(b64(text(v, path)?)?),
        "$securestring" => Value::SecureString(b64(text(v, path)?)?),
        "$guid" => Value::Guid(
            uuid::Uuid::try_parse(text(v, path)?).map_err(|_| err(path, "invalid GUID"))?,
        ),
        "$uri" => Value::Uri(text(v, path)?.to_owned()),
        "$version" => Value::Version(
            text(v, path)?
                .parse::<Version>()
                .map_err(|e| err(path, e.to_string()))?,
        ),
        "$xml" => Value::XmlDocument(text(v, path)?.to_owned()),
        _ => Value::ScriptBlock(text(v, path)?.to_owned()),
    })
}

fn decode_props(
    m: &Map<String, Json>,
    key: &str,
    path: &str,
    refs: &mut HashMap<u64, Arc<PsObject>>,
) -> Result<Vec<Property>, JsonError> {
    let path = format!("{path}.{key}");
    match m.get(key) {
        None => Ok(Vec::new()),
        Some(Json::Object(props)) => {
            let order: Vec<&str> = match m.get(&format!("{key}_order")) {
                None => props.keys().map(String::as_str).collect(),
                Some(Json::Array(names)) => names
                    .iter()
                    .map(|n| text(n, &format!("{path}_order")))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(err(&path, "_order must be an array of names")),
            };
            if order.len() != props.len() {
                return Err(err(&path, "_order does not list every property once"));
            }
            order
                .into_iter()
                .map(|name| {
                    let v = props.get(name).ok_or_else(|| {
                        err(&path, format!("_order names unknown property {name:?}"))
                    })?;
                    Ok(Property {
                        name: name.to_owned(),
                        value: decode(v, &format!("{path}.{name}"), refs)?,
                    })
                })
                .collect()
        }
        Some(Json::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let p_path = format!("{path}[{i}]");
                let name = p
                    .get("name")
                    .ok_or_else(|| err(&p_path, "missing \"name\""))?;
                let value = p
                    .get("value")
                    .ok_or_else(|| err(&p_path, "missing \"value\""))?;
                Ok(Property {
                    name: text(name, &p_path)?.to_owned(),
                    value: decode(value, &format!("{p_path}.value"), refs)?,
                })
            })
            .collect(),
        Some(_) => Err(err(&path, "expected an object or an array")),
    }
}

fn decode_object(
    m: &Map<String, Json>,
    path: &str,
    refs: &mut HashMap<u64, Arc<PsObject>>,
) -> Result<Value, JsonError> {
    if let Some(r) = m.get("$ref") {
        let id: u64 = int(r, &format!("{path}.$ref"))?;
        return refs
            .get(&id)
            .map(|o| Value::Object(Arc::clone(o)))
            .ok_or_else(|| err(path, format!("$ref {id} names no earlier $id")));
    }
    for key in m.keys() {
        let known = matches!(
            key.as_str(),
            "$id"
                | "$type"
                | "$tostring"
                | "$value"
                | "$list"
                | "$kind"
                | "$dict"
                | "props"
                | "ms"
                | "props_order"
                | "ms_order"
        );
        if !known {
            return Err(err(path, format!("unknown member {key:?}")));
        }
    }
    let mut o = PsObject::default();
    if let Some(t) = m.get("$type") {
        let names = t
            .as_array()
            .ok_or_else(|| err(path, "$type must be an array of strings"))?
            .iter()
            .map(|n| text(n, &format!("{path}.$type")).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        o.type_names = Some(names.into());
    }
    if let Some(s) = m.get("$tostring") {
        o.to_string = Some(text(s, &format!("{path}.$tostring"))?.to_owned());
    }
    let contents = ["$value", "$list", "$dict"]
        .iter()
        .filter(|k| m.contains_key(**k))
        .count();
    if contents > 1 {
        return Err(err(path, "at most one of $value, $list, $dict"));
    }
    if let Some(v) = m.get("$value") {
        o.content = ObjContent::Value(decode(v, &format!("{path}.$value"), refs)?);
    }
    if let Some(l) = m.get("$list") {
        let kind = match m.get("$kind").map(|k| k.as_str()) {
            None | Some(Some("LST")) => ListKind::List,
            Some(Some("IE")) => ListKind::Enumerable,
            Some(Some("STK")) => ListKind::Stack,
            Some(Some("QUE")) => ListKind::Queue,
            Some(_) => {
                return Err(err(
                    path,
                    "$kind must be \"LST\", \"IE\", \"STK\" or \"QUE\"",
                ));
            }
        };
        let items = l
            .as_array()
            .ok_or_else(|| err(path, "$list must be an array"))?
            .iter()
            .enumerate()
            .map(|(i, x)| decode(x, &format!("{path}.$list[{i}]"), refs))
            .collect::<Result<Vec<_>, _>>()?;
        o.content = ObjContent::List(kind, items);
    } else if m.contains_key("$kind") {
        return Err(err(path, "$kind without $list"));
    }
    if let Some(d) = m.get("$dict") {
        let entries = d
            .as_array()
            .ok_or_else(|| err(path, "$dict must be an array of [key, value] pairs"))?
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let e_path = format!("{path}.$dict[{i}]");
                match e.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok((
                        decode(k, &format!("{e_path}[0]"), refs)?,
                        decode(v, &format!("{e_path}[1]"), refs)?,
                    )),
                    _ => Err(err(&e_path, "expected a [key, value] pair")),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        o.content = ObjContent::Dict(entries);
    }
    o.adapted = decode_props(m, "props", path, refs)?;
    o.extended = decode_props(m, "ms", path, refs)?;
    let o = Arc::new(o);
    if let Some(id) = m.get("$id") {
        let id: u64 = int(id, &format!("{path}.$id"))?;
        refs.insert(id, Arc::clone(&o));
    }
    Ok(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_examples() {
        let enum_obj = Value::object(
            PsObject::with_type_names(["System.ConsoleColor", "System.Enum"])
                .with_to_string("Red")
                .with_content(ObjContent::Value(Value::I32(12))),
        );
        assert_eq!(
            to_json(&enum_obj),
            json!({"$type": ["System.ConsoleColor", "System.Enum"], "$tostring": "Red", "$value": 12})
        );
        assert_eq!(to_json(&Value::I64(5)), json!({"$i64": 5}));
        assert_eq!(to_json(&Value::Double(5.0)), json!(5.0));
        assert_eq!(
            to_json(&Value::Double(f64::NEG_INFINITY)),
            json!({"$f64": "-INF"})
        );
        assert_eq!(to_json(&Value::Float(0.1)), json!({"$f32": "0.1"}));
        let o = Value::object(
            PsObject::default()
                .with_extended("b", 1)
                .with_extended("a", 2),
        );
        assert_eq!(
            to_json(&o),
            json!({"ms": {"a": 2, "b": 1}, "ms_order": ["b", "a"]})
        );
        assert_eq!(from_json(&to_json(&o)), Ok(o));
        assert_eq!(
            from_json(&json!(5000000000u64)),
            Ok(Value::I64(5_000_000_000))
        );
        assert_eq!(from_json(&json!(1.5)), Ok(Value::Double(1.5)));
        assert!(from_json(&json!({"$list": 1})).is_err());
        assert!(from_json(&json!({"$ref": 0})).is_err());
        assert!(from_json(&json!({"bogus": 1})).is_err());
        assert_eq!(
            from_json(&json!({"props": {"x": {"$u8": 300}}})).map_err(|e| e.path),
            Err("$.props.x.$u8".to_owned())
        );
    }

    #[test]
    fn shared_objects_stay_shared_and_small() {
        // 40 levels of [x, x]: 2^40 leaves if expanded.
        let mut v = Value::I32(1);
        for _ in 0..40 {
            v = crate::array(vec![v.clone(), v]);
        }
        let j = to_json(&v);
        assert!(j.to_string().len() < 10_000);
        let back = from_json(&j).unwrap();
        let (Value::Object(a), Value::Object(b)) = (&back, &v) else {
            panic!()
        };
        assert_eq!(a.type_names, b.type_names);
        let ObjContent::List(_, items) = &a.content else {
            panic!()
        };
        let (Value::Object(x), Value::Object(y)) = (&items[0], &items[1]) else {
            panic!()
        };
        assert!(Arc::ptr_eq(x, y));
    }
}
