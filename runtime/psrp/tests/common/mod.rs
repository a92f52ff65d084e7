//! Reading the real Windows recordings in `shared/fixtures/windows-wsman/`: the YAML files,
//! the base64 PSRP payloads inside their SOAP envelopes, and a semantic value comparison.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use base64::Engine;
use psremote_psrp::clixml::{ObjContent, PsObject, Value};

/// Where the recordings are, or `None` (with the reason printed) when they are absent.
pub fn fixtures_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("PSREMOTE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("fixtures/windows-wsman");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} not found (set PSREMOTE_SHARED to the shared folder)",
            dir.display()
        );
        None
    }
}

/// One HTTP round trip of a recording.
pub struct Exchange {
    pub request: String,
    pub response: String,
}

pub fn load(path: &Path) -> Vec<Exchange> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_default();
    let mut out = Vec::new();
    let Some(doc) = docs.first() else {
        return out;
    };
    if let Some(messages) = doc["messages"].as_vec() {
        for m in messages {
            out.push(Exchange {
                request: m["request"].as_str().unwrap_or_default().to_owned(),
                response: m["response"].as_str().unwrap_or_default().to_owned(),
            });
        }
    }
    out
}

pub fn load_named(name: &str) -> Option<Vec<Exchange>> {
    let dir = fixtures_dir()?;
    Some(load(&dir.join(format!("{name}.yml"))))
}

/// A PSRP payload found in an envelope: which element carried it, its `Name` and
/// `CommandId` attributes if any, and the decoded bytes.
pub struct Blob {
    pub element: &'static str,
    pub stream_name: Option<String>,
    pub command_id: Option<String>,
    pub data: Vec<u8>,
}

const PAYLOAD_ELEMENTS: [&str; 5] = [
    "creationXml",
    "rsp:Arguments",
    "rsp:Stream",
    "connectXml",
    "connectResponseXml",
];

fn attr(start_tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = start_tag.find(&key)? + key.len();
    let end = start_tag[at..].find('"')? + at;
    Some(start_tag[at..end].to_owned())
}

/// Every PSRP payload in a SOAP envelope, in document order.
pub fn blobs(envelope: &str) -> Vec<Blob> {
    let mut found: Vec<(usize, Blob)> = Vec::new();
    for element in PAYLOAD_ELEMENTS {
        let open = format!("<{element}");
        let close = format!("</{element}>");
        let mut from = 0;
        while let Some(rel) = envelope[from..].find(&open) {
            let start = from + rel;
            let after = start + open.len();
            from = after;
            match envelope[after..].chars().next() {
                Some(' ') | Some('>') | Some('/') => {}
                _ => continue,
            }
            let Some(gt) = envelope[after..].find('>') else {
                break;
            };
            let tag_end = after + gt;
            let start_tag = &envelope[start..tag_end];
            let (text, next) = if start_tag.ends_with('/') {
                ("", tag_end + 1)
            } else {
                let Some(c) = envelope[tag_end..].find(&close) else {
                    break;
                };
                (&envelope[tag_end + 1..tag_end + c], tag_end + c)
            };
            from = next;
            let data = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .unwrap_or_default();
            found.push((
                start,
                Blob {
                    element,
                    stream_name: attr(start_tag, "Name"),
                    command_id: attr(start_tag, "CommandId"),
                    data,
                },
            ));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, b)| b).collect()
}

/// Two .NET arrays (`System.String[]` vs `System.Object[]`): the element type a sender
/// declares for a list of strings does not change what the list holds.
fn both_arrays(x: &PsObject, y: &PsObject) -> bool {
    let arr = |o: &PsObject| {
        o.type_names().first().is_some_and(|t| t.ends_with("[]"))
            && o.type_names().get(1).is_some_and(|t| t == "System.Array")
    };
    arr(x) && arr(y)
}

fn is_enum(o: &PsObject) -> bool {
    o.type_names().iter().any(|t| t == "System.Enum")
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::I32(n) => Some((*n).into()),
        Value::I64(n) => Some(*n),
        Value::U32(n) => Some((*n).into()),
        Value::Object(o) => match &o.content {
            ObjContent::Value(inner) => int_of(inner),
            _ => None,
        },
        _ => None,
    }
}

/// Compares two values as PowerShell would read them: property order does not matter, and
/// an enum compares by its integer (a peer may send a bare integer, or its own ToString and
/// type name for the same value, e.g. pypsrp's `UNKNOWN` ApartmentState).
pub fn same(a: &Value, b: &Value, path: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if is_enum(x) || is_enum(y) => {
            if int_of(a) == int_of(b) {
                Ok(())
            } else {
                Err(format!("{path}: enum {:?} != {:?}", int_of(a), int_of(b)))
            }
        }
        (Value::Object(x), other) | (other, Value::Object(x)) if is_enum(x) => {
            if int_of(&Value::Object(x.clone())) == int_of(other) {
                Ok(())
            } else {
                Err(format!("{path}: enum vs {other:?}"))
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.type_names() != y.type_names() && !both_arrays(x, y) {
                return Err(format!(
                    "{path}: type names {:?} != {:?}",
                    x.type_names(),
                    y.type_names()
                ));
            }
            if x.to_string != y.to_string {
                return Err(format!("{path}: ToString differs"));
            }
            match (&x.content, &y.content) {
                (ObjContent::None, ObjContent::None) => {}
                (ObjContent::Value(p), ObjContent::Value(q)) => same(p, q, path)?,
                (ObjContent::List(k1, l1), ObjContent::List(k2, l2)) => {
                    if k1 != k2 || l1.len() != l2.len() {
                        return Err(format!("{path}: list kind/length differs"));
                    }
                    for (i, (p, q)) in l1.iter().zip(l2).enumerate() {
                        same(p, q, &format!("{path}[{i}]"))?;
                    }
                }
                (ObjContent::Dict(d1), ObjContent::Dict(d2)) => {
                    if d1.len() != d2.len() {
                        return Err(format!("{path}: dict length differs"));
                    }
                    for (i, ((k1, v1), (k2, v2))) in d1.iter().zip(d2).enumerate() {
                        same(k1, k2, &format!("{path}{{{i}}}"))?;
                        same(v1, v2, &format!("{path}{{{i}}}"))?;
                    }
                }
                _ => return Err(format!("{path}: content kinds differ")),
            }
            same_props(&x.adapted, &y.adapted, path)?;
            same_props(&x.extended, &y.extended, path)
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a:?} != {b:?}")),
    }
}

fn same_props(
    a: &[psremote_psrp::clixml::Property],
    b: &[psremote_psrp::clixml::Property],
    path: &str,
) -> Result<(), String> {
    // PowerShell property names are case-insensitive (pypsrp writes SET_MAX_RUNSPACES' `ci`
    // as `CI`; MS-PSRP 2.2.2.6 spells it `ci`).
    let names = |v: &[psremote_psrp::clixml::Property]| {
        let mut n: Vec<String> = v.iter().map(|p| p.name.to_ascii_lowercase()).collect();
        n.sort();
        n
    };
    if names(a) != names(b) {
        return Err(format!(
            "{path}: properties {:?} != {:?}",
            names(a),
            names(b)
        ));
    }
    for p in a {
        if let Some(q) = b.iter().find(|q| q.name.eq_ignore_ascii_case(&p.name)) {
            same(&p.value, &q.value, &format!("{path}.{}", p.name))?;
        }
    }
    Ok(())
}
