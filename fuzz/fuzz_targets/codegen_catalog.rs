//! Metadata → generated Rust: a hostile or broken catalog (a cache file edited by hand, or the
//! reply of a server that lies) must give generated code or a clear error, never a panic, and
//! whatever is generated must parse as a Rust file (`syn::parse_file`, what rustc would see
//! first). Generation runs on every input; the parse, which costs twice the generation, on a
//! sample of one input in four (chosen by a hash of the input, so a failure reproduces).
//! Two modes: raw JSON bytes through `Catalog::from_json`, and the representative
//! catalog with fuzzer-chosen leaves (names, .NET types, ValidateSet values, flags), which
//! reaches the generator far more often than raw JSON mutations do. The second mode keeps a
//! fuzzer-chosen subset of the catalog's commands (all of them one time in eight): most of the
//! generator's work is per command, and a smaller catalog runs several times faster.
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use psremote_codegen::{Catalog, Options, generate};
use serde_json::Value;

const BASE: &str = include_str!("../../codegen/tests/fixtures/representative.json");

/// Text that tends to break identifier and type mapping.
const PIECES: &[&str] = &[
    "",
    " ",
    "-",
    "_",
    "a",
    "Get",
    "Get-",
    "-Item",
    "self",
    "Self",
    "type",
    "r#type",
    "crate",
    "super",
    "async",
    "fn",
    "_",
    "0",
    "9x",
    "é",
    "\u{1F600}",
    "Ünïcode",
    "[]",
    "[",
    "]",
    "`1",
    "System.Int32",
    "System.String[]",
    "System.Collections.Generic.List`1[[System.String]]",
    "System.Management.Automation.SwitchParameter",
    "System.Nullable`1[System.Int32]",
    "System.Management.Automation.PSCredential",
    "Microsoft.PowerShell.Commands.X+Y",
    "System.Byte[][]",
    "System.Object",
    "Deserialized.X",
    "'",
    "\"",
    "\\",
    "/",
    "::",
    "#",
    "*",
    "?",
    "{",
    "}",
    "(",
    ")",
    "<",
    ">",
    ",",
    ";",
    "\n",
    "\r",
    "\t",
    "\u{0}",
    "Name",
    "name",
    "NAME",
    "InputObject",
    "Verbose",
    "ErrorAction",
    "WhatIf",
];

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=4)? {
        if u.ratio(1, 4)? {
            s.push_str(<&str as arbitrary::Arbitrary>::arbitrary(u)?);
        } else {
            s.push_str(u.choose(PIECES)?);
        }
    }
    Ok(s)
}

/// Replaces some leaves of the JSON tree; arrays may lose or duplicate elements.
fn mutate(v: &mut Value, u: &mut Unstructured<'_>) -> Result<()> {
    match v {
        Value::String(s) if u.ratio(1, 4)? => *s = text(u)?,
        Value::Bool(b) if u.ratio(1, 4)? => *b = !*b,
        Value::Number(_) if u.ratio(1, 4)? => {
            *v = match u.int_in_range(0..=3)? {
                0 => Value::from(i64::from(<i32 as arbitrary::Arbitrary>::arbitrary(u)?)),
                1 => Value::from(u64::MAX),
                2 => Value::from(-1),
                _ => Value::Null,
            }
        }
        Value::Null if u.ratio(1, 6)? => *v = Value::String(text(u)?),
        Value::Array(items) => {
            if !items.is_empty() && u.ratio(1, 8)? {
                let i = u.choose_index(items.len())?;
                items.remove(i);
            }
            if !items.is_empty() && u.ratio(1, 8)? {
                let i = u.choose_index(items.len())?;
                let dup = items[i].clone();
                items.push(dup);
            }
            for item in items.iter_mut() {
                mutate(item, u)?;
            }
        }
        Value::Object(map) => {
            for (_, item) in map.iter_mut() {
                mutate(item, u)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Keeps 1–3 fuzzer-chosen commands (repeats allowed: a catalog may name one twice), or all.
fn select_commands(tree: &mut Value, u: &mut Unstructured<'_>) -> Result<()> {
    if u.ratio(1, 8)? {
        return Ok(());
    }
    let Some(Value::Array(commands)) = tree.get_mut("commands") else {
        return Ok(());
    };
    if commands.is_empty() {
        return Ok(());
    }
    let mut kept = Vec::new();
    for _ in 0..u.int_in_range(1..=3)? {
        kept.push(commands[u.choose_index(commands.len())?].clone());
    }
    *commands = kept;
    Ok(())
}

/// Whether this input's code is parsed back (FNV-1a of the input, one in four).
fn sampled(data: &[u8]) -> bool {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % 4 == 0
}

fn check(catalog: &Catalog, u: &mut Unstructured<'_>, parse: bool) {
    let mut options = Options::default();
    if u.ratio(1, 4).unwrap_or(false) {
        options.prefix = text(u).ok();
    }
    let tokens = generate(catalog, &options);
    if !parse {
        return;
    }
    if let Err(e) = syn::parse2::<syn::File>(tokens) {
        // Generation is deterministic: print the code again only when it failed.
        panic!(
            "generated code does not parse: {e}\n{}",
            generate(catalog, &options)
        );
    }
}

/// The representative catalog, parsed once.
fn base() -> Option<&'static Value> {
    static BASE_TREE: OnceLock<Option<Value>> = OnceLock::new();
    BASE_TREE
        .get_or_init(|| serde_json::from_str(BASE).ok())
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let parse = sampled(data);
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // Raw JSON: a clear error or a catalog.
        let Ok(s) = std::str::from_utf8(rest) else {
            return;
        };
        match Catalog::from_json(s, "fuzz.json") {
            Ok(c) => check(&c, &mut Unstructured::new(&[]), parse),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        return;
    }
    let mut u = Unstructured::new(rest);
    let Some(base) = base() else {
        return;
    };
    let mut tree = base.clone();
    if select_commands(&mut tree, &mut u).is_err() || mutate(&mut tree, &mut u).is_err() {
        return;
    }
    match Catalog::from_value(tree, "fuzz.json") {
        Ok(c) => check(&c, &mut u, parse),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
