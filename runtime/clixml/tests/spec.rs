#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One test per CLIXML element with the examples of MS-PSRP 2.2.5, byte for byte where the
//! specification gives bytes; malformed input and limits give typed errors.

use std::sync::Arc;

use psremote_clixml::{
    DateTime, Decimal, Duration, Error, LimitKind, Limits, ListKind, ObjContent, PsObject, Value,
    Version, from_bytes, from_str, from_str_with, to_objs_document, to_string,
};

fn one(xml: &str) -> Value {
    let mut v = from_str(xml).unwrap_or_else(|e| panic!("{xml}: {e}"));
    assert_eq!(v.len(), 1, "{xml}");
    v.remove(0)
}

/// Decodes the spec's example to `expected`, and encodes `expected` back to the same bytes.
fn exact(xml: &str, expected: Value) {
    assert_eq!(one(xml), expected, "{xml}");
    assert_eq!(to_string(&expected), xml);
}

#[test]
fn primitive_examples_of_2_2_5_1() {
    exact(
        "<S>This is a string</S>",
        Value::String("This is a string".into()),
    );
    exact("<C>97</C>", Value::Char(97));
    exact("<B>true</B>", Value::Bool(true));
    exact(
        "<DT>2008-04-11T10:42:32.2731993-07:00</DT>",
        Value::DateTime(DateTime("2008-04-11T10:42:32.2731993-07:00".into())),
    );
    exact(
        "<TS>PT9.0269026S</TS>",
        Value::Duration(Duration("PT9.0269026S".into())),
    );
    exact("<By>254</By>", Value::U8(254));
    exact("<SB>-127</SB>", Value::I8(-127));
    exact("<U16>65535</U16>", Value::U16(65535));
    exact("<I16>-32767</I16>", Value::I16(-32767));
    exact("<U32>4294967295</U32>", Value::U32(u32::MAX));
    exact("<I32>-2147483648</I32>", Value::I32(i32::MIN));
    exact("<U64>18446744073709551615</U64>", Value::U64(u64::MAX));
    exact("<I64>-9223372036854775808</I64>", Value::I64(i64::MIN));
    exact("<Sg>12.34</Sg>", Value::Float(12.34));
    exact("<Db>12.34</Db>", Value::Double(12.34));
    exact("<D>12.34</D>", Value::Decimal(Decimal("12.34".into())));
    exact("<BA>AQIDBA==</BA>", Value::Bytes(vec![1, 2, 3, 4]));
    exact(
        "<G>792e5b37-4505-47ef-b7d2-8711bb7affa8</G>",
        Value::Guid(uuid::Uuid::parse_str("792e5b37-4505-47ef-b7d2-8711bb7affa8").unwrap()),
    );
    exact(
        "<URI>http://www.microsoft.com/</URI>",
        Value::Uri("http://www.microsoft.com/".into()),
    );
    exact("<Nil />", Value::Null);
    exact(
        "<Version>6.0.6001.18000</Version>",
        Value::Version(Version::new4(6, 0, 6001, 18000)),
    );
    exact("<Version>2.3</Version>", Value::Version(Version::new(2, 3)));
    exact(
        "<XD>&lt;item&gt;&lt;name&gt;laptop&lt;/name&gt;&lt;/item&gt;</XD>",
        Value::XmlDocument("<item><name>laptop</name></item>".into()),
    );
    exact(
        "<SBK>get-command -type cmdlet</SBK>",
        Value::ScriptBlock("get-command -type cmdlet".into()),
    );
    exact("<SS>AQID</SS>", Value::SecureString(vec![1, 2, 3]));
}

#[test]
fn string_encoding_of_2_2_5_3_2() {
    exact(
        "<S>Order_x000A_Details</S>",
        Value::String("Order\nDetails".into()),
    );
    exact(
        "<S>Order_Details</S>",
        Value::String("Order_Details".into()),
    );
    // The spec spells the escape of `_` in lower case; both decode, we write upper case as
    // Windows does.
    assert_eq!(
        one("<S>Order_x005f_x0020_</S>"),
        Value::String("Order_x0020_".into())
    );
    assert_eq!(
        to_string(&Value::String("Order_x0020_".into())),
        "<S>Order_x005F_x0020_</S>"
    );
    exact("<S>_xD801__xDC37_</S>", Value::String("\u{10437}".into()));
    exact(
        "<S>a&amp;b &lt;c&gt; \"d\"</S>",
        Value::String("a&b <c> \"d\"".into()),
    );
    assert_eq!(one("<S>&#x41;&#66;</S>"), Value::String("AB".into()));
    assert_eq!(one("<S><![CDATA[<x>]]></S>"), Value::String("<x>".into()));
    assert_eq!(one("<S/>"), Value::String(String::new()));
    // XML normalizes a literal CR LF to LF; an escaped one survives.
    assert_eq!(one("<S>a\r\nb</S>"), Value::String("a\nb".into()));
    assert_eq!(one("<S N=\"a_x0020_b\">x</S>"), Value::String("x".into()));
}

/// Text split by comments, processing instructions and CDATA sections reads as one string;
/// end tags may carry whitespace; markup between elements is skipped.
#[test]
fn text_mixed_with_markup() {
    assert_eq!(
        one("<S>a<!-- c -->b<?pi x?>&amp;<![CDATA[&\r\n]]>\rc</S >"),
        Value::String("ab&&\n\nc".into())
    );
    assert_eq!(one("<I32> 4<!---->2 </I32>"), Value::I32(42),);
    let v = one("<Obj RefId=\"0\">\r\n <!-- x --><?pi?>\n<MS>\t<S N=\"a\">x</S\n></MS>\n</Obj>");
    assert_eq!(
        v.as_object().unwrap().get("a"),
        Some(&Value::String("x".into()))
    );
    for bad in [
        "<S>a<b/></S>",
        "<S>a</T>",
        "<S>&#0;</S>",
        "<S>&amp</S>",
        "<S><!-- x</S>",
        "<S><![CDATA[x</S>",
        "<S>x</S",
        "<Obj>text</Obj>",
        "<Obj><![CDATA[x]]></Obj>",
    ] {
        assert!(from_str(bad).is_err(), "{bad}");
    }
}

#[test]
fn float_spellings_of_dotnet() {
    for (xml, v) in [
        ("<Db>INF</Db>", f64::INFINITY),
        ("<Db>-INF</Db>", f64::NEG_INFINITY),
        ("<Db>1E+20</Db>", 1e20),
        ("<Db>1E-05</Db>", 1e-5),
        ("<Db>-0</Db>", -0.0),
    ] {
        exact(xml, Value::Double(v));
    }
    match one("<Db>NaN</Db>") {
        Value::Double(d) => assert!(d.is_nan()),
        other => panic!("{other:?}"),
    }
    assert_eq!(to_string(&Value::Double(f64::NAN)), "<Db>NaN</Db>");
    assert_eq!(to_string(&Value::Float(f32::NEG_INFINITY)), "<Sg>-INF</Sg>");
    match one("<Db>-0</Db>") {
        Value::Double(d) => assert!(d.is_sign_negative()),
        other => panic!("{other:?}"),
    }
}

fn point() -> PsObject {
    PsObject::with_type_names(["System.Drawing.Point", "System.ValueType", "System.Object"])
        .with_to_string("{X=10,Y=20}")
        .with_adapted("IsEmpty", false)
        .with_adapted("X", 10)
        .with_adapted("Y", 20)
}

#[test]
fn complex_object_with_type_names_props_and_ms_2_2_5_2() {
    let xml = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Drawing.Point</T><T>System.ValueType</T>\
               <T>System.Object</T></TN><ToString>{X=10,Y=20}</ToString><Props><B N=\"IsEmpty\">false</B>\
               <I32 N=\"X\">10</I32><I32 N=\"Y\">20</I32></Props><MS><S N=\"Property1\">This is an extended \
               property</S></MS></Obj>";
    exact(
        xml,
        Value::object(point().with_extended("Property1", "This is an extended property")),
    );
}

#[test]
fn property_sets_nested_in_ms_2_2_5_2_9() {
    // The spec's example, with its whitespace and string RefIds.
    let xml = r#"<Obj RefId="RefId-0"> <TN RefId="RefId-0"> <T>System.Drawing.Point</T> <T>System.ValueType</T> <T>System.Object</T> </TN> <ToString>{X=10,Y=20}</ToString> <Props> <B N="IsEmpty">false</B> <I32 N="X">10</I32> <I32 N="Y">20</I32> </Props> <MS> <S N="Property1">This is an extended property</S> <S N="Property2">This is a second extended property</S> <MS N="PropertySet1"> <S N="Property3">This is a third extended property</S> <S N="Property4">This is a forth extended property</S> </MS> </MS> </Obj>"#;
    let v = one(xml);
    let o = v.as_object().unwrap();
    assert_eq!(o.get("X"), Some(&Value::I32(10)));
    let set = o.get("PropertySet1").unwrap();
    let members = psremote_clixml::value::as_property_set(set).unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(
        members[1].value,
        Value::String("This is a forth extended property".into())
    );
    let again = to_string(&v);
    assert!(
        again.contains("<MS N=\"PropertySet1\"><S N=\"Property3\">"),
        "{again}"
    );
    assert_eq!(one(&again), v);
}

#[test]
fn tnref_shares_type_names_2_2_5_2_3() {
    let xml = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN>\
               <LST><Obj RefId=\"1\"><TN RefId=\"1\"><T>System.Drawing.Point</T><T>System.ValueType</T><T>System.Object</T></TN>\
               <ToString>{X=10,Y=20}</ToString><Props><B N=\"IsEmpty\">false</B><I32 N=\"X\">10</I32><I32 N=\"Y\">20</I32></Props></Obj>\
               <Obj RefId=\"2\"><TNRef RefId=\"1\" /><ToString>{X=10,Y=20}</ToString><Props><B N=\"IsEmpty\">false</B><I32 N=\"X\">10</I32><I32 N=\"Y\">20</I32></Props></Obj>\
               </LST></Obj>";
    let v = one(xml);
    let ObjContent::List(ListKind::List, items) = &v.as_object().unwrap().content else {
        panic!("not a list")
    };
    let (a, b) = (items[0].as_object().unwrap(), items[1].as_object().unwrap());
    assert!(Arc::ptr_eq(
        a.type_names.as_ref().unwrap(),
        b.type_names.as_ref().unwrap()
    ));
    assert_eq!(to_string(&v), xml);
}

#[test]
fn ref_resolves_to_the_same_object_and_is_written_again_2_2_5_2_2() {
    let xml = "<Obj RefId=\"0\"><MS><Obj N=\"A\" RefId=\"1\"><MS><I32 N=\"X\">1</I32></MS></Obj>\
               <Ref N=\"B\" RefId=\"1\" /></MS></Obj>";
    let v = one(xml);
    let o = v.as_object().unwrap();
    let (Some(Value::Object(a)), Some(Value::Object(b))) = (o.get("A"), o.get("B")) else {
        panic!("{o:?}")
    };
    assert!(Arc::ptr_eq(a, b));
    assert_eq!(to_string(&v), xml);
    // A reference to an object not (yet) read is an error, not a panic.
    let err = from_str("<Obj RefId=\"0\"><MS><Ref N=\"B\" RefId=\"0\" /></MS></Obj>").unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
}

#[test]
fn containers_2_2_5_2_6() {
    let stack = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Collections.Stack</T><T>System.Object</T></TN>\
                 <STK><S>World</S><S>Hello</S></STK></Obj>";
    let v = one(stack);
    assert!(
        matches!(&v.as_object().unwrap().content, ObjContent::List(ListKind::Stack, items) if items.len() == 2)
    );
    assert_eq!(to_string(&v), stack);
    for tag in ["QUE", "IE", "LST"] {
        let xml = format!("<Obj RefId=\"0\"><{tag}><I32>1</I32><Nil /></{tag}></Obj>");
        assert_eq!(to_string(&one(&xml)), xml);
    }
    let dct = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Collections.Hashtable</T><T>System.Object</T></TN>\
               <DCT><En><S N=\"Key\">sample key</S><S N=\"Value\">sample value</S></En>\
               <En><I32 N=\"Key\">2</I32><Nil N=\"Value\" /></En></DCT></Obj>";
    let v = one(dct);
    let ObjContent::Dict(entries) = &v.as_object().unwrap().content else {
        panic!()
    };
    assert_eq!(entries[1], (Value::I32(2), Value::Null));
    assert_eq!(to_string(&v), dct);
    // Value before Key is accepted too.
    let swapped =
        "<Obj RefId=\"0\"><DCT><En><S N=\"Value\">v</S><S N=\"Key\">k</S></En></DCT></Obj>";
    let ObjContent::Dict(entries) = &one(swapped).as_object().unwrap().content.clone() else {
        panic!()
    };
    assert_eq!(entries[0].0, Value::String("k".into()));
}

#[test]
fn enums_2_2_5_2_7() {
    let xml = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.ConsoleColor</T><T>System.Enum</T><T>System.ValueType</T>\
               <T>System.Object</T></TN><ToString>Blue</ToString><I32>9</I32></Obj>";
    let v = one(xml);
    assert_eq!(v.primitive(), &Value::I32(9));
    assert_eq!(v.as_object().unwrap().to_string.as_deref(), Some("Blue"));
    assert_eq!(to_string(&v), xml);
}

#[test]
fn objs_document_form() {
    let doc = to_objs_document(&[Value::I32(1), Value::String("x".into())]);
    assert_eq!(
        doc,
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><I32>1</I32><S>x</S></Objs>"
    );
    assert_eq!(
        from_str(&doc).unwrap(),
        [Value::I32(1), Value::String("x".into())]
    );
    let with_decl = format!("\u{FEFF}<?xml version=\"1.0\"?>\r\n{doc}\r\n");
    assert_eq!(from_bytes(with_decl.as_bytes()).unwrap().len(), 2);
    // Pretty-printed Export-Clixml output with a shared RefId space.
    let pretty = "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\n  <Obj RefId=\"0\">\n    <MS><I32 N=\"a\">1</I32></MS>\n  </Obj>\n  <Ref RefId=\"0\" />\n</Objs>";
    let v = from_str(pretty).unwrap();
    assert!(Arc::ptr_eq(
        match &v[0] {
            Value::Object(o) => o,
            _ => panic!(),
        },
        match &v[1] {
            Value::Object(o) => o,
            _ => panic!(),
        },
    ));
    assert_eq!(from_str("").unwrap(), []);
}

#[test]
fn errors_name_line_and_column() {
    let cases: &[(&str, usize, usize)] = &[
        (
            "<Obj RefId=\"0\">\n  <MS>\n    <I32 N=\"x\">12a</I32>",
            3,
            16,
        ),
        ("<S>ok</S>\n<Foo/>", 2, 1),
        ("<Obj>\n<MS>\n</Obj>", 3, 1),
        ("<S>unterminated", 1, 16),
    ];
    for (xml, line, column) in cases {
        let e = from_str(xml).unwrap_err();
        assert_eq!((e.line(), e.column()), (*line, *column), "{xml:?}: {e}");
    }
    assert!(matches!(
        from_bytes(b"<S>\xff</S>"),
        Err(Error::Xml {
            line: 1,
            column: 4,
            ..
        })
    ));
    assert!(matches!(
        from_str("<I32>99999999999</I32>"),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(from_str("<B>yes</B>"), Err(Error::Invalid { .. })));
    assert!(matches!(
        from_str("<G>nope</G>"),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        from_str("<Version>1</Version>"),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        from_str("<S>&bogus;</S>"),
        Err(Error::Invalid { .. })
    ));
    assert!(from_str("<!DOCTYPE x [<!ENTITY a \"b\">]><S>&a;</S>").is_err());
    assert!(matches!(
        from_str("<Obj><I32>1</I32><I32>2</I32></Obj>"),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        from_str("<Obj><TNRef RefId=\"9\" /></Obj>"),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        from_str("<Obj><MS><I32>1</I32></MS></Obj>"),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn limits_give_typed_errors() {
    let limits = Limits {
        max_depth: 3,
        ..Limits::DEFAULT
    };
    let deep = "<Obj><LST><Obj><LST><Obj><LST><I32>1</I32></LST></Obj></LST></Obj></LST></Obj>";
    assert!(matches!(
        from_str_with(deep, &limits),
        Err(Error::Limit {
            limit: LimitKind::Depth,
            max: 3,
            ..
        })
    ));
    // The default depth bound stops hostile nesting long before the stack runs out.
    let hostile = "<Obj><LST>".repeat(100_000);
    assert!(matches!(
        from_str(&hostile),
        Err(Error::Limit {
            limit: LimitKind::Depth,
            ..
        })
    ));

    let limits = Limits {
        max_container_len: 2,
        ..Limits::DEFAULT
    };
    let list = "<Obj><LST><I32>1</I32><I32>2</I32><I32>3</I32></LST></Obj>";
    assert!(matches!(
        from_str_with(list, &limits),
        Err(Error::Limit {
            limit: LimitKind::ContainerLen,
            ..
        })
    ));
    let limits = Limits {
        max_string_len: 4,
        ..Limits::DEFAULT
    };
    assert!(from_str_with("<S>abcd</S>", &limits).is_ok());
    assert!(matches!(
        from_str_with("<S>ab&amp;cd</S>", &limits),
        Err(Error::Limit {
            limit: LimitKind::StringLen,
            ..
        })
    ));
    let limits = Limits {
        max_refs: 2,
        ..Limits::DEFAULT
    };
    let refs = "<Obj RefId=\"0\"><LST><Obj RefId=\"1\" /><Obj RefId=\"2\" /></LST></Obj>";
    assert!(matches!(
        from_str_with(refs, &limits),
        Err(Error::Limit {
            limit: LimitKind::Refs,
            ..
        })
    ));
    // Objects without a RefId count too.
    let anonymous = "<Obj><LST><Obj /><Obj /><Obj /></LST></Obj>";
    assert!(matches!(
        from_str_with(anonymous, &limits),
        Err(Error::Limit {
            limit: LimitKind::Refs,
            ..
        })
    ));
    // Sparse RefIds stay cheap (no table sized by the largest id).
    let sparse: String = (0..1000)
        .map(|i| format!("<Obj RefId=\"{}\" />", 999_000_000 + i * 1000))
        .collect();
    assert_eq!(from_str(&sparse).unwrap().len(), 1000);
    let limits = Limits {
        max_total_bytes: 8,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        from_str_with("<S>123456</S>", &limits),
        Err(Error::Limit {
            limit: LimitKind::TotalBytes,
            ..
        })
    ));
}

#[test]
fn attribute_syntax_variants() {
    let v = one(
        "<Obj  RefId = '0' ><MS><S N = 'a&amp;b' >x</S><I32\tN=\"c\td\"\n>1</I32><I32 N=\"e&#x9;f\">2</I32></MS></Obj>",
    );
    let o = v.as_object().unwrap();
    assert_eq!(o.extended[0].name, "a&b");
    // XML attribute normalization turns a literal TAB into a space; `_x0009_` keeps it.
    assert_eq!(o.extended[1].name, "c d");
    // A character reference is not normalized.
    assert_eq!(o.extended[2].name, "e\tf");
    assert_eq!(
        one("<Obj><MS><S N=\"c_x0009_d\">x</S></MS></Obj>")
            .as_object()
            .unwrap()
            .extended[0]
            .name,
        "c\td"
    );
    for bad in [
        "<S N=\"x>y</S>",
        "<S N=x>y</S>",
        "<S N=\"a<b\">y</S>",
        "<S N=\"a\"M=\"b\">y</S>",
    ] {
        assert!(matches!(from_str(bad), Err(Error::Xml { .. })), "{bad}");
    }
    // Unknown attributes (xmlns, Version) are ignored.
    assert_eq!(
        one("<S xmlns=\"urn:x\" N=\"n\">v</S>"),
        Value::String("v".into())
    );
    // RefIds need not be numbers, and a large number does not allocate a large table.
    let v = one(
        "<Obj RefId=\"4000000000\"><LST><Obj RefId=\"x-1\" /><Ref RefId=\"x-1\" /></LST></Obj>",
    );
    let ObjContent::List(_, items) = &v.as_object().unwrap().content else {
        panic!()
    };
    assert_eq!(items[0], items[1]);
}
