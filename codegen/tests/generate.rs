//! Generator tests: snapshots of the representative catalog, determinism, prefix, the real
//! docs catalogs (fidelity), and the metadata sources.

use psremote_codegen::metadata::Catalog;
use psremote_codegen::{Options, fidelity, generate_full, generate_string};

fn representative() -> Catalog {
    let text = include_str!("fixtures/representative.discovery.txt");
    Catalog::from_discovery(text.lines()).expect("fixture parses")
}

fn options() -> Options {
    Options::default()
        .with_runtime_path("::psremote_runtime")
        .expect("path")
}

#[test]
fn representative_catalog_snapshot() {
    let code = generate_string(&representative(), &options());
    insta::assert_snapshot!("representative", code);
}

#[test]
fn generation_is_deterministic() {
    let c = representative();
    let a = generate_string(&c, &options());
    let b = generate_string(&c.clone(), &options());
    assert_eq!(a, b);
    // and independent of the order commands were discovered in
    let mut shuffled = c.clone();
    shuffled.commands.reverse();
    shuffled.normalize();
    assert_eq!(generate_string(&shuffled, &options()), a);
}

#[test]
fn prefix_goes_on_the_noun() {
    let o = Options {
        prefix: Some("Remote".into()),
        commands: vec!["Get-Service".into(), "gsv".into()],
        ..options()
    };
    let code = generate_string(&representative(), &o);
    assert!(code.contains("pub fn get_remote_service(&self)"), "{code}");
    assert!(code.contains("pub struct GetRemoteService"));
    assert!(code.contains("pub fn remotegsv(&self)"));
    // the command sent is still the remote name
    assert!(code.contains("__rt::Call::new(&self.session, \"Get-Service\")"));
    assert!(!code.contains("StopService"), "filtered out");
}

#[test]
fn unsafe_names_are_skipped_with_a_reason() {
    let g = generate_full(&representative(), &options());
    let (name, why) = g
        .skipped
        .iter()
        .find(|(n, _)| n == "Invoke-Bad;Name")
        .expect("skipped");
    assert!(why.contains("characters"), "{name}: {why}");
    let code = psremote_codegen::generate::format_tokens(g.tokens);
    assert!(!code.contains("Invoke-Bad"));
}

#[test]
fn representative_fidelity() {
    let g = generate_full(&representative(), &options());
    let r = fidelity::report(&g);
    println!("{r}");
    assert_eq!(r.mandatory, r.mandatory_enforced);
    // New-Thing's -Input/-Value (object), -Extra (object[]) and -Weird (untyped) stay dynamic
    let dynamic: Vec<_> = r
        .parameter_fallbacks
        .iter()
        .map(|(c, p, _)| format!("{c} -{p}"))
        .collect();
    assert_eq!(
        dynamic,
        [
            "New-Thing -Extra",
            "New-Thing -Input",
            "New-Thing -Value",
            "New-Thing -Weird"
        ]
    );
}
