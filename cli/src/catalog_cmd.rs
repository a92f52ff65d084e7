//! `psremote commands`, `psremote metadata` and `psremote export`: the remote command catalog
//! (Get-Command / Import-PSSession / Export-PSSession) through the codegen crate.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use psremote_codegen::filter::Filter;
use psremote_codegen::live::{self, FetchError, SourceChoice};
use psremote_codegen::metadata::{Catalog, CommandInfo, ParameterInfo};
use psremote_codegen::{Options, fidelity, generate_full};
use psremote_runtime::clixml::{PsObject, Value};
use psremote_runtime::{ConnectionInfo, Session};

use crate::args::{CommandsArgs, ConnectionArgs, ExportArgs, FilterArgs, MetadataArgs, SourceArg};
use crate::conn;
use crate::error::{CliError, EXIT_FAILURE};
use crate::render::Renderer;

/// Connects to the one computer these subcommands work on.
async fn connect(conn_args: &ConnectionArgs, host: Option<&str>) -> Result<Session, CliError> {
    let info = one_target(conn_args, host)?;
    let name = info.computer_name.clone();
    Session::connect(info)
        .await
        .map_err(|e| CliError::runtime(Some(&name), e))
}

fn one_target(conn_args: &ConnectionArgs, host: Option<&str>) -> Result<ConnectionInfo, CliError> {
    let computers = conn::computers(conn_args, host);
    let computer = match computers.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(CliError::usage(
                "no computer given: name one (e.g. `server01`) or use -C",
            ));
        }
        _ => {
            return Err(CliError::usage(
                "this subcommand reads one computer's catalog; name one",
            ));
        }
    };
    let password = conn::password(conn_args, conn_args.user.as_deref())?;
    conn::connection_infos(
        conn_args,
        std::slice::from_ref(&computer),
        password.as_ref(),
    )?
    .into_iter()
    .next()
    .ok_or_else(|| CliError::usage("no computer given"))
}

/// Import-PSSession's filters; `for_import` applies implicit remoting's skip list, which a
/// plain listing (Get-Command) does not.
fn filter(f: &FilterArgs, for_import: bool) -> Filter {
    Filter {
        names: f.names.clone(),
        modules: f.modules.clone(),
        command_types: f.command_types.clone(),
        skip: if for_import { None } else { Some(Vec::new()) },
    }
}

/// One note for everything the filters left out, grouped by reason.
fn report_skipped(skipped: &[psremote_codegen::filter::Skipped]) {
    let mut by_reason: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for s in skipped {
        by_reason.entry(&s.reason).or_default().push(&s.name);
    }
    for (reason, names) in by_reason {
        eprintln!("note: left out {} ({reason})", names.join(", "));
    }
}

/// Reads the catalog from a live session (`psremote_codegen::live::fetch`: the discovery
/// script, or GET_COMMAND_METADATA when asked for or when the endpoint refuses scripts), then
/// applies the filters.
pub async fn fetch(
    session: &Session,
    f: &FilterArgs,
    for_import: bool,
) -> Result<Catalog, CliError> {
    let name = session.computer_name().to_string();
    let source = match f.source {
        Some(SourceArg::Protocol) => SourceChoice::Protocol,
        Some(SourceArg::Discovery) => SourceChoice::Discovery,
        None => SourceChoice::Auto,
    };
    let names: Vec<&str> = f.names.iter().map(String::as_str).collect();
    let fetched = live::fetch(session, source, &names)
        .await
        .map_err(|e| match e {
            FetchError::Remote(e) => CliError::runtime(Some(&name), e),
            FetchError::Invalid(m) => CliError::Message(m),
        })?;
    if let Some(why) = &fetched.fell_back {
        eprintln!(
            "note: [{name}] the endpoint refused the discovery script ({why}); reading \
             GET_COMMAND_METADATA instead (no parameter sets, mandatory flags or \
             validation in that reply)"
        );
    }
    let (mut chosen, skipped) = filter(f, for_import).apply(&fetched.catalog);
    report_skipped(&skipped);
    chosen.normalize();
    Ok(chosen)
}

pub async fn commands(conn_args: &ConnectionArgs, args: &CommandsArgs) -> Result<i32, CliError> {
    let session = connect(conn_args, args.host.as_deref()).await?;
    // The fidelity report is about the stubs an import would generate.
    let result = fetch(&session, &args.filters, args.fidelity).await;
    let _ = session.close().await;
    let catalog = result?;
    if args.json {
        print!("{}", catalog.to_json());
        return Ok(0);
    }
    if args.fidelity {
        let generated = generate_full(&catalog, &Options::default());
        print!("{}", fidelity::report(&generated));
        return Ok(0);
    }
    // Get-Command's table: CommandType, Name, Version, Source.
    let mut r = Renderer::new(std::io::stdout().lock(), false);
    for c in &catalog.commands {
        let o = PsObject::with_type_names(["System.Management.Automation.CommandInfo"])
            .with_adapted("CommandType", Value::String(c.command_type.clone()))
            .with_adapted("Name", Value::String(c.name.clone()))
            .with_adapted(
                "Version",
                Value::String(c.module_version.clone().unwrap_or_default()),
            )
            .with_adapted(
                "Source",
                Value::String(c.module.clone().unwrap_or_default()),
            );
        r.push(&Value::object(o), None)
            .map_err(|e| CliError::Message(format!("cannot write the output: {e}")))?;
    }
    drop(
        r.finish()
            .map_err(|e| CliError::Message(format!("cannot write the output: {e}")))?,
    );
    Ok(0)
}

pub async fn metadata(conn_args: &ConnectionArgs, args: &MetadataArgs) -> Result<i32, CliError> {
    let session = connect(conn_args, args.host.as_deref()).await?;
    let result = fetch(&session, &args.filters, true).await;
    let _ = session.close().await;
    let live = result?;
    if args.check {
        let cached = Catalog::read(&args.out).map_err(|e| {
            CliError::Message(format!(
                "{e} (create it with: {})",
                psremote_codegen::builder::refresh_command(&args.out.display().to_string())
            ))
        })?;
        let diff = diff(&cached, &live);
        if diff.is_empty() && cached.compute_hash() == live.compute_hash() {
            eprintln!(
                "{}: up to date with {} ({} commands)",
                args.out.display(),
                session.computer_name(),
                live.commands.len()
            );
            return Ok(0);
        }
        println!(
            "{} differs from the live catalog of {}:",
            args.out.display(),
            session.computer_name()
        );
        for line in &diff {
            println!("  {line}");
        }
        if diff.is_empty() {
            println!("  (output types or other details changed)");
        }
        // The computer as the user named it (with its port), so the line can be pasted.
        let named = conn::computers(conn_args, args.host.as_deref())
            .into_iter()
            .next()
            .unwrap_or_else(|| session.computer_name().to_string());
        eprintln!(
            "refresh the cache with: psremote metadata {named} --out {} (same filters)",
            args.out.display()
        );
        return Ok(EXIT_FAILURE);
    }
    live.write(&args.out)
        .map_err(|e| CliError::Message(format!("cannot write the cache: {e}")))?;
    eprintln!(
        "wrote {} ({} commands, source {}, hash {})",
        args.out.display(),
        live.commands.len(),
        match live.source {
            psremote_codegen::metadata::Source::Discovery => "discovery",
            psremote_codegen::metadata::Source::Protocol => "protocol",
            psremote_codegen::metadata::Source::Docs => "docs",
        },
        live.catalog_hash.get(..12).unwrap_or(&live.catalog_hash)
    );
    Ok(0)
}

/// What changed between two catalogs, one line per fact: commands added or removed, and per
/// command the parameters added, removed or changed (type, mandatory, position, sets).
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    let key = |c: &CommandInfo| c.name.to_ascii_lowercase();
    let old_names: BTreeSet<String> = old.commands.iter().map(key).collect();
    let new_names: BTreeSet<String> = new.commands.iter().map(key).collect();
    for c in &new.commands {
        if !old_names.contains(&key(c)) {
            out.push(format!("+ command {}", c.name));
        }
    }
    for c in &old.commands {
        if !new_names.contains(&key(c)) {
            out.push(format!("- command {}", c.name));
        }
    }
    for o in &old.commands {
        let Some(n) = new.command(&o.name) else {
            continue;
        };
        out.extend(diff_command(o, n));
    }
    out
}

fn params(c: &CommandInfo) -> Vec<(String, &ParameterInfo)> {
    let mut v = Vec::new();
    for set in &c.parameter_sets {
        for p in &set.parameters {
            v.push((set.name.clone(), p));
        }
    }
    v
}

fn describe_param(p: &ParameterInfo) -> String {
    let mut s = p.type_name.clone().unwrap_or_else(|| "?".into());
    if p.is_mandatory {
        s.push_str(", mandatory");
    }
    if let Some(pos) = p.position {
        s.push_str(&format!(", position {pos}"));
    }
    if let Some(set) = &p.validate_set {
        s.push_str(&format!(", ValidateSet({})", set.join(",")));
    }
    s
}

fn diff_command(o: &CommandInfo, n: &CommandInfo) -> Vec<String> {
    let mut out = Vec::new();
    let name = &o.name;
    let op = params(o);
    let np = params(n);
    let find = |list: &[(String, &ParameterInfo)], set: &str, p: &str| {
        list.iter()
            .find(|(s, q)| s.eq_ignore_ascii_case(set) && q.name.eq_ignore_ascii_case(p))
            .map(|(_, q)| describe_param(q))
    };
    for (set, p) in &np {
        match find(&op, set, &p.name) {
            None => out.push(format!(
                "+ {name} -{} ({}) in set {set}",
                p.name,
                describe_param(p)
            )),
            Some(before) => {
                let after = describe_param(p);
                if before != after {
                    out.push(format!(
                        "~ {name} -{} in set {set}: {before} → {after}",
                        p.name
                    ));
                }
            }
        }
    }
    for (set, p) in &op {
        if find(&np, set, &p.name).is_none() {
            out.push(format!("- {name} -{} in set {set}", p.name));
        }
    }
    if o.output_types != n.output_types {
        out.push(format!(
            "~ {name} output types: [{}] → [{}]",
            o.output_types.join(", "),
            n.output_types.join(", ")
        ));
    }
    out
}

pub async fn export(conn_args: &ConnectionArgs, args: &ExportArgs) -> Result<i32, CliError> {
    let catalog = match &args.from_metadata {
        Some(path) => {
            let c = Catalog::read(path).map_err(|e| CliError::Message(e.to_string()))?;
            let (mut chosen, skipped) = filter(&args.filters, true).apply(&c);
            report_skipped(&skipped);
            chosen.normalize();
            chosen
        }
        None => {
            let session = connect(conn_args, args.host.as_deref()).await?;
            let result = fetch(&session, &args.filters, true).await;
            let _ = session.close().await;
            result?
        }
    };
    let crate_name = match &args.crate_name {
        Some(n) => n.clone(),
        None => args
            .out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "remote-commands".into()),
    };
    if !crate_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || crate_name.is_empty()
        || crate_name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(CliError::usage(format!(
            "`{crate_name}` is not a valid crate name: pass --crate-name NAME"
        )));
    }
    let options = Options {
        prefix: args.prefix.clone(),
        ..Options::default()
    }
    .with_runtime_path("::psremote_runtime")
    .map_err(|e| CliError::Message(format!("runtime path: {e}")))?;
    let generated = generate_full(&catalog, &options);
    for (c, why) in &generated.skipped {
        eprintln!("note: not generated: {c}: {why}");
    }
    let code = psremote_codegen::generate::format_tokens(generated.tokens.clone());
    write_crate(&args.out, &crate_name, &catalog, &code, args)?;
    let report = fidelity::report(&generated);
    eprintln!(
        "wrote crate {crate_name} in {} ({} commands; {:.1}% parameters typed, {:.1}% mandatory \
         parameters enforced)",
        args.out.display(),
        report.commands,
        report.typed_parameters_pct(),
        report.mandatory_enforced_pct()
    );
    Ok(0)
}

/// TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_crate(
    dir: &Path,
    crate_name: &str,
    catalog: &Catalog,
    code: &str,
    args: &ExportArgs,
) -> Result<(), CliError> {
    let io = |p: &Path, e: std::io::Error| {
        CliError::Message(format!("cannot write {}: {e}", p.display()))
    };
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| io(&src, e))?;
    let runtime_dep = match &args.runtime_path {
        Some(p) => {
            let abs = std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p));
            format!("{{ path = {} }}", toml_str(&abs.display().to_string()))
        }
        None => toml_str(env!("CARGO_PKG_VERSION")),
    };
    let cargo_toml = format!(
        "# Generated by `psremote export`. The metadata it was generated from is in\n\
         # .psremote/{crate_name}.json; regenerate with `psremote export --from-metadata` or from the host.\n\
         [package]\n\
         name = {}\n\
         version = \"0.1.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\n\
         [dependencies]\n\
         psremote-runtime = {runtime_dep}\n\n\
         # A crate of its own, not a member of an enclosing workspace.\n\
         [workspace]\n",
        toml_str(crate_name)
    );
    let manifest = dir.join("Cargo.toml");
    std::fs::write(&manifest, cargo_toml).map_err(|e| io(&manifest, e))?;

    let header = format!(
        "//! Typed stubs for the remote commands of {} (configuration {}), generated by\n\
         //! `psremote export` from a catalog with hash {}. Do not edit: regenerate.\n\
         #![allow(clippy::all)]\n\n",
        catalog.endpoint.as_deref().unwrap_or("a cached catalog"),
        catalog
            .configuration_name
            .as_deref()
            .unwrap_or("Microsoft.PowerShell"),
        catalog.catalog_hash
    );
    let lib = src.join("lib.rs");
    std::fs::write(&lib, format!("{header}{code}")).map_err(|e| io(&lib, e))?;

    let meta = dir.join(".psremote").join(format!("{crate_name}.json"));
    catalog
        .write(&meta)
        .map_err(|e| CliError::Message(format!("cannot write {}: {e}", meta.display())))?;

    let lib_name = crate_name.replace('-', "_");
    let example = catalog
        .commands
        .first()
        .map(|c| c.name.clone())
        .unwrap_or_else(|| "Get-Date".into());
    let readme = format!(
        "# {crate_name}\n\n\
         Typed Rust stubs for {} remote commands of `{}`, generated by `psremote export`\n\
         (PowerShell's Export-PSSession, with types). Each command is a method on `Remote`\n\
         that sends the command by name with named parameters — never script text.\n\n\
         ```rust\n\
         use psremote_runtime::{{ConnectionInfo, Session}};\n\n\
         let session = Session::connect(\n    \
             ConnectionInfo::new(\"server01\").credentials(\"user\", std::env::var(\"PSREMOTE_PASSWORD\")?),\n\
         ).await?;\n\
         let remote = {lib_name}::Remote::new(session);\n\
         // e.g. {example}: remote.<verb_noun>(…).invoke().await?\n\
         ```\n\n\
         Regenerate offline from the cached metadata:\n\n\
         ```sh\n\
         psremote export --from-metadata .psremote/{crate_name}.json --out .\n\
         ```\n\n\
         Check the cache against the live host:\n\n\
         ```sh\n\
         psremote metadata HOST --out .psremote/{crate_name}.json --check\n\
         ```\n",
        catalog.commands.len(),
        catalog.endpoint.as_deref().unwrap_or("the remote host"),
    );
    let readme_path = dir.join("README.md");
    std::fs::write(&readme_path, readme).map_err(|e| io(&readme_path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_codegen::metadata::Source;

    fn cmd(name: &str, params: &[(&str, &str, bool)]) -> CommandInfo {
        let json = serde_json::json!({
            "name": name,
            "parameter_sets": [{
                "name": "Default",
                "is_default": true,
                "parameters": params.iter().map(|(n, t, m)| serde_json::json!({
                    "name": n, "type": t, "is_mandatory": m
                })).collect::<Vec<_>>()
            }]
        });
        serde_json::from_value(json).expect("command json")
    }

    #[test]
    fn drift_lines() {
        let mut old = Catalog::new(Source::Discovery);
        old.commands = vec![
            cmd(
                "Get-Thing",
                &[
                    ("Name", "System.String", false),
                    ("Id", "System.Int32", false),
                ],
            ),
            cmd("Remove-Thing", &[]),
        ];
        let mut new = Catalog::new(Source::Discovery);
        new.commands = vec![
            cmd(
                "Get-Thing",
                &[
                    ("Name", "System.String", true),
                    ("Path", "System.String", false),
                ],
            ),
            cmd("New-Thing", &[]),
        ];
        old.normalize();
        new.normalize();
        let d = diff(&old, &new);
        assert!(d.contains(&"+ command New-Thing".to_string()), "{d:?}");
        assert!(d.contains(&"- command Remove-Thing".to_string()), "{d:?}");
        assert!(
            d.contains(&"+ Get-Thing -Path (System.String) in set Default".to_string()),
            "{d:?}"
        );
        assert!(
            d.contains(&"- Get-Thing -Id in set Default".to_string()),
            "{d:?}"
        );
        assert!(
            d.contains(
                &"~ Get-Thing -Name in set Default: System.String → System.String, mandatory"
                    .to_string()
            ),
            "{d:?}"
        );
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn toml_strings() {
        assert_eq!(toml_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
