//! The opt-in live refresh (`PSREMOTE_LIVE_METADATA=1`) that `#[remote_commands]` and the
//! build.rs Builder run, against the loopback endpoint: the same function the macro calls
//! (`attribute::expand_with_env`), the environment passed as a map. The refreshed cache must
//! be written, give compiling stubs, and be left alone when nothing changed. Skipped, saying
//! why, when the endpoint is absent.
//!
//! In the CLI's package, which enables `live` as a normal dependency, rather than in
//! psremote-codegen's own tests: a dev-dependency of psremote-codegen on itself with `live`
//! made cargo build the whole network stack a second time, for the proc macro's (host) copy of
//! psremote-codegen (57 more compilation units in `cargo test --workspace`).

#[path = "../../codegen/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::Duration;

use psremote_codegen::Builder;
use psremote_codegen::attribute::expand_with_env;
use psremote_codegen::live::{self, LiveSettings, Refreshed};
use psremote_codegen::metadata::Catalog;
use psremote_test_support::{PASSWORD, Peer, USER};
use quote::quote;

fn peer() -> Option<Peer> {
    match Peer::start(&["--allow-unencrypted", "--auth", "basic"]) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("SKIPPED: the loopback endpoint is not available: {e}");
            None
        }
    }
}

fn env_for(url: &str) -> HashMap<String, String> {
    [
        (live::LIVE_ENV, "1"),
        (live::URL_ENV, url),
        (live::USER_ENV, USER),
        (live::PASSWORD_ENV, PASSWORD),
        (live::ALLOW_UNENCRYPTED_ENV, "1"),
        (live::TIMEOUT_ENV, "60"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn lookup(map: &HashMap<String, String>) -> impl Fn(&str) -> Option<String> + '_ {
    |k| map.get(k).cloned()
}

#[test]
fn macro_refreshes_the_cache_from_the_endpoint_and_the_stubs_compile() {
    let Some(peer) = peer() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join(".psremote").join("peer.json");
    let path = cache.display().to_string();
    let env = env_for(peer.http_url());
    let expanded = expand_with_env(
        quote!(metadata = #path, commands = ["Get-Service", "Stop-Service"], runtime = "::psremote_runtime"),
        quote!(
            mod remote {}
        ),
        &lookup(&env),
    )
    .unwrap_or_else(|e| panic!("live expansion: {e}"));

    // The cache file as `psremote metadata` writes it, from the endpoint.
    let catalog = Catalog::read(&cache).expect("the cache was written");
    assert_eq!(catalog.endpoint.as_deref(), Some(peer.http_url()));
    assert!(catalog.ps_version.is_some(), "PSVersion read");
    // No cache before: the attribute's `commands` are the scope.
    let names: Vec<&str> = catalog.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Get-Service", "Stop-Service"]);
    assert_eq!(catalog.catalog_hash, catalog.compute_hash());

    // The expansion is the generator's output for that cache, plus the tracking item.
    let module: syn::ItemMod = syn::parse2(expanded).expect("a module");
    let items: Vec<syn::Item> = module.content.expect("content").1;
    let track = items.first().expect("tracking item");
    let track = quote!(#track).to_string();
    assert!(track.contains("include_bytes"), "{track}");
    assert!(track.contains(live::LIVE_ENV), "{track}");
    let body: syn::File = syn::parse2(quote!(#(#items)*)).expect("items");
    let code = prettyplease::unparse(&body);
    let rest: Vec<syn::Item> = items.into_iter().skip(1).collect();
    let from_macro = prettyplease::unparse(&syn::parse2(quote!(#(#rest)*)).expect("items"));
    let from_builder = Builder::new()
        .metadata(&cache)
        .commands(["Get-Service", "Stop-Service"])
        .runtime_path("::psremote_runtime")
        .generate()
        .expect("builder");
    assert_eq!(from_macro, from_builder, "same generator, same cache");
    assert!(
        code.contains("pub fn get_service(&self)"),
        "stubs generated"
    );

    // The cheap compile check: the expanded module in a crate against this workspace's runtime.
    common::check_crate(
        "live_refresh_check",
        &[("remote", code)],
        "pub async fn uses(r: remote::Remote) -> Result<(), psremote_runtime::implicit::Error> {\n\
         \x20   let s: Vec<remote::ServiceController> = r.get_service().invoke().await?;\n\
         \x20   let _ = r.get_service().name([\"W*\"]).pipe(r.piped().stop_service().pass_thru());\n\
         \x20   let _ = s;\n    Ok(())\n}\n",
    );

    // Nothing changed on the endpoint: the file is left alone (no rebuild loop on its mtime).
    let before = std::fs::metadata(&cache)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::thread::sleep(Duration::from_millis(20));
    let settings = LiveSettings::from_env(&lookup(&env)).expect("settings");
    assert_eq!(
        live::refresh(&settings, &cache, &[]).expect("second refresh"),
        Refreshed::Unchanged
    );
    let after = std::fs::metadata(&cache)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(before, after);

    // A refresh keeps the cache's commands and adds the ones asked for.
    assert_eq!(
        live::refresh(&settings, &cache, &["Start-Service".to_owned()]).expect("third refresh"),
        Refreshed::Written
    );
    let wider = Catalog::read(&cache).expect("cache");
    let names: Vec<&str> = wider.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Get-Service", "Start-Service", "Stop-Service"]);
}

/// The build.rs front end takes the same live step, and from the same endpoint writes the
/// same cache.
#[test]
fn builder_refreshes_the_cache_too() {
    let Some(peer) = peer() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("peer.json");
    // A stale cache: no commands.
    let mut stale = Catalog::new(psremote_codegen::metadata::Source::Discovery);
    stale.normalize();
    stale.write(&cache).expect("stale cache");
    let env = env_for(peer.http_url());
    let builder = Builder::new().metadata(&cache).commands(["Get-Service"]);
    let catalog = builder
        .catalog_with_env(&lookup(&env))
        .unwrap_or_else(|e| panic!("live catalog: {e}"));
    let names: Vec<&str> = catalog.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Get-Service"]);
    assert_eq!(Catalog::read(&cache).expect("rewritten"), catalog);
    // Offline again (no PSREMOTE_LIVE_METADATA): the refreshed cache is what it reads.
    let offline = builder
        .catalog_with_env(&|_| None)
        .expect("offline catalog");
    assert_eq!(offline.catalog_hash, catalog.catalog_hash);
}

/// An endpoint that accepts the connection and never answers: the build fails after the
/// timeout with an error that names the variable to raise, instead of hanging the compiler.
#[test]
fn silent_endpoint_times_out_with_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let url = format!("http://127.0.0.1:{port}/wsman");
    let mut env = env_for(&url);
    env.insert(live::TIMEOUT_ENV.into(), "2".into());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.json").display().to_string();
    let started = std::time::Instant::now();
    let err = expand_with_env(
        quote!(metadata = #path),
        quote!(
            mod remote {}
        ),
        &lookup(&env),
    )
    .expect_err("no answer");
    assert!(started.elapsed() < Duration::from_secs(20));
    let msg = err.to_string();
    assert!(msg.contains("no answer within 2s"), "{msg}");
    assert!(msg.contains(live::TIMEOUT_ENV), "{msg}");
    assert!(!msg.contains(PASSWORD), "{msg}");
    assert!(!dir.path().join("x.json").exists(), "no cache written");
    drop(listener);
}

#[test]
fn live_without_an_endpoint_says_which_variable_to_set() {
    let env: HashMap<String, String> = [(live::LIVE_ENV.to_owned(), "1".to_owned())].into();
    let err = expand_with_env(
        quote!(metadata = ".psremote/none.json"),
        quote!(
            mod remote {}
        ),
        &lookup(&env),
    )
    .expect_err("no endpoint");
    assert!(err.to_string().contains("PSREMOTE_URL is not"), "{err}");
    // `0` and empty mean off: the cache is read as usual (here: missing, with the fix).
    for off in ["0", ""] {
        let env: HashMap<String, String> = [(live::LIVE_ENV.to_owned(), off.to_owned())].into();
        let err = expand_with_env(
            quote!(metadata = ".psremote/none.json"),
            quote!(
                mod remote {}
            ),
            &lookup(&env),
        )
        .expect_err("missing cache");
        assert!(
            err.to_string()
                .contains("psremote metadata HOST --out .psremote/none.json"),
            "{err}"
        );
    }
}
