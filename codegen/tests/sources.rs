//! Metadata from the other sources: the real GET_COMMAND_METADATA reply of a Windows host
//! (MS-PSRP 2.2.3.21–23) and the real cmdlet docs metadata, with the fidelity report.

use psremote_codegen::metadata::{Catalog, Source};
use psremote_codegen::{Options, docs, fidelity, generate_full, protocol};

fn options() -> Options {
    Options::default()
        .with_runtime_path("::psremote_runtime")
        .expect("path")
}

/// The PIPELINE_OUTPUT values of each call in the pretty-printed fixture.
fn replies(text: &str) -> Vec<Vec<psremote_clixml::Value>> {
    let mut calls: Vec<Vec<psremote_clixml::Value>> = Vec::new();
    let mut block = String::new();
    let mut in_output = false;
    let flush = |block: &mut String,
                 in_output: bool,
                 calls: &mut Vec<Vec<psremote_clixml::Value>>| {
        if in_output && !block.trim().is_empty() {
            let values = psremote_clixml::from_str(block.trim()).expect("fixture CLIXML parses");
            if let Some(last) = calls.last_mut() {
                last.extend(values);
            }
        }
        block.clear();
    };
    for line in text.lines() {
        if line.starts_with('#') {
            flush(&mut block, in_output, &mut calls);
            if line.contains("client GET_COMMAND_METADATA request") {
                calls.push(Vec::new());
            }
            in_output = line.contains("PIPELINE_OUTPUT");
        } else {
            block.push_str(line);
            block.push('\n');
        }
    }
    flush(&mut block, in_output, &mut calls);
    calls
}

#[test]
fn real_get_command_metadata_reply_becomes_a_catalog() {
    let Some(shared) = docs::shared_dir() else {
        eprintln!("skipping: shared fixtures not found (set PSREMOTE_SHARED)");
        return;
    };
    let path = shared.join("fixtures/windows-wsman/command_metadata_reply.clixml.txt");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let calls = replies(&text);
    assert_eq!(calls.len(), 3);
    let catalogs: Vec<Catalog> = calls
        .iter()
        .map(|values| protocol::from_values(values).expect("converts"))
        .collect();
    let names = |c: &Catalog| {
        c.commands
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&catalogs[0]),
        [
            "New-PSSession",
            "New-PSSessionConfigurationFile",
            "New-PSSessionOption"
        ]
    );
    assert_eq!(catalogs[1].commands.len(), 2);
    assert_eq!(catalogs[2].commands.len(), 2);
    let c = &catalogs[0];
    assert_eq!(c.source, Source::Protocol);
    let nps = c.command("New-PSSession").expect("New-PSSession");
    assert_eq!(nps.command_type, "Cmdlet");
    assert_eq!(nps.module.as_deref(), Some("Microsoft.PowerShell.Core"));
    assert_eq!(
        nps.help_uri.as_deref(),
        Some("https://go.microsoft.com/fwlink/?LinkID=135237")
    );
    assert_eq!(
        nps.output_types,
        ["System.Management.Automation.Runspaces.PSSession"]
    );
    assert!(nps.supports_common_parameters);
    let set = &nps.parameter_sets[0];
    assert_eq!(set.name, "__AllParameterSets");
    let cn = set
        .parameters
        .iter()
        .find(|p| p.name == "ComputerName")
        .expect("ComputerName");
    assert_eq!(cn.type_name.as_deref(), Some("System.String[]"));
    assert_eq!(cn.aliases, ["Cn"]);
    assert!(
        !cn.is_mandatory,
        "GET_COMMAND_METADATA carries no Mandatory"
    );
    assert!(
        set.parameters.iter().all(|p| p.name != "Verbose"),
        "common parameters modelled once"
    );
    let ssl = set
        .parameters
        .iter()
        .find(|p| p.name == "UseSSL")
        .expect("UseSSL");
    assert!(ssl.is_switch);

    // The protocol tier still types every parameter it can.
    let g = generate_full(c, &options());
    let r = fidelity::report(&g);
    println!("GET_COMMAND_METADATA catalog:\n{r}");
    assert!(r.typed_parameters_pct() > 90.0, "{r}");
    let code = psremote_codegen::generate::format_tokens(g.tokens);
    assert!(
        code.contains("pub fn new_ps_session(&self) -> NewPsSession"),
        "nothing mandatory"
    );
    assert!(code.contains("pub fn use_ssl(mut self) -> Self"));
}

fn docs_report(version: &str) -> Option<fidelity::Report> {
    let Some(shared) = docs::shared_dir() else {
        eprintln!("skipping docs {version}: shared fixtures not found (set PSREMOTE_SHARED)");
        return None;
    };
    let c = docs::read_dir(&shared.join("fixtures/cmdlet-metadata").join(version)).expect("docs");
    let g = generate_full(&c, &options());
    let r = fidelity::report(&g);
    println!("== cmdlet docs {version} ==\n{r}");
    Some(r)
}

#[test]
fn fidelity_on_real_windows_5_1_cmdlets() {
    let Some(r) = docs_report("5.1") else { return };
    assert_eq!(r.commands, 324, "every documented cmdlet generated");
    assert_eq!(r.parameters, 2542);
    assert!(r.typed_parameters_pct() >= 95.0, "{r}");
    assert_eq!(r.declared_dynamic, r.parameters - r.typed_parameters, "{r}");
    assert_eq!(r.mandatory_enforced, r.mandatory);
}

#[test]
fn fidelity_on_real_pwsh_7_6_cmdlets() {
    let Some(r) = docs_report("7.6") else { return };
    assert_eq!(r.commands, 285);
    assert_eq!(r.parameters, 2340);
    // 7.x declares more parameters `object`/`PSObject` (126 of 2340): those take any value,
    // as declared; every other parameter has a concrete Rust type.
    assert!(r.typed_parameters_pct() >= 94.5, "{r}");
    assert_eq!(r.declared_dynamic, r.parameters - r.typed_parameters, "{r}");
    assert_eq!(r.mandatory_enforced, r.mandatory);
}
