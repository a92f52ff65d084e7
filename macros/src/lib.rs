//! `#[remote_commands]`: typed implicit-remoting stubs generated from cached metadata.
//!
//! ```ignore
//! #[psremote::remote_commands(metadata = ".psremote/windows.json", commands = ["Get-Service"])]
//! mod windows {}
//!
//! let remote = windows::Remote::new(session);
//! let services = remote.get_service().name(["Win*"]).invoke().await?;
//! ```
//!
//! Arguments: `metadata` (the cache file, relative to the crate's `Cargo.toml`), optional
//! `commands` (PowerShell wildcards), `prefix` (Import-PSSession's `-Prefix`) and `runtime`
//! (the runtime crate's path, default `::psremote`). The macro reads only the cache file (no
//! network at build time) and tracks it, so editing or refreshing it rebuilds the crate. It is
//! the same generator as the build.rs `Builder` and the CLI's `export`.
//!
//! Live refresh, opt-in: with the `live` feature and `PSREMOTE_LIVE_METADATA=1` the macro
//! first connects to `PSREMOTE_URL` (`PSREMOTE_USER`, `PSREMOTE_PASSWORD`,
//! `PSREMOTE_ALLOW_UNENCRYPTED`; `PSREMOTE_LIVE_TIMEOUT` seconds, default 60), reads the
//! catalog and rewrites the cache when it changed. Without the feature, setting the variable is
//! a compile error saying so. See `psremote_codegen::live`.

use proc_macro::TokenStream;

use psremote_codegen::attribute::expand;

/// See the crate documentation.
#[proc_macro_attribute]
pub fn remote_commands(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_codegen::metadata::Catalog;
    use quote::quote;

    /// Writes the representative catalog as a cache file in the temp dir (an absolute path,
    /// which the macro takes as is).
    fn write_fixture() -> String {
        let text = include_str!("../../codegen/tests/fixtures/representative.discovery.txt");
        let catalog = Catalog::from_discovery(text.lines()).expect("fixture");
        let path = std::env::temp_dir()
            .join(format!("psremote-macros-{}.json", std::process::id()))
            .display()
            .to_string();
        catalog
            .write(std::path::Path::new(&path))
            .expect("write cache");
        path
    }

    /// The macro and the build.rs Builder give the same code for the same metadata.
    #[test]
    fn macro_and_builder_generate_the_same_code() {
        let path = write_fixture();
        let attr = quote!(metadata = #path, commands = ["*Service*", "gsv"], prefix = "Win", runtime = "::psremote_runtime");
        let out = expand(
            attr,
            quote!(
                mod remote {}
            ),
        )
        .expect("expands");
        let module: syn::ItemMod = syn::parse2(out).expect("a module");
        let items: Vec<syn::Item> = module
            .content
            .expect("content")
            .1
            .into_iter()
            .skip(1) // the include_bytes! tracking const
            .collect();
        let file: syn::File = syn::parse2(quote!(#(#items)*)).expect("items");
        let from_macro = prettyplease::unparse(&file);
        let from_builder = psremote_codegen::Builder::new()
            .metadata(&path)
            .commands(["*Service*", "gsv"])
            .prefix("Win")
            .runtime_path("::psremote_runtime")
            .generate()
            .expect("builder");
        assert_eq!(from_macro, from_builder);
        assert!(from_macro.contains("pub fn get_win_service(&self)"));
    }

    #[test]
    fn missing_cache_names_the_command_to_create_it() {
        let err = expand(
            quote!(metadata = ".psremote/nowhere.json"),
            quote!(
                mod remote {}
            ),
        )
        .expect_err("missing");
        let msg = err.to_string();
        assert!(
            msg.contains("psremote metadata HOST --out .psremote/nowhere.json"),
            "{msg}"
        );
    }

    /// `PSREMOTE_LIVE_METADATA=1` on a macro built without the `live` feature is a compile
    /// error at the attribute saying what to do, not a silent offline build. (When the
    /// workspace build unifies `live` on, the request goes on to want an endpoint.)
    #[test]
    fn live_request_without_the_feature_says_to_enable_it() {
        let env = |k: &str| (k == psremote_codegen::live::LIVE_ENV).then(|| "1".to_owned());
        let err = psremote_codegen::attribute::expand_with_env(
            quote!(metadata = ".psremote/peer.json"),
            quote!(
                mod remote {}
            ),
            &env,
        )
        .expect_err("live asked for");
        let msg = err.to_string();
        if psremote_codegen::live::ENABLED {
            assert!(msg.contains("PSREMOTE_URL is not"), "{msg}");
        } else {
            assert!(msg.contains("without the `live` feature"), "{msg}");
            assert!(msg.contains("features = [\"live\"]"), "{msg}");
            assert!(
                msg.contains("psremote metadata HOST --out .psremote/peer.json"),
                "{msg}"
            );
        }
    }

    #[test]
    fn unknown_command_and_argument_are_errors() {
        let path = write_fixture();
        let err = expand(
            quote!(metadata = #path, commands = ["Get-Nothing"]),
            quote!(
                mod r {}
            ),
        )
        .expect_err("unknown command");
        assert!(err.to_string().contains("Get-Nothing is not in"), "{err}");
        let err = expand(
            quote!(metadata = #path, colour = "x"),
            quote!(
                mod r {}
            ),
        )
        .expect_err("unknown arg");
        assert!(err.to_string().contains("unknown argument `colour`"));
        let err = expand(
            quote!(metadata = #path),
            quote!(
                fn f() {}
            ),
        )
        .expect_err("not a mod");
        assert!(err.to_string().contains("goes on a module"));
    }
}
