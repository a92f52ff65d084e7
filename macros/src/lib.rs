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

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};

use psremote_codegen::builder::refresh_command;
use psremote_codegen::metadata::Catalog;
use psremote_codegen::{Options, generate};

/// See the crate documentation.
#[proc_macro_attribute]
pub fn remote_commands(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

struct Args {
    metadata: LitStr,
    commands: Vec<LitStr>,
    prefix: Option<LitStr>,
    runtime: Option<LitStr>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Args> {
        let mut metadata = None;
        let mut commands = Vec::new();
        let mut prefix = None;
        let mut runtime = None;
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "metadata" => metadata = Some(input.parse::<LitStr>()?),
                "prefix" => prefix = Some(input.parse::<LitStr>()?),
                "runtime" => runtime = Some(input.parse::<LitStr>()?),
                "commands" => {
                    let content;
                    syn::bracketed!(content in input);
                    let list: Punctuated<LitStr, Token![,]> =
                        content.parse_terminated(|p| p.parse::<LitStr>(), Token![,])?;
                    commands = list.into_iter().collect();
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown argument `{other}`; expected metadata, commands, prefix or runtime"
                        ),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let metadata = metadata.ok_or_else(|| {
            syn::Error::new(
                Span::call_site(),
                "missing `metadata = \".psremote/NAME.json\"` (create the file with `psremote metadata HOST --out .psremote/NAME.json`)",
            )
        })?;
        Ok(Args {
            metadata,
            commands,
            prefix,
            runtime,
        })
    }
}

/// The expansion, as a function of tokens (unit-testable without a compiler).
fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let args: Args = syn::parse2(attr)?;
    let mut module: syn::ItemMod = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "#[remote_commands] goes on a module: `mod remote {}`",
        )
    })?;
    let given = args.metadata.value();
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let path = std::path::Path::new(&manifest_dir).join(&given);
    if !path.is_file() {
        return Err(syn::Error::new(
            args.metadata.span(),
            format!(
                "metadata cache {} not found; create it with `{}`",
                path.display(),
                refresh_command(&given)
            ),
        ));
    }
    let catalog = Catalog::read(&path).map_err(|e| {
        syn::Error::new(
            args.metadata.span(),
            format!("{e}; refresh it with `{}`", refresh_command(&given)),
        )
    })?;
    let mut options = Options {
        prefix: args.prefix.as_ref().map(LitStr::value),
        commands: args.commands.iter().map(LitStr::value).collect(),
        ..Options::default()
    };
    if let Some(r) = &args.runtime {
        options = options.with_runtime_path(&r.value()).map_err(|_| {
            syn::Error::new(r.span(), "`runtime` must be a path like \"::psremote\"")
        })?;
    }
    for c in &args.commands {
        let v = c.value();
        let wild = v.contains(['*', '?', '[']);
        if !wild && catalog.command(&v).is_none() {
            return Err(syn::Error::new(
                c.span(),
                format!(
                    "{v} is not in {given}; refresh it with `{}` if the endpoint has it now",
                    refresh_command(&given)
                ),
            ));
        }
    }
    let generated = generate(&catalog, &options);
    // Track the cache file: editing it rebuilds the crate.
    let track_path = path.display().to_string();
    let track = quote! {
        const _: &[u8] = include_bytes!(#track_path);
    };
    let file: syn::File = syn::parse2(quote!(#track #generated))?;
    let content = module
        .content
        .get_or_insert_with(|| (syn::token::Brace::default(), Vec::new()));
    content.1.extend(file.items);
    Ok(quote!(#module))
}

#[cfg(test)]
mod tests {
    use super::*;

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
