//! `psremote clixml decode|encode`: CLIXML ⇄ the JSON view of its values. Bad input is
//! reported with its line and column and exit code 1.

use std::io::{Read, Write};

use psremote_runtime::clixml;
use serde_json::value::RawValue;

use crate::args::{ClixmlArgs, ClixmlOp};
use crate::error::CliError;
use crate::render::json;

/// Reads a file, or stdin for `-`.
fn read_input(input: &str) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    if input == "-" {
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::Message(format!("cannot read standard input: {e}")))?;
    } else {
        buf = std::fs::read(input)
            .map_err(|e| CliError::Message(format!("cannot read {input}: {e}")))?;
    }
    Ok(buf)
}

fn source_name(input: &str) -> &str {
    if input == "-" { "<stdin>" } else { input }
}

/// PowerShell writes CLIXML on a redirected stream after a `#< CLIXML` marker line
/// (`powershell -OutputFormat xml`); the rest is the document.
fn strip_marker(text: &str) -> (&str, usize) {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    match t.strip_prefix("#< CLIXML") {
        Some(rest) => match rest.find('\n') {
            Some(i) => (&rest[i + 1..], 1),
            None => ("", 1),
        },
        None => (t, 0),
    }
}

pub fn run(args: &ClixmlArgs) -> Result<i32, CliError> {
    match &args.op {
        ClixmlOp::Decode { input, ndjson } => decode(input, *ndjson),
        ClixmlOp::Encode { input } => encode(input),
    }
}

fn decode(input: &str, ndjson: bool) -> Result<i32, CliError> {
    let bytes = read_input(input)?;
    let name = source_name(input);
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let (line, column) = line_col(&bytes[..e.valid_up_to()]);
        CliError::Message(format!("{name}:{line}:{column}: the input is not UTF-8"))
    })?;
    let (doc, skipped_lines) = strip_marker(text);
    let values = clixml::from_str(doc).map_err(|e| {
        CliError::Message(format!(
            "{name}:{}:{}: {}",
            e.line() + skipped_lines,
            e.column(),
            strip_position(&e.to_string())
        ))
    })?;
    let out = std::io::stdout();
    let mut out = out.lock();
    let r = if ndjson {
        values.iter().try_for_each(|v| {
            let j = json::to_json(v);
            writeln!(out, "{j}")
        })
    } else {
        let arr = serde_json::Value::Array(values.iter().map(json::to_json).collect());
        serde_json::to_writer_pretty(&mut out, &arr)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    };
    match r {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(CliError::Message(format!("cannot write the output: {e}"))),
    }
}

/// The reader's message without its own `line L, column C: ` (we print `FILE:L:C:`).
fn strip_position(msg: &str) -> &str {
    match msg.split_once(": ") {
        Some((pos, rest)) if pos.starts_with("line ") && pos.contains("column") => rest,
        _ => msg,
    }
}

/// 1-based line and column (in characters) of the end of `prefix`.
fn line_col(prefix: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(prefix);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn encode(input: &str) -> Result<i32, CliError> {
    let bytes = read_input(input)?;
    let name = source_name(input);
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let (line, column) = line_col(&bytes[..e.valid_up_to()]);
        CliError::Message(format!("{name}:{line}:{column}: the input is not UTF-8"))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Each top-level JSON value, with where it starts (for error positions): one array of
    // values (what `decode` prints), or a stream of values (NDJSON).
    let mut items: Vec<&RawValue> = Vec::new();
    let syntax = |e: serde_json::Error| {
        CliError::Message(format!(
            "{name}:{}:{}: invalid JSON: {}",
            e.line(),
            e.column(),
            strip_serde_position(&e.to_string())
        ))
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let whole: Vec<&RawValue> = serde_json::from_str(text).map_err(syntax)?;
        items.extend(whole);
    } else {
        for v in serde_json::Deserializer::from_str(text).into_iter::<&RawValue>() {
            items.push(v.map_err(syntax)?);
        }
    }
    let mut values = Vec::with_capacity(items.len());
    for raw in items {
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, column) = line_col(text.as_bytes().get(..start).unwrap_or_default());
        let j: serde_json::Value = serde_json::from_str(raw.get()).map_err(syntax)?;
        let v = json::from_json(&j).map_err(|e| {
            CliError::Message(format!("{name}:{line}:{column}: not a CLIXML value: {e}"))
        })?;
        values.push(v);
    }
    let doc = clixml::to_objs_document(&values);
    let out = std::io::stdout();
    let mut out = out.lock();
    match out.write_all(doc.as_bytes()).and_then(|_| writeln!(out)) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(CliError::Message(format!("cannot write the output: {e}"))),
    }
}

/// serde_json's message without its trailing ` at line L column C`.
fn strip_serde_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(line_col(b""), (1, 1));
        assert_eq!(line_col(b"ab\ncd"), (2, 3));
        assert_eq!(strip_marker("#< CLIXML\r\n<Objs/>"), ("<Objs/>", 1));
        assert_eq!(strip_marker("<Objs/>"), ("<Objs/>", 0));
        assert_eq!(
            strip_position("line 3, column 4: malformed XML: x"),
            "malformed XML: x"
        );
        assert_eq!(
            strip_serde_position("expected value at line 1 column 2"),
            "expected value"
        );
    }
}
