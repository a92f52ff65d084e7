//! The `#[remote_commands]` attribute's expansion (the `psremote-macros` crate is a thin
//! wrapper around [`expand`]): cached metadata → the generated module, same generator as the
//! build.rs [`Builder`](crate::Builder) and `psremote export`.

use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};

use crate::builder::refresh_command;
use crate::live;
use crate::metadata::Catalog;
use crate::{Options, generate};

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
                proc_macro2::Span::call_site(),
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

/// The expansion of `#[remote_commands(...)] mod m {}`, as a function of tokens: what the
/// attribute macro runs, callable from tests (and so comparable with the other front ends).
pub fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    expand_with_env(attr, item, &live::process_env)
}

/// [`expand`] with the environment given: [`live::LIVE_ENV`] and the connection settings are
/// read through `env` (tests pass a map instead of changing the process environment).
pub fn expand_with_env(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    env: live::Env<'_>,
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
    // Opt-in: refresh the cache from the endpoint first (errors point at the attribute).
    let patterns: Vec<String> = args.commands.iter().map(LitStr::value).collect();
    live::refresh_from_env(&path, &given, &patterns, env)
        .map_err(|e| syn::Error::new(args.metadata.span(), e.to_string()))?;
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
    // Track the cache file (editing it rebuilds the crate) and the live switch (rustc records
    // `option_env!` reads in the dep-info, so cargo rebuilds when it is set or unset).
    let track_path = path.display().to_string();
    let live_env = live::LIVE_ENV;
    let track = quote! {
        const _: (&[u8], Option<&str>) = (include_bytes!(#track_path), option_env!(#live_env));
    };
    let file: syn::File = syn::parse2(quote!(#track #generated))?;
    let content = module
        .content
        .get_or_insert_with(|| (syn::token::Brace::default(), Vec::new()));
    content.1.extend(file.items);
    Ok(quote!(#module))
}
