//! Drift between a cached catalog and a live one (`psremote metadata --check`, and the
//! catalog check after a reconnect): what a user's generated stubs would get wrong.

use std::collections::BTreeMap;

use crate::metadata::{Catalog, CommandInfo, ParameterInfo};

/// One difference, printed as a line of a readable diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    CommandAdded(String),
    CommandRemoved(String),
    /// (command, what changed)
    CommandChanged(String, String),
    /// (type, what changed)
    TypeChanged(String, String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::CommandAdded(c) => write!(f, "+ {c}"),
            Change::CommandRemoved(c) => write!(f, "- {c}"),
            Change::CommandChanged(c, what) => write!(f, "~ {c}: {what}"),
            Change::TypeChanged(t, what) => write!(f, "~ type {t}: {what}"),
        }
    }
}

fn by_name(c: &Catalog) -> BTreeMap<String, &CommandInfo> {
    c.commands
        .iter()
        .map(|x| (x.name.to_ascii_lowercase(), x))
        .collect()
}

fn describe(p: &ParameterInfo) -> String {
    let mut s = format!(
        "-{} <{}>",
        p.name,
        p.type_name.as_deref().unwrap_or("untyped")
    );
    if p.is_mandatory {
        s.push_str(" mandatory");
    }
    if let Some(pos) = p.position {
        s.push_str(&format!(" position {pos}"));
    }
    if p.value_from_pipeline {
        s.push_str(" pipeline");
    }
    if p.value_from_pipeline_by_property_name {
        s.push_str(" pipeline-by-name");
    }
    if let Some(v) = &p.validate_set {
        s.push_str(&format!(" set [{}]", v.join(", ")));
    }
    s
}

fn command_changes(old: &CommandInfo, new: &CommandInfo, out: &mut Vec<Change>) {
    let name = &new.name;
    let mut push = |what: String| out.push(Change::CommandChanged(name.clone(), what));
    if old.output_types != new.output_types {
        push(format!(
            "output types {:?} → {:?}",
            old.output_types, new.output_types
        ));
    }
    if old.default_parameter_set != new.default_parameter_set {
        push(format!(
            "default parameter set {:?} → {:?}",
            old.default_parameter_set, new.default_parameter_set
        ));
    }
    let sets = |c: &CommandInfo| -> BTreeMap<String, BTreeMap<String, String>> {
        c.parameter_sets
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.parameters
                        .iter()
                        .map(|p| (p.name.to_ascii_lowercase(), describe(p)))
                        .collect(),
                )
            })
            .collect()
    };
    let (a, b) = (sets(old), sets(new));
    for (set, params) in &b {
        match a.get(set) {
            None => push(format!("parameter set {set} added")),
            Some(before) => {
                for (k, d) in params {
                    match before.get(k) {
                        None => push(format!("set {set}: added {d}")),
                        Some(x) if x != d => push(format!("set {set}: {x} → {d}")),
                        Some(_) => {}
                    }
                }
                for (k, d) in before {
                    if !params.contains_key(k) {
                        push(format!("set {set}: removed {d}"));
                    }
                }
            }
        }
    }
    for set in a.keys() {
        if !b.contains_key(set) {
            push(format!("parameter set {set} removed"));
        }
    }
}

/// The differences from `old` (the cache) to `new` (the live endpoint), sorted.
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<Change> {
    let mut out = Vec::new();
    let (a, b) = (by_name(old), by_name(new));
    for (k, c) in &b {
        match a.get(k) {
            None => out.push(Change::CommandAdded(c.name.clone())),
            Some(o) => command_changes(o, c, &mut out),
        }
    }
    for (k, c) in &a {
        if !b.contains_key(k) {
            out.push(Change::CommandRemoved(c.name.clone()));
        }
    }
    for (t, info) in &new.types {
        match old.types.get(t) {
            None => {}
            Some(o) if o.enum_values != info.enum_values => out.push(Change::TypeChanged(
                t.clone(),
                format!("enum values {:?} → {:?}", o.enum_values, info.enum_values),
            )),
            Some(o) if o.properties != info.properties => out.push(Change::TypeChanged(
                t.clone(),
                "properties changed".to_owned(),
            )),
            Some(_) => {}
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{ParameterSetInfo, Source};

    fn cat(params: Vec<ParameterInfo>, extra: Option<&str>) -> Catalog {
        let mut c = Catalog::new(Source::Discovery);
        let cmd = |name: &str, params: Vec<ParameterInfo>| CommandInfo {
            name: name.into(),
            command_type: "Cmdlet".into(),
            module: None,
            module_version: None,
            help_uri: None,
            synopsis: None,
            default_parameter_set: None,
            output_types: vec![],
            resolved_command_name: None,
            supports_common_parameters: true,
            parameter_sets: vec![ParameterSetInfo {
                name: "Default".into(),
                is_default: true,
                parameters: params,
            }],
        };
        c.commands.push(cmd("Get-Thing", params));
        if let Some(e) = extra {
            c.commands.push(cmd(e, vec![]));
        }
        c.normalize();
        c
    }

    #[test]
    fn drift_names_what_changed() {
        let old = cat(
            vec![ParameterInfo::new("Name", "System.String")],
            Some("Get-Old"),
        );
        let mut name = ParameterInfo::new("Name", "System.String[]");
        name.is_mandatory = true;
        let new = cat(
            vec![name, ParameterInfo::new("Id", "System.Int32")],
            Some("Get-New"),
        );
        let lines: Vec<String> = diff(&old, &new).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "+ Get-New",
                "- Get-Old",
                "~ Get-Thing: set Default: -Name <System.String> → -Name <System.String[]> mandatory",
                "~ Get-Thing: set Default: added -Id <System.Int32>",
            ]
        );
        assert!(diff(&old, &old).is_empty());
    }
}
