//! PowerShell names → Rust identifiers: snake_case methods, PascalCase types, keywords,
//! and names that only differ by case or punctuation (made unique with a numeric suffix).

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (2024 edition, strict and reserved) that need `r#` or another spelling.
const KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers; they get a trailing `_`.
const NOT_RAW: [&str; 5] = ["self", "Self", "super", "crate", "_"];

/// Replaces every character that can't be in an identifier by a word break. Rust's rule is
/// Unicode's XID_Continue, not `char::is_alphanumeric` (which takes `½`, for one).
fn words(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c != '_' && unicode_ident::is_xid_continue(c) {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
}

/// Makes cased text an identifier: only XID_Continue characters (`words` kept only those, but
/// heck's case mapping may turn one into others), `fallback` when nothing is left, and `lead`
/// in front when the first character cannot start one (a digit, a combining mark such as
/// U+0366, which the fuzzer found).
fn identifier(cased: String, fallback: &str, lead: char) -> String {
    let mut s: String = cased
        .chars()
        .filter(|&c| c == '_' || unicode_ident::is_xid_continue(c))
        .collect();
    if s.is_empty() {
        s = fallback.to_owned();
    }
    if s.starts_with(|c: char| c != '_' && !unicode_ident::is_xid_start(c)) {
        s.insert(0, lead);
    }
    escape_keyword(s)
}

/// `Get-Service` → `get_service`, `ComputerName` → `computer_name`, `type` → `r#type`.
/// Returns the identifier text (possibly `r#…`).
pub fn snake(name: &str) -> String {
    identifier(words(name).to_snake_case(), "x", '_')
}

/// `Get-Service` → `GetService`, `root\cimv2\Win32_PingStatus` → `Win32PingStatus`.
pub fn pascal(name: &str) -> String {
    identifier(words(name).to_upper_camel_case(), "X", 'V')
}

fn escape_keyword(s: String) -> String {
    if NOT_RAW.contains(&s.as_str()) {
        format!("{s}_")
    } else if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// Whether an identifier's text is non-ASCII (quote's `Ident` accepts Unicode XID idents,
/// so this is informational only).
pub fn ident(text: &str) -> proc_macro2::Ident {
    match text.strip_prefix("r#") {
        Some(raw) => proc_macro2::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => proc_macro2::Ident::new(text, proc_macro2::Span::call_site()),
    }
}

/// A scope of names: hands out unique identifiers, adding `2`, `3`… on a clash.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    used: BTreeSet<String>,
}

impl Scope {
    /// A scope whose given names are taken already.
    pub fn with_reserved(reserved: &[&str]) -> Scope {
        Scope {
            used: reserved.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Whether a name is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.used.contains(name.trim_start_matches("r#"))
    }

    /// Takes `wanted`, or `wanted2`, `wanted3`… (keywords keep their `r#`).
    pub fn take(&mut self, wanted: &str) -> String {
        let bare = wanted.trim_start_matches("r#");
        if self.used.insert(bare.to_owned()) {
            return wanted.to_owned();
        }
        for n in 2.. {
            let candidate = format!("{bare}{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!("an unbounded counter always finds a free name")
    }

    /// Takes `wanted`, or `wanted` + `suffix` when taken, then numbered.
    pub fn take_with(&mut self, wanted: &str, suffix: &str) -> String {
        let bare = wanted.trim_start_matches("r#");
        if !self.used.contains(bare) {
            return self.take(wanted);
        }
        self.take(&format!("{bare}{suffix}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_names_become_rust_names() {
        assert_eq!(snake("Get-Service"), "get_service");
        assert_eq!(snake("ComputerName"), "computer_name");
        assert_eq!(snake("UseSSL"), "use_ssl");
        assert_eq!(snake("Type"), "r#type");
        assert_eq!(snake("Self"), "self_");
        assert_eq!(snake("32Bit"), "_32bit");
        assert_eq!(pascal("Get-Service"), "GetService");
        assert_eq!(
            pascal("root\\cimv2\\Win32_PingStatus"),
            "RootCimv2Win32PingStatus"
        );
        assert_eq!(pascal("Self"), "Self_");
        assert_eq!(pascal("7zip"), "V7zip");
    }

    #[test]
    fn scope_numbers_clashes() {
        let mut s = Scope::with_reserved(&["invoke"]);
        assert_eq!(s.take("invoke"), "invoke2");
        assert_eq!(s.take("name"), "name");
        assert_eq!(s.take("name"), "name2");
        assert_eq!(s.take_with("stream", "_param"), "stream");
        assert_eq!(s.take_with("stream", "_param"), "stream_param");
        assert_eq!(s.take("r#type"), "r#type");
        assert_eq!(s.take("r#type"), "type2");
    }

    #[test]
    fn any_name_becomes_a_valid_identifier() {
        // U+0366 is alphabetic but cannot start an identifier; ½ is numeric but cannot be in
        // one (both passed `char::is_alphanumeric`; the first made `Ident::new` panic).
        for name in [
            "\u{366}", "\u{366}x", "a½b", "½", "9lives", "é-té", "_", "-", "", "ǅemal",
        ] {
            for text in [snake(name), pascal(name)] {
                let id = ident(&text);
                assert!(
                    syn::parse_str::<syn::Ident>(&id.to_string()).is_ok(),
                    "{name:?} → {text:?}"
                );
            }
        }
        assert_eq!(pascal("\u{366}"), "V\u{366}");
        assert_eq!(snake("a½b"), "a_b");
    }
}
