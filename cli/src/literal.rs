//! PowerShell-ish literals for `-p Name=Value` and `--args`: what a user would type after a
//! parameter name in PowerShell (about_Numeric_Literals, about_Quoting_Rules, about_Arrays),
//! without variables, expressions or interpolation.

use psremote_clixml::{Value, array};

/// Parses one argument value. Never fails: anything that is not a number, a `$true`-like
/// constant, a quoted string or a comma list is a bare string, as in PowerShell's argument mode.
pub fn parse(text: &str) -> Value {
    let items = split_commas(text);
    if items.len() > 1 {
        return array(items.iter().map(|s| parse_scalar(s.trim())).collect());
    }
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("@(").and_then(|r| r.strip_suffix(')')) {
        let inner = inner.trim();
        if inner.is_empty() {
            return array(Vec::new());
        }
        return array(
            split_commas(inner)
                .iter()
                .map(|s| parse_scalar(s.trim()))
                .collect(),
        );
    }
    parse_scalar(t)
}

/// Splits on commas outside quotes (`'a,b',c` is two items).
fn split_commas(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == '`' && q == '"' {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                } else if c == q {
                    // '' inside '…' is an escaped quote, not the end.
                    if chars.peek() == Some(&q) {
                        if let Some(n) = chars.next() {
                            cur.push(n);
                        }
                    } else {
                        quote = None;
                    }
                }
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    cur.push(c);
                }
                ',' => out.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            },
        }
    }
    out.push(cur);
    out
}

fn parse_scalar(t: &str) -> Value {
    match t.to_ascii_lowercase().as_str() {
        "$true" => return Value::Bool(true),
        "$false" => return Value::Bool(false),
        "$null" => return Value::Null,
        _ => {}
    }
    if let Some(s) = unquote(t) {
        return Value::String(s);
    }
    if let Some(n) = parse_number(t) {
        return n;
    }
    Value::String(t.to_string())
}

/// `'…'` (with `''` for a quote) or `"…"` (with backtick escapes, no interpolation).
fn unquote(t: &str) -> Option<String> {
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        return Some(t[1..t.len() - 1].replace("''", "'"));
    }
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        let inner = &t[1..t.len() - 1];
        let mut s = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '`' {
                match chars.next() {
                    Some('n') => s.push('\n'),
                    Some('r') => s.push('\r'),
                    Some('t') => s.push('\t'),
                    Some('0') => s.push('\0'),
                    Some(o) => s.push(o),
                    None => s.push('`'),
                }
            } else {
                s.push(c);
            }
        }
        return Some(s);
    }
    None
}

/// Integers (Int32 when they fit, else Int64; `0x` hex), decimals and exponents (Double), and
/// the multiplier suffixes kb/mb/gb/tb/pb (about_Numeric_Literals).
fn parse_number(t: &str) -> Option<Value> {
    let lower = t.to_ascii_lowercase();
    let (body, mult) = [
        ("kb", 1i64 << 10),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("tb", 1 << 40),
        ("pb", 1 << 50),
    ]
    .iter()
    .find_map(|(suf, m)| lower.strip_suffix(suf).map(|b| (b.to_string(), *m)))
    .unwrap_or((lower.clone(), 1));
    if body.is_empty() {
        return None;
    }
    let (neg, digits) = match body.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, body.strip_prefix('+').unwrap_or(&body)),
    };
    if let Some(hex) = digits.strip_prefix("0x") {
        let v = i64::from_str_radix(hex, 16).ok()?;
        return Some(int_value(if neg { -v } else { v }.checked_mul(mult)?));
    }
    if !digits.chars().next()?.is_ascii_digit() && !digits.starts_with('.') {
        return None;
    }
    if digits.chars().all(|c| c.is_ascii_digit()) {
        let v: i64 = body.parse().ok()?;
        return Some(int_value(v.checked_mul(mult)?));
    }
    if digits
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+'))
    {
        let v: f64 = body.parse().ok()?;
        if mult == 1 {
            return Some(Value::Double(v));
        }
        // 1.5kb is an integer in PowerShell when the product is whole.
        let p = v * mult as f64;
        return Some(if p.fract() == 0.0 && p.abs() < i64::MAX as f64 {
            int_value(p as i64)
        } else {
            Value::Double(p)
        });
    }
    None
}

fn int_value(v: i64) -> Value {
    match i32::try_from(v) {
        Ok(i) => Value::I32(i),
        Err(_) => Value::I64(v),
    }
}

/// Splits `Name=Value` (a bare `Name` is a switch: `None`). A leading `-` on the name, as
/// typed in PowerShell, is dropped.
pub fn split_parameter(text: &str) -> (String, Option<Value>) {
    let (name, value) = match text.split_once('=') {
        Some((n, v)) => (n, Some(parse(v))),
        None => (text, None),
    };
    let name = name.trim();
    let name = name.strip_prefix('-').unwrap_or(name);
    (name.to_string(), value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_clixml::{ListKind, ObjContent};

    fn list(v: &Value) -> Vec<Value> {
        match v.as_object().map(|o| &o.content) {
            Some(ObjContent::List(ListKind::List, items)) => items.clone(),
            other => panic!("not a list: {other:?}"),
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse("42"), Value::I32(42));
        assert_eq!(parse("-7"), Value::I32(-7));
        assert_eq!(parse("3000000000"), Value::I64(3_000_000_000));
        assert_eq!(parse("1.5"), Value::Double(1.5));
        assert_eq!(parse("1e3"), Value::Double(1000.0));
        assert_eq!(parse("0x10"), Value::I32(16));
        assert_eq!(parse("10MB"), Value::I32(10 * 1024 * 1024));
        assert_eq!(parse("1.5kb"), Value::I32(1536));
        assert_eq!(parse("4gb"), Value::I64(4 << 30));
    }

    #[test]
    fn constants_and_strings() {
        assert_eq!(parse("$TRUE"), Value::Bool(true));
        assert_eq!(parse("$false"), Value::Bool(false));
        assert_eq!(parse("$null"), Value::Null);
        assert_eq!(parse("WinRM"), Value::String("WinRM".into()));
        assert_eq!(parse("'it''s'"), Value::String("it's".into()));
        assert_eq!(parse("\"a`tb\""), Value::String("a\tb".into()));
        assert_eq!(parse("'42'"), Value::String("42".into()));
        assert_eq!(parse("1.2.3"), Value::String("1.2.3".into()));
        assert_eq!(parse("C:\\temp"), Value::String("C:\\temp".into()));
        assert_eq!(parse("kb"), Value::String("kb".into()));
    }

    #[test]
    fn comma_lists() {
        let v = parse("a,2,$true");
        assert_eq!(
            list(&v),
            vec![Value::String("a".into()), Value::I32(2), Value::Bool(true)]
        );
        assert_eq!(
            v.as_object().map(|o| o.type_names()[0].clone()),
            Some("System.Object[]".to_string())
        );
        assert_eq!(
            list(&parse("'a,b',c")),
            vec![Value::String("a,b".into()), Value::String("c".into())]
        );
        assert_eq!(list(&parse("@()")), vec![]);
        assert_eq!(list(&parse("@(1)")), vec![Value::I32(1)]);
    }

    #[test]
    fn parameters() {
        assert_eq!(
            split_parameter("-Name=Win*"),
            ("Name".into(), Some(Value::String("Win*".into())))
        );
        assert_eq!(split_parameter("Force"), ("Force".into(), None));
        assert_eq!(
            split_parameter("Filter=a=b"),
            ("Filter".into(), Some(Value::String("a=b".into())))
        );
    }
}
