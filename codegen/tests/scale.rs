//! Scale: a synthetic 2,000-command catalog (20 modules) with every metadata shape.
//! Generation time is measured here; `cargo check` of the result runs only when
//! `PSREMOTE_SCALE_CHECK=1` (it is a benchmark, minutes on 2 cores, not a unit test).

mod common;

use std::time::Instant;

use psremote_codegen::metadata::{
    Catalog, CommandInfo, ParameterInfo, ParameterSetInfo, PropertyInfo, Source, TypeInfo,
};
use psremote_codegen::{Options, generate_full};

const VERBS: [&str; 10] = [
    "Get", "Set", "New", "Remove", "Start", "Stop", "Test", "Invoke", "Add", "Clear",
];
const TYPES: [&str; 12] = [
    "System.String",
    "System.String[]",
    "System.Int32",
    "System.Int64",
    "System.Boolean",
    "System.DateTime",
    "System.Guid",
    "System.Management.Automation.SwitchParameter",
    "System.Management.Automation.PSCredential",
    "System.Collections.Hashtable",
    "System.Management.Automation.PSObject",
    "System.Uri[]",
];

/// A deterministic synthetic catalog of `n` commands.
pub fn synthetic(n: usize) -> Catalog {
    let mut c = Catalog::new(Source::Discovery);
    for m in 0..20 {
        c.types.insert(
            format!("Synthetic.Module{m:02}.State"),
            TypeInfo {
                enum_values: Some(vec![
                    "Unknown".into(),
                    "Ready".into(),
                    "Busy".into(),
                    "Failed".into(),
                ]),
                ..TypeInfo::default()
            },
        );
        c.types.insert(
            format!("Synthetic.Module{m:02}.Item"),
            TypeInfo {
                properties: Some(vec![
                    PropertyInfo {
                        name: "Name".into(),
                        type_name: "System.String".into(),
                    },
                    PropertyInfo {
                        name: "Id".into(),
                        type_name: "System.Int32".into(),
                    },
                    PropertyInfo {
                        name: "State".into(),
                        type_name: format!("Synthetic.Module{m:02}.State"),
                    },
                    PropertyInfo {
                        name: "Tags".into(),
                        type_name: "System.String[]".into(),
                    },
                    PropertyInfo {
                        name: "Created".into(),
                        type_name: "System.DateTime".into(),
                    },
                ]),
                ..TypeInfo::default()
            },
        );
    }
    for i in 0..n {
        let m = i % 20;
        let module = format!("Synthetic.Module{m:02}");
        let verb = VERBS[i % VERBS.len()];
        let name = format!("{verb}-Syn{m:02}Thing{i:04}");
        let nparams = 5 + i % 6;
        let mut params: Vec<ParameterInfo> = (0..nparams)
            .map(|k| {
                let ty = TYPES[(i + k) % TYPES.len()];
                let mut p = ParameterInfo::new(&format!("Param{k}"), ty);
                p.is_mandatory = k == 0;
                p.position = (k < 2).then_some(k as i32);
                p.value_from_pipeline_by_property_name = k == 1;
                if k == 2 && ty == "System.String" {
                    p.validate_set = Some(vec!["Alpha".into(), "Beta".into(), "Gamma".into()]);
                }
                p
            })
            .collect();
        let mut state = ParameterInfo::new("State", &format!("Synthetic.Module{m:02}.State"));
        state.aliases = vec!["St".into()];
        params.push(state);
        let mut sets = vec![ParameterSetInfo {
            name: "Default".into(),
            is_default: true,
            parameters: params.clone(),
        }];
        if i % 3 == 0 {
            let mut by_id = params.clone();
            by_id.retain(|p| p.name != "Param0");
            let mut id = ParameterInfo::new("Id", "System.Int32[]");
            id.is_mandatory = true;
            id.value_from_pipeline = true;
            by_id.push(id);
            sets.push(ParameterSetInfo {
                name: "ById".into(),
                is_default: false,
                parameters: by_id,
            });
        }
        c.commands.push(CommandInfo {
            name,
            command_type: "Cmdlet".into(),
            module: Some(module.clone()),
            module_version: Some("1.0.0".into()),
            help_uri: None,
            synopsis: Some(format!("Synthetic command {i}.")),
            default_parameter_set: Some("Default".into()),
            output_types: vec![format!("{module}.Item")],
            resolved_command_name: None,
            supports_common_parameters: true,
            parameter_sets: sets,
        });
    }
    c.normalize();
    c
}

#[test]
fn two_thousand_commands_generate_fast_and_deterministically() {
    let catalog = synthetic(2000);
    let options = Options::default()
        .with_runtime_path("::psremote_runtime")
        .expect("path");
    let started = Instant::now();
    let g = generate_full(&catalog, &options);
    let tokens_took = started.elapsed();
    let code = psremote_codegen::generate::format_items(&g.items);
    let total = started.elapsed();
    eprintln!(
        "2000 commands: tokens {tokens_took:?}, tokens+prettyplease {total:?}, {} lines, {} bytes",
        code.lines().count(),
        code.len()
    );
    assert_eq!(g.stats.len(), 2000);
    // Deterministic: the same tokens again (comparing token text keeps this test quick).
    let again = psremote_codegen::generate(&catalog, &options).to_string();
    let first = psremote_codegen::generate(&catalog, &options).to_string();
    assert_eq!(again, first);
    if std::env::var_os("PSREMOTE_SCALE_CHECK").is_some() {
        let took = common::check_crate("scale_check", &[("scale", code)], "");
        eprintln!("cargo check of the 2000-command crate: {took:?}");
    }
}

#[test]
fn parallel_formatting_prints_the_same_text() {
    let catalog = synthetic(400);
    let options = Options::default();
    let g = generate_full(&catalog, &options);
    let parallel = psremote_codegen::generate::format_items(&g.items);
    let whole = psremote_codegen::generate::format_tokens(g.tokens);
    assert!(
        whole.len() > 1 << 20,
        "large enough to take the parallel path"
    );
    assert_eq!(parallel, whole);
}
