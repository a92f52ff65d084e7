//! How one value reads as text: the `ToString()` PowerShell's formatter would show in a table
//! cell, a list value or on a line of its own (en-US culture, as the formatter uses the
//! current culture and most captures are en-US).

use psremote_clixml::{ObjContent, PsObject, Value};

/// PowerShell's `$FormatEnumerationLimit` default: how many items of a collection a cell shows.
pub const ENUMERATION_LIMIT: usize = 4;

/// The value as one table cell or list entry.
pub fn cell(v: &Value) -> String {
    cell_depth(v, 0)
}

fn cell_depth(v: &Value, depth: usize) -> String {
    match v {
        Value::Object(o) => object_cell(o, depth),
        Value::DateTime(d) => format_datetime_short(&d.0).unwrap_or_else(|| d.0.clone()),
        Value::Bytes(b) => enumerate(b.iter().map(|x| x.to_string()), b.len()),
        other => scalar(other),
    }
}

/// A primitive as PowerShell prints it (`True`, `42`, a string as is).
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) | Value::Uri(s) | Value::ScriptBlock(s) => s.clone(),
        Value::Char(c) => char::from_u32(u32::from(*c))
            .map(String::from)
            .unwrap_or_else(|| char::REPLACEMENT_CHARACTER.to_string()),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::DateTime(d) => format_datetime_long(&d.0).unwrap_or_else(|| d.0.clone()),
        Value::Duration(d) => format_timespan(&d.0).unwrap_or_else(|| d.0.clone()),
        Value::U8(n) => n.to_string(),
        Value::I8(n) => n.to_string(),
        Value::U16(n) => n.to_string(),
        Value::I16(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::I32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::Float(f) => format_float(f64::from(*f)),
        Value::Double(f) => format_float(*f),
        Value::Decimal(d) => d.0.clone(),
        Value::Bytes(b) => b
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Guid(g) => g.hyphenated().to_string(),
        Value::Version(ver) => {
            let mut s = format!("{}.{}", ver.major, ver.minor);
            if let Some(b) = ver.build {
                s.push_str(&format!(".{b}"));
                if let Some(r) = ver.revision {
                    s.push_str(&format!(".{r}"));
                }
            }
            s
        }
        Value::XmlDocument(_) => "#document".into(),
        Value::SecureString(_) => "System.Security.SecureString".into(),
        Value::Object(o) => object_cell(o, 0),
    }
}

/// True for the types PowerShell right-aligns in a table (numbers).
pub fn is_numeric(v: &Value) -> bool {
    match v {
        Value::U8(_)
        | Value::I8(_)
        | Value::U16(_)
        | Value::I16(_)
        | Value::U32(_)
        | Value::I32(_)
        | Value::U64(_)
        | Value::I64(_)
        | Value::Float(_)
        | Value::Double(_)
        | Value::Decimal(_) => true,
        Value::Object(o) => match &o.content {
            // An enum is shown by name, left-aligned.
            ObjContent::Value(_) if o.to_string.is_some() => false,
            ObjContent::Value(inner) => is_numeric(inner),
            _ => false,
        },
        _ => false,
    }
}

fn object_cell(o: &PsObject, depth: usize) -> String {
    match &o.content {
        ObjContent::List(_, items) => {
            return enumerate(items.iter().map(|i| cell_depth(i, depth + 1)), items.len());
        }
        ObjContent::Dict(entries) => {
            // A hashtable's ToString is its type name; the formatter enumerates its keys.
            return enumerate(
                entries.iter().map(|(k, _)| cell_depth(k, depth + 1)),
                entries.len(),
            );
        }
        ObjContent::Value(inner) if o.to_string.is_none() => return cell_depth(inner, depth),
        _ => {}
    }
    if let Some(s) = &o.to_string {
        return s.clone();
    }
    let props: Vec<_> = o.adapted.iter().chain(o.extended.iter()).collect();
    if !props.is_empty() && depth < 2 {
        // A property bag prints as PowerShell's `@{Name=Value; …}`.
        let inner: Vec<String> = props
            .iter()
            .map(|p| format!("{}={}", p.name, cell_depth(&p.value, depth + 1)))
            .collect();
        return format!("@{{{}}}", inner.join("; "));
    }
    o.type_names()
        .first()
        .map(|t| strip_deserialized(t).to_string())
        .unwrap_or_default()
}

fn enumerate(items: impl Iterator<Item = String>, len: usize) -> String {
    let shown: Vec<String> = items.take(ENUMERATION_LIMIT).collect();
    let more = if len > ENUMERATION_LIMIT { "..." } else { "" };
    format!("{{{}{more}}}", shown.join(", "))
}

/// `Deserialized.System.Foo` → `System.Foo`: views and type data are keyed by the live name.
pub fn strip_deserialized(t: &str) -> &str {
    t.strip_prefix("Deserialized.").unwrap_or(t)
}

/// .NET's shortest round-trip text for a double (`1.5`, `3`, `1E+20`, `NaN`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "∞" } else { "-∞" }.into();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-5..1e15).contains(&a) {
        // .NET switches to exponent notation: 1E+20, 1.5E-07.
        let s = format!("{f:E}");
        if let Some((m, e)) = s.split_once('E') {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            return format!("{m}E{sign}{digits:0>2}");
        }
        return s;
    }
    format!("{f}")
}

/// The parts of a CLIXML `<DT>` (ISO 8601, local clock time as sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateParts {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

pub fn parse_datetime(s: &str) -> Option<DateParts> {
    let (date, time) = s.split_once('T').unwrap_or((s, "00:00:00"));
    let mut d = date.splitn(3, '-');
    let year = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.splitn(3, ':');
    let hour: u32 = t.next()?.parse().ok()?;
    let minute: u32 = t.next()?.parse().ok()?;
    let sec_part = t.next().unwrap_or("0");
    let sec_digits: String = sec_part
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let second: u32 = sec_digits.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    Some(DateParts {
        year,
        month,
        day,
        hour,
        minute,
        second: second.min(59),
    })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// 0 = Sunday (days-from-civil, proleptic Gregorian).
fn weekday(y: i64, m: u32, d: u32) -> usize {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // 1970-01-01 was a Thursday (4).
    (days + 4).rem_euclid(7) as usize
}

fn clock(p: &DateParts) -> String {
    let (h12, ampm) = match p.hour {
        0 => (12, "AM"),
        1..=11 => (p.hour, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!("{h12}:{:02}:{:02} {ampm}", p.minute, p.second)
}

/// en-US general date/time (`G`), as in a table cell: `11/23/2026 8:23:33 PM`.
pub fn format_datetime_short(s: &str) -> Option<String> {
    let p = parse_datetime(s)?;
    Some(format!("{}/{}/{} {}", p.month, p.day, p.year, clock(&p)))
}

/// How PowerShell prints a DateTime on its own line: `Monday, November 23, 2026 8:23:33 PM`.
pub fn format_datetime_long(s: &str) -> Option<String> {
    let p = parse_datetime(s)?;
    let month = MONTHS.get(p.month as usize - 1)?;
    let day = DAYS.get(weekday(p.year, p.month, p.day))?;
    Some(format!(
        "{day}, {month} {}, {} {}",
        p.day,
        p.year,
        clock(&p)
    ))
}

/// An XML Schema duration (`P1DT2H3M4.5S`) as .NET's TimeSpan prints: `1.02:03:04.5000000`.
pub fn format_timespan(s: &str) -> Option<String> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut days: u64 = 0;
    let mut num = String::new();
    for c in date.chars() {
        match c {
            '0'..='9' => num.push(c),
            'D' => days += std::mem::take(&mut num).parse::<u64>().ok()?,
            _ => return None,
        }
    }
    let (mut hours, mut minutes, mut seconds, mut frac) = (0u64, 0u64, 0u64, String::new());
    let mut num = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' => hours = std::mem::take(&mut num).parse().ok()?,
            'M' => minutes = std::mem::take(&mut num).parse().ok()?,
            'S' => {
                let text = std::mem::take(&mut num);
                let (whole, f) = text.split_once('.').unwrap_or((&text, ""));
                seconds = whole.parse().ok()?;
                frac = f.to_string();
            }
            _ => return None,
        }
    }
    // Normalise overflowing fields (PT90M is 01:30:00).
    minutes += seconds / 60;
    seconds %= 60;
    hours += minutes / 60;
    minutes %= 60;
    days += hours / 24;
    hours %= 24;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        out.push_str(&format!(".{frac:0<7.7}"));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_clixml::{ListKind, Property};

    #[test]
    fn primitives() {
        assert_eq!(scalar(&Value::Bool(true)), "True");
        assert_eq!(scalar(&Value::Null), "");
        assert_eq!(scalar(&Value::I64(-5)), "-5");
        assert_eq!(scalar(&Value::Double(1.5)), "1.5");
        assert_eq!(scalar(&Value::Double(3.0)), "3");
        assert_eq!(scalar(&Value::Double(1e20)), "1E+20");
        assert_eq!(scalar(&Value::Char(0x41)), "A");
    }

    #[test]
    fn dates() {
        assert_eq!(
            format_datetime_long("2026-11-23T20:23:33.1234567+00:00").as_deref(),
            Some("Monday, November 23, 2026 8:23:33 PM")
        );
        assert_eq!(
            format_datetime_short("2020-01-14T00:00:00").as_deref(),
            Some("1/14/2020 12:00:00 AM")
        );
        assert_eq!(
            format_datetime_short("2000-02-29T12:05:09Z").as_deref(),
            Some("2/29/2000 12:05:09 PM")
        );
        assert_eq!(weekday(2000, 1, 1), 6);
        assert_eq!(format_datetime_long("garbage"), None);
    }

    #[test]
    fn timespans() {
        assert_eq!(
            format_timespan("PT9.0269026S").as_deref(),
            Some("00:00:09.0269026")
        );
        assert_eq!(format_timespan("P1DT2H3M4S").as_deref(), Some("1.02:03:04"));
        assert_eq!(format_timespan("PT90M").as_deref(), Some("01:30:00"));
        assert_eq!(
            format_timespan("-PT1.5S").as_deref(),
            Some("-00:00:01.5000000")
        );
        assert_eq!(format_timespan("P1Y"), None);
    }

    #[test]
    fn collections_and_objects_in_cells() {
        let mut list = PsObject::with_type_names(["System.Object[]"]);
        list.content = ObjContent::List(ListKind::List, (1..=6).map(Value::I32).collect());
        assert_eq!(cell(&Value::object(list)), "{1, 2, 3, 4...}");

        let mut bag = PsObject::with_type_names(["System.Management.Automation.PSCustomObject"]);
        bag.extended = vec![
            Property {
                name: "a".into(),
                value: Value::I32(1),
            },
            Property {
                name: "b".into(),
                value: Value::String("x".into()),
            },
        ];
        assert_eq!(cell(&Value::object(bag)), "@{a=1; b=x}");

        let mut en = PsObject::with_type_names([
            "System.ServiceProcess.ServiceControllerStatus",
            "System.Enum",
        ]);
        en.to_string = Some("Running".into());
        en.content = ObjContent::Value(Value::I32(4));
        let en = Value::object(en);
        assert_eq!(cell(&en), "Running");
        assert!(!is_numeric(&en));
        assert!(is_numeric(&Value::U64(1)));
    }
}
