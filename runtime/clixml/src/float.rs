//! `<Sg>`/`<Db>` text as .NET writes and reads it (XmlConvert): `NaN`, `INF`, `-INF`, and the
//! shortest round-trip digits in "R" layout (`1E+20`, `1E-05`, `0.0001`, `-0`).

/// Parses XmlConvert's spelling (also the long `Infinity` spelling and Rust/JSON forms).
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    parse(text)
}

pub(crate) fn parse_f32(text: &str) -> Option<f32> {
    parse(text)
}

fn parse<T: std::str::FromStr>(text: &str) -> Option<T> {
    let t = text.trim_matches([' ', '\t', '\r', '\n']);
    match t {
        "INF" | "+INF" => return "inf".parse().ok(),
        "-INF" => return "-inf".parse().ok(),
        "NaN" => return "NaN".parse().ok(),
        _ => {}
    }
    // Rust also accepts "inf"/"nan" words; XmlConvert also accepts "Infinity".
    let first = t.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'I' | b'i')) {
        return None;
    }
    t.parse().ok()
}

/// Appends a double as .NET's round-trip ("R") format writes it.
pub(crate) fn write_f64(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "INF" } else { "-INF" });
    } else {
        layout(out, &format!("{v:e}"), 15);
    }
}

/// Appends a single as .NET's round-trip format writes it.
pub(crate) fn write_f32(out: &mut String, v: f32) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "INF" } else { "-INF" });
    } else {
        layout(out, &format!("{v:e}"), 7);
    }
}

/// Lays out Rust's shortest `d.ddde±x` digits like .NET's general format: scientific when
/// the decimal point would sit beyond max(digits, precision) places or before 1E-04.
fn layout(out: &mut String, sci: &str, precision: i32) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if negative {
        out.push('-');
    }
    if digits == "0" {
        out.push('0');
        return;
    }
    let count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let dig_pos = exp + 1;
    if dig_pos > count.max(precision) || dig_pos < -3 {
        let (head, tail) = digits.split_at(1);
        out.push_str(head);
        if !tail.is_empty() {
            out.push('.');
            out.push_str(tail);
        }
        out.push('E');
        out.push(if exp < 0 { '-' } else { '+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push('0');
        }
        out.push_str(&abs.to_string());
    } else if dig_pos <= 0 {
        out.push_str("0.");
        for _ in 0..(-dig_pos) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let int_len = usize::try_from(dig_pos).unwrap_or(0);
        if int_len >= digits.len() {
            out.push_str(digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(v: f64) -> String {
        let mut s = String::new();
        write_f64(&mut s, v);
        s
    }

    #[test]
    fn writes_dotnet_round_trip_spellings() {
        assert_eq!(f64s(f64::NAN), "NaN");
        assert_eq!(f64s(f64::INFINITY), "INF");
        assert_eq!(f64s(f64::NEG_INFINITY), "-INF");
        assert_eq!(f64s(-0.0), "-0");
        assert_eq!(f64s(0.0), "0");
        assert_eq!(f64s(1e20), "1E+20");
        assert_eq!(f64s(1e15), "1E+15");
        assert_eq!(f64s(1e14), "100000000000000");
        assert_eq!(f64s(9007199254740992.0), "9007199254740992");
        assert_eq!(f64s(0.0001), "0.0001");
        assert_eq!(f64s(0.00001), "1E-05");
        assert_eq!(f64s(1.5), "1.5");
        assert_eq!(f64s(-123.456), "-123.456");
        assert_eq!(f64s(f64::MAX), "1.7976931348623157E+308");
        assert_eq!(f64s(5e-324), "5E-324");
        let mut s = String::new();
        write_f32(&mut s, 1e7);
        assert_eq!(s, "1E+07");
        s.clear();
        write_f32(&mut s, 0.1);
        assert_eq!(s, "0.1");
    }

    #[test]
    fn parses_xmlconvert_spellings() {
        assert_eq!(parse_f64("INF"), Some(f64::INFINITY));
        assert_eq!(parse_f64("-INF"), Some(f64::NEG_INFINITY));
        assert!(parse_f64("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_f64(" 1E+20 "), Some(1e20));
        assert_eq!(parse_f64("Infinity"), Some(f64::INFINITY));
        assert!(parse_f64("-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()));
        assert_eq!(parse_f64(""), None);
        assert_eq!(parse_f64("0x10"), None);
    }

    #[test]
    fn shortest_digits_round_trip() {
        for v in [0.1, 1.0 / 3.0, 123456789.125, 2.5e-300, 6.02214076e23] {
            assert_eq!(parse_f64(&f64s(v)), Some(v));
        }
    }
}
