//! .NET type names → what the generated Rust accepts or returns.
//!
//! PowerShell binds parameters by converting arguments (LanguagePrimitives): a string becomes
//! a `CultureInfo`, a `Type`, an `Encoding`; an integer becomes an enum. The generated code
//! picks, per declared .NET type, the Rust type a user naturally has that the server will
//! bind to that parameter.

use std::collections::BTreeMap;

use crate::metadata::TypeInfo;

/// What a .NET type maps to (element type; arrays are [`TypeRef::array`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `SwitchParameter`.
    Switch,
    /// A Rust type the runtime converts to its PSRP primitive (MS-PSRP 2.2.5.1).
    Prim(&'static str),
    /// A .NET type PowerShell builds from a string (ctor(string) / Parse / transformation).
    StringLike,
    /// `SecureString`: encrypted with the session key at call time (MS-PSRP 2.2.5.1.24).
    Secure,
    /// `PSCredential`: user name + SecureString password.
    Credential,
    /// An enum the catalog lists values for (full .NET name).
    Enum(String),
    /// Any other class (full type name as PowerShell writes it).
    Class(String),
    /// `object`/`PSObject`, or a type we can't name: the dynamic CLIXML value.
    Dynamic(String),
}

/// A parsed parameter/output/property type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    pub kind: Kind,
    pub array: bool,
}

const PRIMS: [(&str, &str); 20] = [
    ("System.String", "String"),
    ("System.Char", "char"),
    ("System.Boolean", "bool"),
    ("System.Byte", "u8"),
    ("System.SByte", "i8"),
    ("System.Int16", "i16"),
    ("System.UInt16", "u16"),
    ("System.Int32", "i32"),
    ("System.UInt32", "u32"),
    ("System.Int64", "i64"),
    ("System.UInt64", "u64"),
    ("System.Single", "f32"),
    ("System.Double", "f64"),
    ("System.Decimal", "__rt::Decimal"),
    ("System.DateTime", "__rt::DateTime"),
    ("System.TimeSpan", "__rt::Duration"),
    ("System.Guid", "__rt::Uuid"),
    ("System.Version", "__rt::Version"),
    ("System.Uri", "__rt::Uri"),
    (
        "System.Management.Automation.ScriptBlock",
        "__rt::ScriptBlock",
    ),
];

const DICTS: [&str; 5] = [
    "System.Collections.Hashtable",
    "System.Collections.IDictionary",
    "System.Collections.Specialized.OrderedDictionary",
    "System.Management.Automation.PSPrimitiveDictionary",
    "System.Collections.Generic.Dictionary`2[System.String,System.Object]",
];

/// Types PowerShell converts from a string when binding (constructor taking a string, static
/// `Parse(string)`, or an argument transformation attribute on the parameter).
const STRING_LIKE: [&str; 11] = [
    "System.Text.RegularExpressions.Regex",
    "System.Type",
    "System.Globalization.CultureInfo",
    "System.Text.Encoding",
    "System.Management.Automation.PSTypeName",
    "System.Net.IPAddress",
    "System.Net.Mail.MailAddress",
    "System.Xml.XmlDocument",
    "System.IO.FileInfo",
    "System.IO.DirectoryInfo",
    "System.Management.Automation.WildcardPattern",
];

const DYNAMIC: [&str; 4] = [
    "System.Object",
    "System.Management.Automation.PSObject",
    "System.Management.Automation.PSCustomObject",
    "System.Collections.IEnumerable",
];

/// Strips the `Deserialized.` prefix PowerShell adds to received objects' type names.
pub fn strip_deserialized(name: &str) -> &str {
    name.strip_prefix("Deserialized.").unwrap_or(name)
}

/// The argument of a one-argument generic (`Nullable`1[X]`, `Nullable`1[[X, asm]]`).
fn generic_arg(name: &str) -> Option<&str> {
    let open = name.find('[')?;
    let inner = name.get(open + 1..name.len().checked_sub(1)?)?;
    let inner = inner.trim_start_matches('[').trim_end_matches(']');
    let inner = inner.split(',').next()?.trim();
    (!inner.is_empty()).then_some(inner)
}

/// Whether a name looks like a .NET / PowerShell type name (not prose like "A Web service
/// proxy object"): dotted identifier segments, with `+` for nested types and a `#suffix`
/// for WMI/CIM-adapted names.
pub fn is_type_name(name: &str) -> bool {
    let base = name.split('#').next().unwrap_or("");
    !base.is_empty()
        && !name.contains(' ')
        && base.split(['.', '+']).all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '`')
        })
}

/// Parses a type as PowerShell wrote it, for a parameter (`param = true`) or an output or
/// property (`param = false`).
pub fn parse(name: &str, types: &BTreeMap<String, TypeInfo>, param: bool) -> TypeRef {
    let name = strip_deserialized(name.trim());
    if let Some(elem) = name.strip_suffix("[]") {
        if elem == "System.Byte" {
            return TypeRef {
                kind: Kind::Prim("__rt::Bytes"),
                array: false,
            };
        }
        let inner = parse(elem, types, param);
        if inner.array {
            return TypeRef {
                kind: Kind::Dynamic(format!("nested array type {name}")),
                array: false,
            };
        }
        return TypeRef {
            kind: inner.kind,
            array: true,
        };
    }
    let one = |kind| TypeRef { kind, array: false };
    if name.starts_with("System.Nullable`1") {
        return match generic_arg(name) {
            Some(a) => parse(a, types, param),
            None => one(Kind::Dynamic(format!("unreadable generic type {name}"))),
        };
    }
    for list in [
        "System.Collections.Generic.List`1",
        "System.Collections.ObjectModel.Collection`1",
        "System.Collections.Generic.IEnumerable`1",
        "System.Collections.ObjectModel.ReadOnlyCollection`1",
    ] {
        if name.starts_with(list)
            && let Some(a) = generic_arg(name)
        {
            let inner = parse(a, types, param);
            if !inner.array {
                return TypeRef {
                    kind: inner.kind,
                    array: true,
                };
            }
        }
    }
    if name.starts_with("System.Management.Automation.FlagsExpression`1") {
        // Written as a string expression ("ReadOnly+Hidden, !System") that PowerShell parses.
        return one(Kind::StringLike);
    }
    if name.ends_with("SwitchParameter") {
        return one(Kind::Switch);
    }
    if let Some((_, rust)) = PRIMS.iter().find(|(n, _)| *n == name) {
        return one(Kind::Prim(rust));
    }
    if DICTS.contains(&name) {
        return one(Kind::Prim("__rt::Hashtable"));
    }
    if name == "System.Security.SecureString" {
        return one(Kind::Secure);
    }
    if name == "System.Management.Automation.PSCredential" {
        return one(Kind::Credential);
    }
    if DYNAMIC.contains(&name) {
        return one(Kind::Dynamic(format!("declared as {name}")));
    }
    if let Some(t) = types.get(name)
        && t.enum_values.as_ref().is_some_and(|v| !v.is_empty())
    {
        return one(Kind::Enum(name.to_owned()));
    }
    if param && STRING_LIKE.contains(&name) {
        return one(Kind::StringLike);
    }
    if name.contains('`') {
        return one(Kind::Dynamic(format!("generic type {name}")));
    }
    if !is_type_name(name) {
        return one(Kind::Dynamic(format!("{name:?} is not a type name")));
    }
    one(Kind::Class(name.to_owned()))
}

/// The candidate Rust name of a .NET type: the last segment (nested `+` types keep their own
/// name; WMI/CIM `#root\cimv2\Win32_X` names use the class after the last `\`).
pub fn short_name(full: &str) -> String {
    if let Some((_, wmi)) = full.split_once('#') {
        let last = wmi.rsplit(['\\', '/']).next().unwrap_or(wmi);
        return crate::names::pascal(last);
    }
    let last = full.rsplit(['.', '+']).next().unwrap_or(full);
    crate::names::pascal(last)
}

/// A longer candidate: the last `depth + 1` segments joined (`RunspacesAuthenticationMechanism`).
pub fn qualified_name(full: &str, depth: usize) -> String {
    let base = full.split('#').next().unwrap_or(full);
    let segs: Vec<&str> = base.split(['.', '+']).collect();
    let start = segs.len().saturating_sub(depth + 1);
    let mut s = segs.get(start..).unwrap_or(&[]).join(" ");
    if let Some((_, wmi)) = full.split_once('#') {
        s.push(' ');
        s.push_str(wmi.rsplit(['\\', '/']).next().unwrap_or(wmi));
    }
    crate::names::pascal(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse() {
        let t = BTreeMap::new();
        assert_eq!(
            parse("System.String[]", &t, true),
            TypeRef {
                kind: Kind::Prim("String"),
                array: true
            }
        );
        assert_eq!(
            parse("System.Byte[]", &t, true).kind,
            Kind::Prim("__rt::Bytes")
        );
        assert_eq!(
            parse("System.Nullable`1[System.Int32]", &t, true).kind,
            Kind::Prim("i32")
        );
        assert_eq!(
            parse("System.Nullable`1[[System.DateTime]]", &t, true).kind,
            Kind::Prim("__rt::DateTime")
        );
        assert_eq!(
            parse(
                "System.Collections.Generic.List`1[System.Management.Automation.PSObject]",
                &t,
                true
            ),
            TypeRef {
                kind: Kind::Dynamic("declared as System.Management.Automation.PSObject".into()),
                array: true
            }
        );
        assert_eq!(
            parse("System.Globalization.CultureInfo", &t, true).kind,
            Kind::StringLike
        );
        assert_eq!(
            parse("System.Globalization.CultureInfo", &t, false).kind,
            Kind::Class("System.Globalization.CultureInfo".into())
        );
        assert!(matches!(
            parse("A Web service proxy object", &t, false).kind,
            Kind::Dynamic(_)
        ));
        assert_eq!(
            parse("Deserialized.System.Diagnostics.Process", &t, false).kind,
            Kind::Class("System.Diagnostics.Process".into())
        );
        assert_eq!(
            short_name("System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus"),
            "Win32PingStatus"
        );
        assert_eq!(
            short_name("Microsoft.PowerShell.Commands.BaseCsvWritingCommand+QuoteKind"),
            "QuoteKind"
        );
        assert_eq!(
            qualified_name(
                "System.Management.Automation.Runspaces.AuthenticationMechanism",
                1
            ),
            "RunspacesAuthenticationMechanism"
        );
    }
}
