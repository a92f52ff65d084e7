//! The three implicit-remoting front ends are one generator: for the same cached metadata,
//! `#[remote_commands]` (its expansion function), the build.rs `Builder`, and
//! `psremote export --from-metadata` (the exported crate's src/lib.rs, after its header)
//! give the same bytes. Nothing to normalise: all three are given the same runtime path.

use std::process::Command;

use psremote_codegen::filter::Filter;
use psremote_codegen::metadata::Catalog;
use psremote_codegen::{Builder, attribute, generate};
use quote::quote;

#[test]
fn macro_builder_and_export_generate_the_same_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = include_str!("../../codegen/tests/fixtures/representative.discovery.txt");
    let discovered = Catalog::from_discovery(text.lines()).expect("fixture parses");
    // The cache as `psremote metadata` writes it: Import-PSSession's default skip list applied
    // (export re-applies it; Get-Help is in it).
    let (mut catalog, skipped) = Filter::default().apply(&discovered);
    assert!(skipped.iter().any(|s| s.name == "Get-Help"), "{skipped:?}");
    catalog.normalize();
    let cache = dir.path().join("peer.json");
    catalog.write(&cache).expect("cache written");
    let cache_str = cache.display().to_string();
    let runtime = "::psremote_runtime";

    // build.rs
    let from_builder = Builder::new()
        .metadata(&cache)
        .runtime_path(runtime)
        .generate()
        .expect("Builder generates");

    // #[remote_commands(...)] mod remote {}
    let expanded = attribute::expand(
        quote!(metadata = #cache_str, runtime = #runtime),
        quote!(
            mod remote {}
        ),
    )
    .expect("the attribute expands");
    let module: syn::ItemMod = syn::parse2(expanded).expect("a module");
    let items = module.content.map(|(_, items)| items).unwrap_or_default();
    // The first item is the `include_bytes!` that tracks the cache file.
    assert!(
        quote!(#(#items)*).to_string().contains("include_bytes"),
        "the cache is tracked"
    );
    let body = items.into_iter().skip(1);
    let from_macro = generate::format_tokens(quote!(#(#body)*));

    // psremote export --from-metadata
    let crate_dir = dir.path().join("exported");
    let out = Command::new(env!("CARGO_BIN_EXE_psremote"))
        .args(["export", "--from-metadata"])
        .arg(&cache)
        .arg("--out")
        .arg(&crate_dir)
        .output()
        .expect("psremote runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = std::fs::read_to_string(crate_dir.join("src/lib.rs")).expect("src/lib.rs");
    let from_export = lib
        .split_inclusive('\n')
        .skip_while(|l| l.starts_with("//") || l.starts_with("#![") || l.trim().is_empty())
        .collect::<String>();

    assert!(from_builder.contains("pub fn stop_service"), "non-trivial");
    assert!(
        from_macro == from_builder,
        "macro and Builder differ:\n{}",
        first_difference(&from_macro, &from_builder)
    );
    assert!(
        from_export == from_builder,
        "export and Builder differ:\n{}",
        first_difference(&from_export, &from_builder)
    );
}

fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}: {x:?} vs {y:?}", i + 1))
        .unwrap_or_else(|| format!("lengths {} vs {}", a.len(), b.len()))
}
