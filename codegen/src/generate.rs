//! Catalog → typed Rust stubs (DESIGN.md §3).
//!
//! Generated API:
//! - `Remote` wraps an `ImplicitSession`; `remote.verb_noun(<mandatory args of the default
//!   set, by Position>)` returns the builder `VerbNoun`; every other parameter set is
//!   `remote.verb_noun_by_<set>(…)` → `VerbNounBy<Set>`, whose setters are only that set's
//!   parameters, so parameters of two sets can't be combined (a compile error);
//! - optional parameters are snake_case setters, switches are setters without a value;
//! - ValidateSet values and .NET enums are `#[non_exhaustive]` enums with an `Other(String)`
//!   escape variant; output types with discovered properties are structs;
//! - `.invoke().await` → `Result<Vec<Output>, Error>`, `.stream()` → a stream of events.
//!
//! A call builds a `Command` with named parameters (MS-PSRP 2.2.3.12), never script text.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use crate::filter::wildcard_match;
use crate::metadata::{Catalog, CommandInfo, ParameterInfo, ParameterSetInfo};
use crate::names::{Scope, ident, pascal, snake};
use crate::types::{Kind, TypeRef, parse, qualified_name, short_name};

/// Generator options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Import-PSSession's `-Prefix`: added to the noun of every generated name
    /// (`Get-Service` with prefix `Remote` → `get_remote_service` / `GetRemoteService`).
    pub prefix: Option<String>,
    /// Command names to generate (PowerShell wildcards); empty = all.
    pub commands: Vec<String>,
    /// Path of the runtime crate in the generated code (`::psremote` for users of the facade,
    /// `::psremote_runtime` for crates depending on the runtime directly).
    pub runtime_path: syn::Path,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            prefix: None,
            commands: Vec::new(),
            runtime_path: syn::parse_quote!(::psremote),
        }
    }
}

impl Options {
    /// Sets the runtime crate path from text (e.g. `"::psremote_runtime"`).
    pub fn with_runtime_path(mut self, path: &str) -> Result<Options, syn::Error> {
        self.runtime_path = syn::parse_str(path)?;
        Ok(self)
    }
}

/// How a parameter's type was mapped (for the fidelity report).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamMapping {
    Switch,
    Primitive,
    StringLike,
    Credential,
    ValidateSet,
    Enum,
    /// A class with discovered properties.
    Class,
    /// A class the catalog knows nothing about: a nominal struct carrying the object.
    NominalClass,
    Dynamic(String),
}

impl ParamMapping {
    /// Whether the parameter has a concrete Rust type (anything but the dynamic value).
    pub fn is_typed(&self) -> bool {
        !matches!(self, ParamMapping::Dynamic(_))
    }
}

/// How a command's output was mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputMapping {
    /// No OutputType declared.
    Undeclared,
    /// Primitive/enum/struct with properties, or an enum over several such.
    Typed,
    /// Nominal struct(s) only: typed by name, no fields known.
    Nominal,
    Dynamic(String),
}

/// Per-command facts the fidelity report reads.
#[derive(Debug, Clone)]
pub struct CommandStats {
    pub name: String,
    /// Unique parameters by name with their mapping.
    pub parameters: BTreeMap<String, ParamMapping>,
    /// (set, parameter) pairs that are mandatory, and whether the generated API requires them.
    pub mandatory: Vec<(String, String, bool)>,
    pub output: OutputMapping,
}

/// The generated code plus what it was made of.
#[derive(Debug, Clone)]
pub struct Generated {
    pub tokens: TokenStream,
    /// The same tokens split at top-level items (formatted in parallel).
    pub items: Vec<TokenStream>,
    pub stats: Vec<CommandStats>,
    /// Commands left out and why.
    pub skipped: Vec<(String, String)>,
}

/// Generates the stubs' tokens.
pub fn generate(catalog: &Catalog, options: &Options) -> TokenStream {
    generate_full(catalog, options).tokens
}

/// Generates the stubs as formatted source text (prettyplease).
pub fn generate_string(catalog: &Catalog, options: &Options) -> String {
    format_items(&generate_full(catalog, options).items)
}

/// Formats top-level items as one file. Large outputs are parsed and printed on several
/// threads, in contiguous groups joined in order: the text is the same as one `unparse`
/// of the whole file (prettyplease prints a file's items one after the other).
pub fn format_items(items: &[TokenStream]) -> String {
    // TokenStream is not Send: turn the groups into text here, parse them on the threads.
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 8);
    let texts: Vec<String> = items.iter().map(ToString::to_string).collect();
    let total: usize = texts.iter().map(String::len).sum();
    if threads == 1 || total < 1 << 20 {
        return format_tokens(items.iter().cloned().collect());
    }
    let per = total.div_ceil(threads);
    let mut groups: Vec<String> = vec![String::new()];
    for t in texts {
        if groups.last().is_some_and(|g| g.len() >= per) {
            groups.push(String::new());
        }
        if let Some(g) = groups.last_mut() {
            g.push_str(&t);
            g.push(' ');
        }
    }
    let formatted: Vec<Option<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .iter()
            .map(|g| {
                scope.spawn(move || {
                    syn::parse_str::<syn::File>(g)
                        .ok()
                        .map(|f| prettyplease::unparse(&f))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    if formatted.iter().all(Option::is_some) {
        formatted.into_iter().flatten().collect()
    } else {
        format_tokens(items.iter().cloned().collect())
    }
}

/// Formats tokens as a file with prettyplease.
pub fn format_tokens(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // Our own tokens always parse; keep the raw text rather than panic if they don't.
        Err(_) => tokens.to_string(),
    }
}

/// The Rust-facing view of one parameter.
#[derive(Debug, Clone)]
struct PType {
    kind: Kind,
    array: bool,
    /// Ident of a generated enum or struct, when `kind` needs one.
    item: Option<String>,
    mapping: ParamMapping,
    /// The flags enum joins values with ", ".
    flags: bool,
}

struct Ctx<'a> {
    catalog: &'a Catalog,
    /// .NET type → generated ident (enums and classes).
    type_idents: BTreeMap<String, String>,
    /// Classes whose properties we generate fields for, and the ones we only name.
    classes: BTreeSet<String>,
    enums: BTreeSet<String>,
    /// (command, parameter) → ValidateSet enum ident and values.
    validate_sets: BTreeMap<(String, String), (String, Vec<String>)>,
    type_scope: Scope,
}

fn is_mandatory_switch(p: &ParameterInfo) -> bool {
    p.is_mandatory && p.is_switch
}

impl<'a> Ctx<'a> {
    fn type_ref(&self, p: &ParameterInfo) -> TypeRef {
        if p.is_switch {
            return TypeRef {
                kind: Kind::Switch,
                array: false,
            };
        }
        match &p.type_name {
            Some(t) => parse(t, &self.catalog.types, true),
            None => TypeRef {
                kind: Kind::Dynamic("the server gave no type".to_owned()),
                array: false,
            },
        }
    }

    fn validate_set_values(p: &ParameterInfo) -> Option<Vec<String>> {
        let vs = p.validate_set.as_ref()?;
        let mut out: Vec<String> = Vec::new();
        for v in vs {
            if !out.iter().any(|x| x.eq_ignore_ascii_case(v)) {
                out.push(v.clone());
            }
        }
        (!out.is_empty()).then_some(out)
    }

    fn ptype(&self, cmd: &CommandInfo, p: &ParameterInfo) -> PType {
        let tr = self.type_ref(p);
        if !matches!(tr.kind, Kind::Switch)
            && let Some((id, _)) = self
                .validate_sets
                .get(&(cmd.name.clone(), p.name.to_ascii_lowercase()))
        {
            return PType {
                kind: Kind::Enum(String::new()),
                array: tr.array,
                item: Some(id.clone()),
                mapping: ParamMapping::ValidateSet,
                flags: false,
            };
        }
        let (item, mapping, flags) = match &tr.kind {
            Kind::Switch => (None, ParamMapping::Switch, false),
            Kind::Prim(_) => (None, ParamMapping::Primitive, false),
            Kind::StringLike => (None, ParamMapping::StringLike, false),
            Kind::Secure | Kind::Credential => (None, ParamMapping::Credential, false),
            Kind::Enum(n) => {
                let flags = self.catalog.types.get(n).is_some_and(|t| t.flags);
                (self.type_idents.get(n).cloned(), ParamMapping::Enum, flags)
            }
            Kind::Class(n) => {
                let known = self
                    .catalog
                    .types
                    .get(n)
                    .is_some_and(|t| t.properties.is_some());
                (
                    self.type_idents.get(n).cloned(),
                    if known {
                        ParamMapping::Class
                    } else {
                        ParamMapping::NominalClass
                    },
                    false,
                )
            }
            Kind::Dynamic(r) => (None, ParamMapping::Dynamic(r.clone()), false),
        };
        // SecureString arrays have no natural form: send them dynamically.
        if tr.array && matches!(tr.kind, Kind::Secure | Kind::Credential) {
            return PType {
                kind: Kind::Dynamic("array of secrets".to_owned()),
                array: true,
                item: None,
                mapping: ParamMapping::Dynamic("array of SecureString/PSCredential".to_owned()),
                flags: false,
            };
        }
        PType {
            kind: tr.kind,
            array: tr.array,
            item,
            mapping,
            flags,
        }
    }
}

/// The Rust element type a setter takes `impl Into<_>` of (None = `impl ToValue`).
fn elem_type(t: &PType) -> Option<TokenStream> {
    match &t.kind {
        Kind::Prim(p) => syn::parse_str::<syn::Type>(p).ok().map(|ty| quote!(#ty)),
        Kind::StringLike => Some(quote!(String)),
        Kind::Secure => Some(quote!(__rt::SecureString)),
        Kind::Credential => Some(quote!(__rt::PsCredential)),
        Kind::Enum(_) | Kind::Class(_) => t.item.as_ref().map(|i| {
            let i = ident(i);
            quote!(#i)
        }),
        Kind::Switch | Kind::Dynamic(_) => None,
    }
}

/// (argument type, expression turning `#var` into a `__rt::Value`), or a call on `call` for
/// secrets. Returns the statement that records the parameter on `call`.
fn param_statement(
    ps_name: &str,
    var: &proc_macro2::Ident,
    t: &PType,
) -> (TokenStream, TokenStream) {
    let name = ps_name;
    match (&t.kind, t.array, t.flags) {
        (Kind::Secure, false, _) => (
            quote!(__rt::SecureString),
            quote!(call.secure_string(#name, #var);),
        ),
        (Kind::Credential, false, _) => (
            quote!(__rt::PsCredential),
            quote!(call.credential(#name, #var);),
        ),
        (Kind::Enum(_), false, true) => {
            let e = elem_type(t).unwrap_or_else(|| quote!(String));
            (
                quote!(impl IntoIterator<Item = #e>),
                quote!(call.param(#name, __rt::flags::<#e, _>(#var));),
            )
        }
        _ => match (elem_type(t), t.array) {
            (Some(e), false) => (
                quote!(impl Into<#e>),
                quote!(call.param(#name, __rt::to_value::<#e>(#var.into()));),
            ),
            (Some(e), true) => (
                quote!(impl IntoIterator<Item = impl Into<#e>>),
                quote!(call.param(#name, __rt::list::<#e, _>(#var));),
            ),
            (None, false) => (
                quote!(impl __rt::ToValue),
                quote!(call.param(#name, __rt::ToValue::to_value(&#var));),
            ),
            (None, true) => (
                quote!(impl IntoIterator<Item = impl __rt::ToValue>),
                quote!(call.param(#name, __rt::values(#var));),
            ),
        },
    }
}

/// The input statement for pipeline input (`#var` is an iterator of items).
fn input_statement(var: &proc_macro2::Ident, t: Option<&PType>) -> (TokenStream, TokenStream) {
    match t.and_then(|t| match (&t.kind, t.flags) {
        (Kind::Secure | Kind::Credential, _) | (_, true) => None,
        _ => elem_type(t),
    }) {
        Some(e) => (
            quote!(impl IntoIterator<Item = impl Into<#e>>),
            quote!(call.input(__rt::items::<#e, _>(#var));),
        ),
        None => (
            quote!(impl IntoIterator<Item = impl __rt::ToValue>),
            quote!(call.input(__rt::value_items(#var));),
        ),
    }
}

fn doc_lines(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|l| {
        let l = format!(" {l}");
        quote!(#[doc = #l])
    });
    quote!(#(#attrs)*)
}

fn param_doc(p: &ParameterInfo) -> Vec<String> {
    let mut d = vec![format!(
        "`-{}` (`{}`){}",
        p.name,
        p.type_name.as_deref().unwrap_or("untyped"),
        if p.is_dynamic {
            ", a dynamic parameter"
        } else {
            ""
        }
    )];
    if let Some(h) = &p.help_message {
        d.push(String::new());
        d.push(h.clone());
    }
    let mut facts = Vec::new();
    if !p.aliases.is_empty() {
        facts.push(format!("aliases: {}", p.aliases.join(", ")));
    }
    if let Some(pos) = p.position {
        facts.push(format!("position {pos}"));
    }
    if p.value_from_pipeline {
        facts.push("accepts pipeline input".to_owned());
    }
    if p.value_from_pipeline_by_property_name {
        facts.push("accepts pipeline input by property name".to_owned());
    }
    if p.value_from_remaining_arguments {
        facts.push("takes the remaining arguments".to_owned());
    }
    if let Some(r) = &p.validate_range {
        facts.push(format!(
            "range {}..={} (checked by the server)",
            r.min, r.max
        ));
    }
    if let Some(b) = &p.validate_length {
        facts.push(format!(
            "length {}..={} (checked by the server)",
            b.min, b.max
        ));
    }
    if let Some(b) = &p.validate_count {
        facts.push(format!(
            "count {}..={} (checked by the server)",
            b.min, b.max
        ));
    }
    if let Some(pat) = &p.validate_pattern {
        facts.push(format!("must match `{pat}` (checked by the server)"));
    }
    if !facts.is_empty() {
        d.push(String::new());
        d.push(facts.join("; "));
    }
    d
}

fn command_doc(c: &CommandInfo, set: &ParameterSetInfo, multi: bool) -> Vec<String> {
    let mut d = Vec::new();
    match &c.synopsis {
        Some(s) if !s.trim().is_empty() => d.push(format!("`{}`: {}", c.name, s.trim())),
        _ => d.push(format!("`{}`", c.name)),
    }
    if multi {
        d.push(String::new());
        d.push(format!("Parameter set `{}`.", set.name));
    }
    if let Some(m) = &c.module {
        d.push(String::new());
        match &c.module_version {
            Some(v) => d.push(format!("Module `{m}` {v}.")),
            None => d.push(format!("Module `{m}`.")),
        }
    }
    if let Some(u) = &c.help_uri
        && !u.is_empty()
    {
        d.push(String::new());
        d.push(format!("Online help: <{u}>"));
    }
    d
}

/// The name a command gets after Import-PSSession's `-Prefix` (added to the noun).
fn prefixed(name: &str, prefix: Option<&str>) -> String {
    match prefix {
        None | Some("") => name.to_owned(),
        Some(p) => match name.split_once('-') {
            Some((verb, noun)) => format!("{verb}-{p}{noun}"),
            None => format!("{p}{name}"),
        },
    }
}

struct SetPlan {
    set_name: String,
    method: String,
    builder: String,
    doc: Vec<String>,
    /// (ps name, ident, type, as pipeline input)
    args: Vec<(String, String, PType, bool)>,
    auto_switches: Vec<String>,
    /// (ps name, setter ident, type (None = switch), doc)
    setters: Vec<(String, String, Option<PType>, Vec<String>)>,
    /// Input method: the by-value parameter's type, or dynamic.
    input: Option<Option<PType>>,
    input_ident: String,
    /// The parameters that take pipeline input, for the chaining rule.
    pipe_params: Vec<PipeParam>,
    /// Some when a mandatory parameter takes pipeline input: the set then also gets a
    /// `Remote::piped()` constructor without those arguments (indices into `args` kept).
    piped_args: Option<Vec<usize>>,
}

/// A parameter that takes pipeline input (MS-PSRP 2.2.3.22 ParameterMetadata flags).
struct PipeParam {
    names: Vec<String>,
    mandatory: bool,
    by_value: bool,
    by_name: bool,
    /// The Rust element type (as tokens text) bound by value; None when dynamic.
    elem: Option<String>,
}

/// A command's output enum: its ident and (variant, .NET type, Rust type) per declared type.
type OutputEnum = (String, Vec<(String, String, TokenStream)>);

struct CommandPlan<'a> {
    info: &'a CommandInfo,
    output: TokenStream,
    output_enum: Option<OutputEnum>,
    sets: Vec<SetPlan>,
}

/// Names a builder's setters can't take: its own methods, and those of the traits it
/// derives or implements (a parameter named `Clone` becomes `clone_param`).
const BUILDER_RESERVED: [&str; 10] = [
    "invoke",
    "pipe",
    "stream",
    "into_call",
    "call",
    "call_mut",
    "clone",
    "clone_from",
    "fmt",
    "to_owned",
];

/// Generates tokens and the fidelity facts.
pub fn generate_full(catalog: &Catalog, options: &Options) -> Generated {
    let mut skipped = Vec::new();
    let selected: Vec<&CommandInfo> = catalog
        .commands
        .iter()
        .filter(|c| {
            options.commands.is_empty()
                || options.commands.iter().any(|p| wildcard_match(p, &c.name))
        })
        .filter(|c| match crate::filter::unsafe_reason(c) {
            None => true,
            Some(r) => {
                skipped.push((c.name.clone(), r));
                false
            }
        })
        .collect();
    let (commands, aliases): (Vec<&CommandInfo>, Vec<&CommandInfo>) = selected
        .into_iter()
        .partition(|c| !c.is_alias() || c.resolved_command_name.is_none());

    let mut ctx = Ctx {
        catalog,
        type_idents: BTreeMap::new(),
        classes: BTreeSet::new(),
        enums: BTreeSet::new(),
        validate_sets: BTreeMap::new(),
        type_scope: Scope::with_reserved(&[
            "Remote",
            "RemotePiped",
            "CommonParameters",
            "Result",
            "Option",
            "String",
            "Vec",
            "Box",
        ]),
    };

    // Phase 0: command and set names (they come first: they are the API).
    let mut method_scope = Scope::with_reserved(&["new", "session", "clone", "piped"]);
    let mut command_names: Vec<(String, String)> = Vec::new();
    for c in &commands {
        let shown = prefixed(&c.name, options.prefix.as_deref());
        let m = method_scope.take(&snake(&shown));
        let b = ctx.type_scope.take(&pascal(&shown));
        command_names.push((m, b));
    }

    // Phase 1: every referenced type name.
    let mut class_refs: BTreeSet<String> = BTreeSet::new();
    let mut enum_refs: BTreeSet<String> = BTreeSet::new();
    let note =
        |tr: &TypeRef, classes: &mut BTreeSet<String>, enums: &mut BTreeSet<String>| match &tr.kind
        {
            Kind::Class(n) => {
                classes.insert(n.clone());
            }
            Kind::Enum(n) => {
                enums.insert(n.clone());
            }
            _ => {}
        };
    for c in &commands {
        for s in &c.parameter_sets {
            for p in &s.parameters {
                if Ctx::validate_set_values(p).is_some() && !p.is_switch {
                    continue;
                }
                note(&ctx.type_ref(p), &mut class_refs, &mut enum_refs);
            }
        }
        for o in &c.output_types {
            note(
                &parse(o, &catalog.types, false),
                &mut class_refs,
                &mut enum_refs,
            );
        }
    }
    // Properties of classes with discovered properties, transitively.
    let mut work: Vec<String> = class_refs.iter().cloned().collect();
    while let Some(n) = work.pop() {
        let Some(props) = catalog.types.get(&n).and_then(|t| t.properties.as_ref()) else {
            continue;
        };
        for p in props {
            let tr = parse(&p.type_name, &catalog.types, false);
            match &tr.kind {
                Kind::Class(c)
                    if catalog.types.get(c).is_some_and(|t| t.properties.is_some())
                        && class_refs.insert(c.clone()) =>
                {
                    work.push(c.clone());
                }
                Kind::Enum(e) => {
                    enum_refs.insert(e.clone());
                }
                _ => {}
            }
        }
    }

    // Phase 2: type idents, short names where unique, namespace-qualified where not.
    let all: BTreeSet<String> = class_refs.iter().chain(enum_refs.iter()).cloned().collect();
    let mut by_short: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in &all {
        by_short.entry(short_name(n)).or_default().push(n.clone());
    }
    for (short, names) in by_short {
        if names.len() == 1 {
            let id = ctx.type_scope.take_with(&short, "Type");
            ctx.type_idents.insert(names[0].clone(), id);
        } else {
            for n in names {
                let mut depth = 1;
                let mut q = qualified_name(&n, depth);
                while ctx.type_scope.contains(&q) && depth < 6 {
                    depth += 1;
                    q = qualified_name(&n, depth);
                }
                let id = ctx.type_scope.take(&q);
                ctx.type_idents.insert(n, id);
            }
        }
    }
    ctx.classes = class_refs;
    ctx.enums = enum_refs;

    // ValidateSet enums, per command and parameter (shared by the command's sets).
    for (c, (_, builder)) in commands.iter().zip(&command_names) {
        for s in &c.parameter_sets {
            for p in &s.parameters {
                if p.is_switch {
                    continue;
                }
                let key = (c.name.clone(), p.name.to_ascii_lowercase());
                if ctx.validate_sets.contains_key(&key) {
                    continue;
                }
                if let Some(values) = Ctx::validate_set_values(p) {
                    let id = ctx
                        .type_scope
                        .take(&format!("{builder}{}", pascal(&p.name)));
                    ctx.validate_sets.insert(key, (id, values));
                }
            }
        }
    }

    // Phase 3: per-command plans.
    let mut plans = Vec::new();
    let mut stats = Vec::new();
    for (c, (method, builder)) in commands.iter().zip(&command_names) {
        let (plan, st) = plan_command(&mut ctx, c, method, builder, &mut method_scope);
        plans.push(plan);
        stats.push(st);
    }

    // Aliases: a method forwarding to the resolved command's default set.
    let mut alias_items = Vec::new();
    for a in &aliases {
        let Some(target) = a.resolved_command_name.as_deref() else {
            continue;
        };
        let Some(plan) = plans
            .iter()
            .find(|p| p.info.name.eq_ignore_ascii_case(target))
        else {
            skipped.push((
                a.name.clone(),
                format!("alias of {target}, which is not generated"),
            ));
            continue;
        };
        let Some(set) = plan.sets.first() else {
            continue;
        };
        let m = ident(&method_scope.take(&snake(&prefixed(&a.name, options.prefix.as_deref()))));
        let target_m = ident(&set.method);
        let b = ident(&set.builder);
        let args: Vec<TokenStream> = set
            .args
            .iter()
            .map(|(ps, id, t, input)| {
                let v = ident(id);
                let ty = if *input {
                    input_statement(&v, Some(t)).0
                } else {
                    param_statement(ps, &v, t).0
                };
                quote!(#v: #ty)
            })
            .collect();
        let names: Vec<proc_macro2::Ident> =
            set.args.iter().map(|(_, id, _, _)| ident(id)).collect();
        let doc = format!(
            " `{}`: alias of [`Remote::{}`] (`{}`).",
            a.name,
            set.method.trim_start_matches("r#"),
            target
        );
        alias_items.push(quote! {
            #[doc = #doc]
            pub fn #m(&self, #(#args),*) -> #b {
                self.#target_m(#(#names),*)
            }
        });
    }

    let items = emit(&ctx, &plans, &alias_items, options);
    let tokens = items.iter().cloned().collect();
    Generated {
        tokens,
        items,
        stats,
        skipped,
    }
}

fn output_of(
    ctx: &Ctx<'_>,
    c: &CommandInfo,
    builder: &str,
) -> (TokenStream, Option<OutputEnum>, OutputMapping) {
    let mut seen: Vec<(String, TokenStream, String, bool)> = Vec::new(); // (key, type, dotnet, nominal)
    let mut dynamic_reason = None;
    for o in &c.output_types {
        let tr = parse(o, &ctx.catalog.types, false);
        let (ty, key, nominal) = match &tr.kind {
            Kind::Prim(p) => match syn::parse_str::<syn::Type>(p) {
                Ok(t) => (quote!(#t), (*p).to_owned(), false),
                Err(_) => continue,
            },
            Kind::Enum(n) | Kind::Class(n) => match ctx.type_idents.get(n) {
                Some(i) => {
                    let id = ident(i);
                    let known = ctx
                        .catalog
                        .types
                        .get(n)
                        .is_some_and(|t| t.properties.is_some());
                    let nominal = matches!(tr.kind, Kind::Class(_)) && !known;
                    (quote!(#id), i.clone(), nominal)
                }
                None => continue,
            },
            Kind::Dynamic(r) => {
                dynamic_reason = Some(r.clone());
                continue;
            }
            Kind::Switch | Kind::StringLike | Kind::Secure | Kind::Credential => {
                dynamic_reason = Some(format!("output type {o} has no decoder"));
                continue;
            }
        };
        if !seen.iter().any(|(k, ..)| *k == key) {
            seen.push((
                key,
                ty,
                crate::types::strip_deserialized(o).to_owned(),
                nominal,
            ));
        }
    }
    if let Some(r) = dynamic_reason {
        return (quote!(__rt::Value), None, OutputMapping::Dynamic(r));
    }
    match seen.len() {
        0 => (quote!(__rt::Value), None, OutputMapping::Undeclared),
        1 => {
            let (_, ty, _, nominal) = seen.remove(0);
            (
                ty,
                None,
                if nominal {
                    OutputMapping::Nominal
                } else {
                    OutputMapping::Typed
                },
            )
        }
        _ => {
            let all_nominal = seen.iter().all(|s| s.3);
            let name = format!("{builder}Output");
            let mut vs = Scope::with_reserved(&["Other"]);
            let variants = seen
                .into_iter()
                .map(|(key, ty, dotnet, _)| {
                    (vs.take(&pascal(&key.replace("__rt::", ""))), dotnet, ty)
                })
                .collect();
            let id = ident(&name);
            (
                quote!(#id),
                Some((name, variants)),
                if all_nominal {
                    OutputMapping::Nominal
                } else {
                    OutputMapping::Typed
                },
            )
        }
    }
}

fn plan_command<'a>(
    ctx: &mut Ctx<'a>,
    c: &'a CommandInfo,
    method: &str,
    builder: &str,
    method_scope: &mut Scope,
) -> (CommandPlan<'a>, CommandStats) {
    let (output, output_enum, output_mapping) = {
        let (o, e, m) = output_of(ctx, c, builder);
        // The output enum's name must not clash with other types.
        let e = e.map(|(n, v)| (ctx.type_scope.take(&n), v));
        let o = match &e {
            Some((n, _)) => {
                let id = ident(n);
                quote!(#id)
            }
            None => o,
        };
        (o, e, m)
    };
    let mut stats = CommandStats {
        name: c.name.clone(),
        parameters: BTreeMap::new(),
        mandatory: Vec::new(),
        output: output_mapping,
    };

    // The default set first, then the others in declared order.
    let default = c.default_set().map(|s| s.name.clone());
    let mut ordered: Vec<&ParameterSetInfo> = Vec::new();
    if let Some(d) = c.default_set() {
        ordered.push(d);
    }
    for s in &c.parameter_sets {
        if Some(&s.name) != default.as_ref() {
            ordered.push(s);
        }
    }
    let multi = ordered.len() > 1;
    let mut sets = Vec::new();
    let mut set_scope = Scope::default();
    for (i, s) in ordered.iter().enumerate() {
        let (m, b) = if i == 0 {
            (method.to_owned(), builder.to_owned())
        } else {
            let sp = set_scope.take(&pascal(&s.name));
            (
                method_scope.take(&format!(
                    "{}_by_{}",
                    method.trim_start_matches("r#"),
                    snake(&sp).trim_start_matches("r#")
                )),
                ctx.type_scope.take(&format!("{builder}By{sp}")),
            )
        };
        let mut doc = command_doc(c, s, multi);
        // Mandatory parameters in Position order (named ones after, in declared order).
        let mut mandatory: Vec<&ParameterInfo> = s
            .parameters
            .iter()
            .filter(|p| p.is_mandatory && !is_mandatory_switch(p))
            .collect();
        mandatory.sort_by_key(|p| p.position.map_or(i64::MAX, i64::from));
        let input_param = mandatory
            .iter()
            .find(|p| p.value_from_pipeline)
            .map(|p| p.name.clone());
        let mut arg_scope = Scope::with_reserved(&["self", "call"]);
        let mut args = Vec::new();
        for p in &mandatory {
            let t = ctx.ptype(c, p);
            let as_input = input_param.as_deref() == Some(p.name.as_str());
            args.push((p.name.clone(), arg_scope.take(&snake(&p.name)), t, as_input));
            stats.mandatory.push((s.name.clone(), p.name.clone(), true));
        }
        let auto_switches: Vec<String> = s
            .parameters
            .iter()
            .filter(|p| is_mandatory_switch(p))
            .map(|p| {
                stats.mandatory.push((s.name.clone(), p.name.clone(), true));
                p.name.clone()
            })
            .collect();
        if !auto_switches.is_empty() {
            doc.push(String::new());
            doc.push(format!(
                "Sends {} (mandatory in this set).",
                auto_switches
                    .iter()
                    .map(|s| format!("`-{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut setter_scope = Scope::with_reserved(&BUILDER_RESERVED);
        let has_input = input_param.is_none()
            && s.parameters
                .iter()
                .any(|p| p.value_from_pipeline || p.value_from_pipeline_by_property_name);
        // `input` is the pipeline-input method; a parameter named Input gets `input_param`.
        let input_ident = if has_input {
            setter_scope.take("input")
        } else {
            String::new()
        };
        let mut setters = Vec::new();
        for p in &s.parameters {
            let t = ctx.ptype(c, p);
            stats
                .parameters
                .entry(p.name.clone())
                .or_insert_with(|| t.mapping.clone());
            if p.is_mandatory {
                continue;
            }
            let id = setter_scope.take_with(&snake(&p.name), "_param");
            let ty = if matches!(t.kind, Kind::Switch) {
                None
            } else {
                Some(t)
            };
            setters.push((p.name.clone(), id, ty, param_doc(p)));
        }
        let input = if input_param.is_some() {
            None
        } else {
            let by_value: Vec<&ParameterInfo> = s
                .parameters
                .iter()
                .filter(|p| p.value_from_pipeline)
                .collect();
            let by_name = s
                .parameters
                .iter()
                .any(|p| p.value_from_pipeline_by_property_name);
            if by_value.len() == 1 {
                let t = ctx.ptype(c, by_value[0]);
                Some(if matches!(t.kind, Kind::Dynamic(_) | Kind::Switch) {
                    None
                } else {
                    Some(t)
                })
            } else if !by_value.is_empty() || by_name {
                Some(None)
            } else {
                None
            }
        };
        let pipe_params: Vec<PipeParam> = s
            .parameters
            .iter()
            .filter(|p| p.value_from_pipeline || p.value_from_pipeline_by_property_name)
            .map(|p| {
                let t = ctx.ptype(c, p);
                let elem = match t.kind {
                    Kind::Dynamic(_) | Kind::Switch => None,
                    _ => elem_type(&t).map(|e| e.to_string()),
                };
                let mut names = vec![p.name.clone()];
                names.extend(p.aliases.iter().cloned());
                PipeParam {
                    names,
                    mandatory: p.is_mandatory,
                    by_value: p.value_from_pipeline,
                    by_name: p.value_from_pipeline_by_property_name,
                    elem,
                }
            })
            .collect();
        let piped_args = pipe_params.iter().any(|p| p.mandatory).then(|| {
            args.iter()
                .enumerate()
                .filter(|(_, (ps, ..))| {
                    !pipe_params
                        .iter()
                        .any(|p| p.mandatory && p.names.first() == Some(ps))
                })
                .map(|(i, _)| i)
                .collect()
        });
        sets.push(SetPlan {
            set_name: s.name.clone(),
            method: m,
            builder: b,
            doc,
            args,
            auto_switches,
            setters,
            input,
            input_ident,
            pipe_params,
            piped_args,
        });
    }
    (
        CommandPlan {
            info: c,
            output,
            output_enum,
            sets,
        },
        stats,
    )
}

fn emit_enum(id: &str, dotnet: Option<&str>, values: &[String], flags: bool) -> TokenStream {
    let ty = ident(id);
    let mut vs = Scope::default();
    let variants: Vec<(proc_macro2::Ident, String)> = values
        .iter()
        .map(|v| (ident(&vs.take(&pascal(v))), v.clone()))
        .collect();
    let other = ident(&vs.take_with("Other", "Value"));
    let doc = match dotnet {
        Some(n) if flags => format!(" `{n}` (flags: pass several values)."),
        Some(n) => format!(" `{n}`."),
        None => format!(" Values of a `[ValidateSet]`: {}.", values.join(", ")),
    };
    let other_doc =
        " A value not in this catalog (the server may know more values than it listed).";
    let defs = variants.iter().map(|(v, text)| {
        let d = format!(" `{text}`");
        quote!(#[doc = #d] #v)
    });
    let as_str = variants.iter().map(|(v, text)| quote!(Self::#v => #text));
    let from = variants.iter().map(|(v, text)| {
        let lower = text.to_lowercase();
        quote!(#lower => Self::#v)
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #ty {
            #(#defs,)*
            #[doc = #other_doc]
            #other(String),
        }
        impl #ty {
            /// The text PowerShell accepts for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str,)*
                    Self::#other(s) => s,
                }
            }
            /// The value named `s` (case-insensitive, like PowerShell), else the escape variant.
            pub fn from_name(s: &str) -> Self {
                match s.to_lowercase().as_str() {
                    #(#from,)*
                    _ => Self::#other(s.to_owned()),
                }
            }
        }
        impl ::core::fmt::Display for #ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl __rt::ToValue for #ty {
            fn to_value(&self) -> __rt::Value {
                __rt::Value::String(self.as_str().to_owned())
            }
        }
        impl __rt::FromValue for #ty {
            fn from_value(v: &__rt::Value) -> ::core::result::Result<Self, __rt::ConversionError> {
                Ok(Self::from_name(&__rt::enum_text(v)))
            }
        }
    }
}

fn emit_struct(ctx: &Ctx<'_>, dotnet: &str, id: &str) -> TokenStream {
    let ty = ident(id);
    let props = ctx
        .catalog
        .types
        .get(dotnet)
        .and_then(|t| t.properties.as_ref());
    let mut fs = Scope::with_reserved(&["object"]);
    let mut defs = Vec::new();
    let mut inits = Vec::new();
    for p in props.map(Vec::as_slice).unwrap_or(&[]) {
        let f = ident(&fs.take(&snake(&p.name)));
        let tr = parse(&p.type_name, &ctx.catalog.types, false);
        let elem: Option<(TokenStream, bool)> = match &tr.kind {
            Kind::Prim(x) => syn::parse_str::<syn::Type>(x)
                .ok()
                .map(|t| (quote!(#t), false)),
            Kind::Enum(n) => ctx.type_idents.get(n).map(|i| {
                let i = ident(i);
                (quote!(#i), false)
            }),
            Kind::Class(n)
                if ctx
                    .catalog
                    .types
                    .get(n)
                    .is_some_and(|t| t.properties.is_some()) =>
            {
                ctx.type_idents.get(n).map(|i| {
                    let i = ident(i);
                    (quote!(#i), true)
                })
            }
            _ => None,
        };
        let (elem, boxed) = elem.unwrap_or((quote!(__rt::Value), false));
        let name = &p.name;
        let d = format!(" `{}` (`{}`)", p.name, p.type_name);
        if tr.array {
            defs.push(quote!(#[doc = #d] pub #f: Option<Vec<#elem>>));
            inits.push(quote!(#f: __rt::prop_list(&object, #name)));
        } else if boxed {
            defs.push(quote!(#[doc = #d] pub #f: Option<Box<#elem>>));
            inits.push(quote!(#f: __rt::prop::<#elem>(&object, #name).map(Box::new)));
        } else {
            defs.push(quote!(#[doc = #d] pub #f: Option<#elem>));
            inits.push(quote!(#f: __rt::prop(&object, #name)));
        }
    }
    let doc = if props.is_some() {
        format!(
            " `{dotnet}`, decoded leniently: a property that is missing or of another type is `None`."
        )
    } else {
        format!(
            " `{dotnet}`: the catalog lists no properties for it; the object is kept as received."
        )
    };
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct #ty {
            #(#defs,)*
            /// The object as received: type names and every property, the ones not listed
            /// above included.
            pub object: __rt::Object,
        }
        impl #ty {
            /// The .NET type name (received objects carry it with a `Deserialized.` prefix).
            pub const TYPE_NAME: &'static str = #dotnet;
        }
        impl __rt::FromValue for #ty {
            fn from_value(v: &__rt::Value) -> ::core::result::Result<Self, __rt::ConversionError> {
                let object = __rt::object(v);
                Ok(Self { #(#inits,)* object })
            }
        }
        impl __rt::ToValue for #ty {
            fn to_value(&self) -> __rt::Value {
                __rt::Value::Object(self.object.clone())
            }
        }
    }
}

fn emit(
    ctx: &Ctx<'_>,
    plans: &[CommandPlan<'_>],
    alias_items: &[TokenStream],
    options: &Options,
) -> Vec<TokenStream> {
    let rt = &options.runtime_path;
    let mut items = Vec::new();
    let mut methods = Vec::new();
    let mut piped_methods = Vec::new();
    let upstreams = upstream_outputs(ctx, plans);
    for plan in plans {
        let c = plan.info;
        let name = &c.name;
        let out = &plan.output;
        if let Some((id, variants)) = &plan.output_enum {
            let ty = ident(id);
            let defs = variants.iter().map(|(v, dotnet, t)| {
                let v = ident(v);
                let d = format!(" `{dotnet}`");
                quote!(#[doc = #d] #v(#t))
            });
            let arms = variants.iter().map(|(v, dotnet, t)| {
                let v = ident(v);
                quote! {
                    if __rt::is_type(v, #dotnet) {
                        return Ok(Self::#v(<#t as __rt::FromValue>::from_value(v)?));
                    }
                }
            });
            let doc = format!(" An output of `{name}` (it declares several output types).");
            items.push(quote! {
                #[doc = #doc]
                #[derive(Debug, Clone, PartialEq)]
                #[non_exhaustive]
                pub enum #ty {
                    #(#defs,)*
                    /// An object of a type the command did not declare.
                    Other(__rt::Value),
                }
                impl __rt::FromValue for #ty {
                    fn from_value(v: &__rt::Value) -> ::core::result::Result<Self, __rt::ConversionError> {
                        #(#arms)*
                        Ok(Self::Other(v.clone()))
                    }
                }
            });
        }
        for set in &plan.sets {
            let m = ident(&set.method);
            let b = ident(&set.builder);
            let doc = doc_lines(&set.doc);
            let mut arg_defs = Vec::new();
            let mut arg_stmts = Vec::new();
            for (ps, id, t, as_input) in &set.args {
                let v = ident(id);
                let (ty, stmt) = if *as_input {
                    input_statement(&v, Some(t))
                } else {
                    param_statement(ps, &v, t)
                };
                arg_defs.push(quote!(#v: #ty));
                arg_stmts.push(stmt);
            }
            let switches = set.auto_switches.iter().map(|s| quote!(call.switch(#s);));
            let binding = if arg_stmts.is_empty() && set.auto_switches.is_empty() {
                quote!(let call)
            } else {
                quote!(let mut call)
            };
            let piped = set.piped_args.is_some();
            let construct = if piped {
                quote!(#b { call, state: ::core::marker::PhantomData })
            } else {
                quote!(#b { call })
            };
            methods.push(quote! {
                #doc
                pub fn #m(&self, #(#arg_defs),*) -> #b {
                    #binding = __rt::Call::new(&self.session, #name);
                    #(#arg_stmts)*
                    #(#switches)*
                    #construct
                }
            });
            if let Some(kept) = &set.piped_args {
                let kept_defs = kept.iter().filter_map(|i| arg_defs.get(*i));
                let kept_stmts: Vec<&TokenStream> =
                    kept.iter().filter_map(|i| arg_stmts.get(*i)).collect();
                let binding = if kept_stmts.is_empty() && set.auto_switches.is_empty() {
                    quote!(let call)
                } else {
                    quote!(let mut call)
                };
                let switches = set.auto_switches.iter().map(|s| quote!(call.switch(#s);));
                let pdoc = format!(
                    " `{name}` as a downstream command of a pipeline: its mandatory pipeline-input parameters are bound on the server from the upstream output (use with `.pipe`)."
                );
                piped_methods.push(quote! {
                    #[doc = #pdoc]
                    pub fn #m(&self, #(#kept_defs),*) -> #b<__rt::Piped> {
                        #binding = __rt::Call::new(&self.remote.session, #name);
                        #(#kept_stmts)*
                        #(#switches)*
                        #b { call, state: ::core::marker::PhantomData }
                    }
                });
            }
            let setters = set.setters.iter().map(|(ps, id, t, pdoc)| {
                let f = ident(id);
                let d = doc_lines(pdoc);
                match t {
                    None => quote! {
                        #d
                        pub fn #f(mut self) -> Self {
                            self.call.switch(#ps);
                            self
                        }
                    },
                    Some(t) => {
                        let v = ident("value");
                        let (ty, stmt) = param_statement(ps, &v, t);
                        quote! {
                            #d
                            pub fn #f(mut self, value: #ty) -> Self {
                                let call = &mut self.call;
                                #stmt
                                self
                            }
                        }
                    }
                }
            });
            let input = set.input.as_ref().map(|t| {
                let v = ident("items");
                let (ty, stmt) = input_statement(&v, t.as_ref());
                let f = ident(&set.input_ident);
                quote! {
                    /// Pipeline input: each item is bound to the parameter that takes pipeline
                    /// input (by value, or by property name).
                    pub fn #f(mut self, items: #ty) -> Self {
                        let call = &mut self.call;
                        #stmt
                        self
                    }
                }
            });
            let bdoc = format!(
                " Builder for `{name}` (parameter set `{}`); run it with [`{}::invoke`] or [`{}::stream`].",
                set.set_name, set.builder, set.builder
            );
            let chain = chain_impls(&b, out, set, &upstreams);
            let (def, setters_impl, ready) = if piped {
                (
                    quote! {
                        pub struct #b<S = __rt::Ready> {
                            call: __rt::Call,
                            state: ::core::marker::PhantomData<S>,
                        }
                    },
                    quote! {
                        #[allow(clippy::should_implement_trait)]
                        impl<S> #b<S> {
                            #(#setters)*
                        }
                    },
                    quote!(),
                )
            } else {
                (
                    quote! {
                        pub struct #b {
                            call: __rt::Call,
                        }
                    },
                    quote!(),
                    quote!(#(#setters)*),
                )
            };
            let common_target = if piped {
                quote!(<S> __rt::CommonParameters for #b<S>)
            } else {
                quote!(__rt::CommonParameters for #b)
            };
            let common = c.supports_common_parameters.then(|| {
                quote! {
                    impl #common_target {
                        fn call_mut(&mut self) -> &mut __rt::Call {
                            &mut self.call
                        }
                    }
                }
            });
            items.push(quote! {
                #[doc = #bdoc]
                #[must_use = "a command runs only when invoked"]
                #[derive(Debug, Clone)]
                #def
                #setters_impl
                #[allow(clippy::should_implement_trait)]
                impl #b {
                    #ready
                    #input
                    /// Runs the command and collects its output.
                    pub async fn invoke(self) -> ::core::result::Result<Vec<#out>, __rt::Error> {
                        self.call.invoke::<#out>().await
                    }
                    /// Runs the command, yielding output and the other streams as they arrive.
                    pub fn stream(self) -> __rt::EventStream<#out> {
                        self.call.stream::<#out>()
                    }
                    /// The call this builder made (the command with its parameters and input).
                    pub fn into_call(self) -> __rt::Call {
                        self.call
                    }
                    /// `this | next` as ONE remote pipeline (one CREATE_PIPELINE); compiles only
                    /// when `next` has a pipeline-input parameter that can bind this output.
                    pub fn pipe<D: __rt::Stage + __rt::Accepts<#out>>(self, next: D) -> __rt::Pipeline<D::Output> {
                        __rt::Pipeline::<#out>::start(self.call).pipe(next)
                    }
                }
                #common
                #chain
            });
        }
    }

    // Types, sorted by .NET name for stable output.
    let mut type_items = Vec::new();
    for (dotnet, id) in &ctx.type_idents {
        if ctx.enums.contains(dotnet) {
            let (values, flags) = ctx
                .catalog
                .types
                .get(dotnet)
                .map(|t| (t.enum_values.clone().unwrap_or_default(), t.flags))
                .unwrap_or_default();
            type_items.push(emit_enum(id, Some(dotnet), &values, flags));
        } else if ctx.classes.contains(dotnet) {
            type_items.push(emit_struct(ctx, dotnet, id));
        }
    }
    for (id, values) in ctx.validate_sets.values() {
        type_items.push(emit_enum(id, None, values, false));
    }

    let head = quote! {
        #[allow(unused_imports)]
        use #rt::implicit as __rt;
        #[allow(unused_imports)]
        pub use #rt::implicit::CommonParameters;

        /// The remote commands, run implicitly on a session (live, or connection settings
        /// that connect on first use).
        #[derive(Debug, Clone)]
        pub struct Remote {
            session: __rt::ImplicitSession,
        }

        #[allow(clippy::too_many_arguments)]
        impl Remote {
            /// Wraps a session (or lazy connection settings).
            pub fn new(session: impl Into<__rt::ImplicitSession>) -> Remote {
                Remote { session: session.into() }
            }
            /// The session the commands run on.
            pub fn session(&self) -> &__rt::ImplicitSession {
                &self.session
            }
            #(#methods)*
            #(#alias_items)*
        }

    };
    let piped_handle = (!piped_methods.is_empty()).then(|| {
        quote! {
            impl Remote {
                /// Constructors of downstream pipeline commands: the ones whose mandatory
                /// parameters take pipeline input, without those arguments.
                pub fn piped(&self) -> RemotePiped<'_> {
                    RemotePiped { remote: self }
                }
            }
            /// See [`Remote::piped`].
            #[derive(Debug, Clone, Copy)]
            pub struct RemotePiped<'a> {
                remote: &'a Remote,
            }
            #[allow(clippy::too_many_arguments)]
            impl RemotePiped<'_> {
                #(#piped_methods)*
            }
        }
    });
    let mut all = Vec::with_capacity(1 + items.len() + type_items.len());
    all.push(head);
    all.extend(piped_handle);
    all.extend(items);
    all.extend(type_items);
    all
}

/// An output type a pipeline can start from: its Rust type, and the lowercased names of its
/// properties when it is a class the catalog describes.
struct Upstream {
    ty: TokenStream,
    properties: Option<BTreeSet<String>>,
}

/// The distinct single output types of the catalog's commands (output enums and dynamic
/// outputs only chain into commands that take any object).
fn upstream_outputs(ctx: &Ctx<'_>, plans: &[CommandPlan<'_>]) -> BTreeMap<String, Upstream> {
    let mut out = BTreeMap::new();
    for plan in plans {
        if plan.output_enum.is_some() {
            continue;
        }
        let key = plan.output.to_string();
        if key == "__rt :: Value" || key == "__rt :: Object" || out.contains_key(&key) {
            continue;
        }
        let properties = ctx
            .type_idents
            .iter()
            .find(|(dotnet, id)| **id == key && ctx.classes.contains(*dotnet))
            .and_then(|(dotnet, _)| ctx.catalog.types.get(dotnet))
            .and_then(|t| t.properties.as_ref())
            .map(|ps| ps.iter().map(|p| p.name.to_lowercase()).collect());
        out.insert(
            key,
            Upstream {
                ty: plan.output.clone(),
                properties,
            },
        );
    }
    out
}

/// `Stage` and `Accepts` for one builder. The rule (conservative, as the server binds in
/// ParameterBinderController order): an upstream type fits when some pipeline parameter can
/// bind it — by value when it is that parameter's element type or the parameter takes any
/// object, by property name when the type has a property of that name or alias — and every
/// mandatory pipeline parameter the chain leaves out can.
fn chain_impls(
    b: &proc_macro2::Ident,
    out: &TokenStream,
    set: &SetPlan,
    upstreams: &BTreeMap<String, Upstream>,
) -> TokenStream {
    if set.pipe_params.is_empty() {
        return quote!();
    }
    let target = if set.piped_args.is_some() {
        quote!(#b<__rt::Piped>)
    } else {
        quote!(#b)
    };
    let stage = quote! {
        impl __rt::Stage for #target {
            type Output = #out;
            fn into_stage_call(self) -> __rt::Call {
                self.call
            }
        }
    };
    if set
        .pipe_params
        .iter()
        .any(|p| p.by_value && p.elem.is_none())
    {
        return quote! {
            #stage
            impl<T> __rt::Accepts<T> for #target {}
        };
    }
    let binds = |p: &PipeParam, key: &str, u: &Upstream| {
        (p.by_value && p.elem.as_deref() == Some(key))
            || (p.by_name
                && u.properties
                    .as_ref()
                    .is_some_and(|ps| p.names.iter().any(|n| ps.contains(&n.to_lowercase()))))
    };
    let accepted = upstreams.iter().filter(|(key, u)| {
        set.pipe_params.iter().any(|p| binds(p, key, u))
            && set
                .pipe_params
                .iter()
                .filter(|p| p.mandatory)
                .all(|p| binds(p, key, u))
    });
    let impls = accepted.map(|(_, u)| {
        let t = &u.ty;
        quote!(impl __rt::Accepts<#t> for #target {})
    });
    quote! {
        #stage
        #(#impls)*
    }
}
