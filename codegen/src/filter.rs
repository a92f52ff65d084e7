//! Which commands to import, as Import-PSSession chooses them: `-CommandName` wildcards,
//! `-Module`, `-CommandType`, the server's CommandsToSkip (or the default list), and the
//! safe-name checks that keep hostile metadata out of generated code.

use crate::metadata::{Catalog, CommandInfo};

/// The skip list Import-PSSession falls back to when the server's ApplicationPrivateData has
/// no `ImplicitRemoting.CommandsToSkip`: the commands implicit remoting itself uses
/// (Get-Command, Get-FormatData, Get-Help, Select-Object, Measure-Object), those 1:1 remoting
/// needs (Exit-PSSession, Out-Default), and Clear-Host, the remaining member of the restricted
/// remote-server command set. A name given explicitly in `names` is imported anyway.
pub const DEFAULT_SKIP: [&str; 8] = [
    "Get-Command",
    "Get-FormatData",
    "Get-Help",
    "Select-Object",
    "Measure-Object",
    "Exit-PSSession",
    "Out-Default",
    "Clear-Host",
];

/// Import filters. Empty lists mean "all".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Command names with PowerShell wildcards (`*`, `?`, `[a-c]`), case-insensitive.
    pub names: Vec<String>,
    /// Module names (wildcards allowed).
    pub modules: Vec<String>,
    /// Command types (Cmdlet, Function, Alias, …).
    pub command_types: Vec<String>,
    /// Commands to skip; `None` = [`DEFAULT_SKIP`].
    pub skip: Option<Vec<String>>,
}

/// A command left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// PowerShell wildcard match (`WildcardPattern`, IgnoreCase): `*`, `?`, `[set]`, `` ` `` escapes.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| t.get(i..).is_some_and(|tt| go(rest, tt))),
            Some(('?', rest)) => t.split_first().is_some_and(|(_, tt)| go(rest, tt)),
            Some(('`', rest)) => match (rest.split_first(), t.split_first()) {
                (Some((pc, prest)), Some((tc, tt))) => pc == tc && go(prest, tt),
                _ => false,
            },
            Some(('[', rest)) => {
                let Some(close) = rest.iter().position(|c| *c == ']') else {
                    return t
                        .split_first()
                        .is_some_and(|(tc, tt)| *tc == '[' && go(rest, tt));
                };
                let (class, after) = (&rest[..close], &rest[close + 1..]);
                let Some((tc, tt)) = t.split_first() else {
                    return false;
                };
                let mut ok = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        ok |= class[i] <= *tc && *tc <= class[i + 2];
                        i += 3;
                    } else {
                        ok |= class[i] == *tc;
                        i += 1;
                    }
                }
                ok && go(after, tt)
            }
            Some((c, rest)) => t
                .split_first()
                .is_some_and(|(tc, tt)| c == tc && go(rest, tt)),
        }
    }
    go(&p, &t)
}

/// `CommandMetadata.isSafeNameOrIdentifierRegex`: `^[-._:\\\p{Ll}\p{Lu}\p{Lt}\p{Lo}\p{Nd}\p{Lm}]{1,100}$`.
/// Letters and decimal digits of any script, plus `-._:\`; at most 100 characters.
pub fn is_safe_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=100).contains(&n)
        && name.chars().all(|c| {
            matches!(c, '-' | '.' | '_' | ':' | '\\') || c.is_alphabetic() || c.is_numeric()
        })
}

/// Why a command's names are unsafe to generate code from, if they are. Mirrors
/// Import-PSSession's `IsSafeCommandMetadata` (command, set, parameter and alias names;
/// parameter names may not contain `:`), plus our own rule that the name must leave an
/// identifier once the separators are dropped.
pub fn unsafe_reason(c: &CommandInfo) -> Option<String> {
    if !is_safe_name(&c.name) {
        return Some(format!(
            "command name {:?} has characters outside letters, digits and -._:\\ (or is longer than 100)",
            c.name
        ));
    }
    if !c.name.chars().any(char::is_alphanumeric) {
        return Some(format!(
            "command name {:?} has no letter or digit to name a Rust item after",
            c.name
        ));
    }
    if let Some(d) = &c.default_parameter_set
        && !is_safe_name(d)
    {
        return Some(format!("default parameter set name {d:?} is unsafe"));
    }
    for s in &c.parameter_sets {
        if !is_safe_name(&s.name) {
            return Some(format!("parameter set name {:?} is unsafe", s.name));
        }
        for p in &s.parameters {
            if !is_safe_name(&p.name) || p.name.contains(':') {
                return Some(format!("parameter name {:?} is unsafe", p.name));
            }
            if !p.name.chars().any(char::is_alphanumeric) {
                return Some(format!(
                    "parameter name {:?} has no letter or digit",
                    p.name
                ));
            }
            if let Some(a) = p.aliases.iter().find(|a| !is_safe_name(a)) {
                return Some(format!("alias {a:?} of parameter {} is unsafe", p.name));
            }
        }
    }
    None
}

impl Filter {
    /// Whether a command name was asked for by an exact (wildcard-free) name.
    fn named_explicitly(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Applies the filters: the catalog keeps the chosen commands; the rest are reported.
    pub fn apply(&self, catalog: &Catalog) -> (Catalog, Vec<Skipped>) {
        let mut out = catalog.clone();
        let mut skipped = Vec::new();
        let skip: Vec<String> = match &self.skip {
            Some(s) => s.clone(),
            None => DEFAULT_SKIP.iter().map(|s| (*s).to_owned()).collect(),
        };
        out.commands.retain(|c| {
            let by_name =
                self.names.is_empty() || self.names.iter().any(|p| wildcard_match(p, &c.name));
            let by_module = self.modules.is_empty()
                || self.modules.iter().any(|m| {
                    c.module.as_deref().is_some_and(|cm| wildcard_match(m, cm))
                });
            let by_type = self.command_types.is_empty()
                || self
                    .command_types
                    .iter()
                    .any(|t| c.command_type.split(", ").any(|ct| ct.eq_ignore_ascii_case(t)));
            let reason = if !(by_name && by_module && by_type) {
                Some(String::new())
            } else if skip.iter().any(|s| s.eq_ignore_ascii_case(&c.name))
                && !self.named_explicitly(&c.name)
            {
                Some(
                    "on the skip list (implicit remoting uses it itself); name it explicitly to import it"
                        .to_owned(),
                )
            } else {
                unsafe_reason(c)
            };
            match reason {
                None => true,
                // Not selected: not worth reporting.
                Some(r) if r.is_empty() => false,
                Some(r) => {
                    skipped.push(Skipped {
                        name: c.name.clone(),
                        reason: r,
                    });
                    false
                }
            }
        });
        // An alias is only useful if its command came along.
        let names: Vec<String> = out
            .commands
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        out.commands.retain(|c| {
            if !c.is_alias() {
                return true;
            }
            match &c.resolved_command_name {
                Some(r) if names.contains(&r.to_ascii_lowercase()) => true,
                Some(r) => {
                    skipped.push(Skipped {
                        name: c.name.clone(),
                        reason: format!("alias of {r}, which is not imported"),
                    });
                    false
                }
                None => {
                    skipped.push(Skipped {
                        name: c.name.clone(),
                        reason: "alias whose command could not be resolved".to_owned(),
                    });
                    false
                }
            }
        });
        out.normalize();
        (out, skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_behave_like_powershell() {
        assert!(wildcard_match("get-*", "Get-Service"));
        assert!(wildcard_match("*-Serv?ce", "Get-Service"));
        assert!(wildcard_match("[gs]et-*", "Set-Item"));
        assert!(wildcard_match("[a-h]et-*", "Get-Item"));
        assert!(!wildcard_match("[s]et-*", "Get-Item"));
        assert!(wildcard_match("a`*", "a*"));
        assert!(!wildcard_match("a`*", "ab"));
        assert!(!wildcard_match("Get-Service", "Get-Services"));
    }

    #[test]
    fn safe_names_follow_the_implicit_remoting_regex() {
        assert!(is_safe_name("Get-Service"));
        assert!(is_safe_name("cd\\"));
        assert!(is_safe_name("C:"));
        assert!(is_safe_name("net.exe"));
        assert!(!is_safe_name("Get-Thing;rm"));
        assert!(!is_safe_name("a b"));
        assert!(!is_safe_name("%"));
        assert!(!is_safe_name(&"a".repeat(101)));
        assert!(!is_safe_name(""));
    }
}
