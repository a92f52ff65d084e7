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

/// Replaces every character that can't be in an identifier by a word break.
fn words(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
}

/// `Get-Service` → `get_service`, `ComputerName` → `computer_name`, `type` → `r#type`.
/// Returns the identifier text (possibly `r#…`).
pub fn snake(name: &str) -> String {
    let mut s = words(name).to_snake_case();
    if s.is_empty() {
        s = "x".to_owned();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    escape_keyword(s)
}

/// `Get-Service` → `GetService`, `root\cimv2\Win32_PingStatus` → `Win32PingStatus`.
pub fn pascal(name: &str) -> String {
    let mut s = words(name).to_upper_camel_case();
    if s.is_empty() {
        s = "X".to_owned();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'V');
    }
    escape_keyword(s)
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
}
