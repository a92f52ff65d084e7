#![allow(clippy::unwrap_used, clippy::expect_used)]
//! decode(encode(v)) == v for arbitrary values (issue #3, deliverable 1).

use std::sync::Arc;

use proptest::prelude::*;
use psremote_clixml::{
    DateTime, Decimal, Duration, ListKind, ObjContent, Property, PsObject, Value, Version,
    from_str, to_objs_document, to_string,
};

/// Strings weighted towards what the `_xHHHH_` encoding must get right.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-z_xX0-9A-F\\r\\n\\t<>&\"' ]{0,24}",
        1 => "(_x[0-9A-Fa-f]{4}_|_x|_X|_|\u{1F600}|\u{85}|\u{FFFF}|\u{0}){0,6}",
        1 => Just(String::new()),
    ]
}

fn primitive() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        string().prop_map(Value::String),
        any::<u16>().prop_map(Value::Char),
        any::<bool>().prop_map(Value::Bool),
        "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,7})?(Z|[+-][01][0-9]:[0-5][0-9])?"
            .prop_map(|s| Value::DateTime(DateTime(s))),
        "-?P([0-9]{1,3}D)?T([0-9]{1,2}H)?([0-9]{1,2}M)?[0-9]{1,2}(\\.[0-9]{1,7})?S"
            .prop_map(|s| Value::Duration(Duration(s))),
        any::<u8>().prop_map(Value::U8),
        any::<i8>().prop_map(Value::I8),
        any::<u16>().prop_map(Value::U16),
        any::<i16>().prop_map(Value::I16),
        any::<u32>().prop_map(Value::U32),
        any::<i32>().prop_map(Value::I32),
        any::<u64>().prop_map(Value::U64),
        any::<i64>().prop_map(Value::I64),
        // NaN is checked by the unit tests (NaN != NaN under PartialEq).
        any::<f32>().prop_filter("not NaN", |f| !f.is_nan()).prop_map(Value::Float),
        any::<f64>().prop_filter("not NaN", |f| !f.is_nan()).prop_map(Value::Double),
        "-?[0-9]{1,20}(\\.[0-9]{1,8})?".prop_map(|s| Value::Decimal(Decimal(s))),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        any::<u128>().prop_map(|n| Value::Guid(uuid::Uuid::from_u128(n))),
        string().prop_map(Value::Uri),
        (0..i32::MAX, 0..i32::MAX, proptest::option::of((0..i32::MAX, proptest::option::of(0..i32::MAX))))
            .prop_map(|(major, minor, rest)| Value::Version(Version {
                major,
                minor,
                build: rest.map(|r| r.0),
                revision: rest.and_then(|r| r.1),
            })),
        string().prop_map(Value::XmlDocument),
        string().prop_map(Value::ScriptBlock),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::SecureString),
    ]
}

fn properties(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Vec<Property>> {
    proptest::collection::vec(
        (string(), inner).prop_map(|(name, value)| Property { name, value }),
        0..4,
    )
}

fn value() -> impl Strategy<Value = Value> {
    primitive().prop_recursive(5, 64, 6, |inner| {
        let inner = inner.boxed();
        let type_names = proptest::option::of(proptest::collection::vec(string(), 0..4));
        let content = prop_oneof![
            Just(ObjContent::None),
            primitive().prop_map(ObjContent::Value),
            (
                prop_oneof![
                    Just(ListKind::List),
                    Just(ListKind::Enumerable),
                    Just(ListKind::Stack),
                    Just(ListKind::Queue)
                ],
                proptest::collection::vec(inner.clone(), 0..5)
            )
                .prop_map(|(k, items)| ObjContent::List(k, items)),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4)
                .prop_map(ObjContent::Dict),
        ];
        let object = (
            type_names,
            proptest::option::of(string()),
            content,
            properties(inner.clone()),
            properties(inner.clone()),
        )
            .prop_map(|(tn, to_string, content, adapted, extended)| {
                Value::object(PsObject {
                    type_names: tn.map(Arc::from),
                    to_string,
                    content,
                    adapted,
                    extended,
                })
            })
            .boxed();
        // The same Arc several times: the writer must emit <Ref>, the reader share it again.
        let shared = (object.clone(), 1usize..4).prop_map(|(o, n)| {
            Value::object(PsObject::default().with_content(ObjContent::List(
                ListKind::List,
                std::iter::repeat_n(o, n).collect(),
            )))
        });
        prop_oneof![3 => object, 1 => shared]
    })
}

/// Pointer-shared objects in `a` are pointer-shared at the same places in `b`.
fn same_sharing(a: &Value, b: &Value) -> bool {
    fn walk<'v>(v: &'v Value, out: &mut Vec<&'v Arc<PsObject>>) {
        if let Value::Object(o) = v {
            out.push(o);
            match &o.content {
                ObjContent::Value(x) => walk(x, out),
                ObjContent::List(_, items) => items.iter().for_each(|x| walk(x, out)),
                ObjContent::Dict(entries) => entries.iter().for_each(|(k, x)| {
                    walk(k, out);
                    walk(x, out)
                }),
                ObjContent::None => {}
            }
            o.adapted
                .iter()
                .chain(&o.extended)
                .for_each(|p| walk(&p.value, out));
        }
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    walk(a, &mut xs);
    walk(b, &mut ys);
    xs.len() == ys.len()
        && (0..xs.len())
            .all(|i| (0..xs.len()).all(|j| Arc::ptr_eq(xs[i], xs[j]) == Arc::ptr_eq(ys[i], ys[j])))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decode_encode_is_identity(v in value()) {
        let xml = to_string(&v);
        let back = from_str(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(&back[0], &v, "{}", xml);
        prop_assert!(same_sharing(&v, &back[0]));
        // Encoding is deterministic and stable under a second round.
        prop_assert_eq!(to_string(&back[0]), xml);
    }

    #[test]
    fn documents_round_trip(vs in proptest::collection::vec(value(), 0..4)) {
        let xml = to_objs_document(&vs);
        let back = from_str(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert_eq!(back, vs);
    }

    #[test]
    fn strings_round_trip_as_names_and_values(s in string(), n in string()) {
        let v = Value::object(PsObject::default().with_extended(n, Value::String(s)));
        prop_assert_eq!(from_str(&to_string(&v)).ok(), Some(vec![v]));
    }
}

/// Markup and text pieces spliced into valid CLIXML to break it.
const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "</S>",
    "<S>",
    "<Obj>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?",
    "?>",
    "<!DOCTYPE",
    "\"",
    "'",
    "=",
    " N=\"x\"",
    " RefId=\"0\"",
    "&",
    "&amp;",
    "&#x",
    "&#0;",
    ";",
    "_x",
    "_xD800_",
    "\r",
    "\r\n",
    "\u{e9}",
    "\u{1F600}",
    "<Ref RefId=\"0\" />",
    "<TNRef RefId=\"0\"/>",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Truncated or spliced input gives a value or an error, never a panic.
    #[test]
    fn broken_input_never_panics(
        v in value(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        frag in prop::sample::select(FRAGMENTS),
    ) {
        let xml = to_string(&v);
        let boundary = |i: usize| (0..=i).rev().find(|&j| xml.is_char_boundary(j)).unwrap_or(0);
        let _ = from_str(&xml[..boundary(cut.index(xml.len() + 1))]);
        let at = boundary(at.index(xml.len() + 1));
        let _ = from_str(&format!("{}{frag}{}", &xml[..at], &xml[at..]));
    }
}

#[cfg(feature = "json")]
proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The JSON view is an exact inverse, also through JSON text.
    #[test]
    fn json_view_round_trips(v in value()) {
        use psremote_clixml::json::{from_json, to_json};
        let j = to_json(&v);
        let text = serde_json::to_string(&j).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = from_json(&parsed).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &v, "{}", text);
        prop_assert!(same_sharing(&v, &back));
    }
}
