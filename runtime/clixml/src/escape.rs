//! String encoding of MS-PSRP 2.2.5.1.1: characters XML cannot carry, and `_` before `x`/`X`,
//! travel as `_xHHHH_` (one UTF-16 code unit, upper-case hex), as PowerShell's serializer
//! writes them; XML's own `&`, `<`, `>` (and `"` in attributes) are escaped as entities.

use std::borrow::Cow;

/// Does PowerShell's serializer write this UTF-16 code unit as `_xHHHH_`? Control characters
/// (C0 and C1, including TAB/CR/LF), surrogates (every non-BMP character) and the
/// non-characters U+FFFE/U+FFFF.
#[inline]
fn needs_code_escape(unit: u32) -> bool {
    unit <= 0x1F
        || (0x7F..=0x9F).contains(&unit)
        || (0xD800..=0xDFFF).contains(&unit)
        || unit == 0xFFFE
        || unit == 0xFFFF
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[inline]
fn push_unit_escape(out: &mut String, unit: u16) {
    let bytes = [
        b'_',
        b'x',
        HEX[usize::from(unit >> 12)],
        HEX[usize::from((unit >> 8) & 0xF)],
        HEX[usize::from((unit >> 4) & 0xF)],
        HEX[usize::from(unit & 0xF)],
        b'_',
    ];
    // All bytes are ASCII.
    out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
}

/// Does this byte start something the encoder must look at? ASCII controls, DEL, the XML
/// specials, `_`, and every non-ASCII lead byte (C1 controls, surrogates, U+FFFE/F hide there).
const fn build_attention() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20
            || i >= 0x7F
            || i == b'&' as usize
            || i == b'<' as usize
            || i == b'>' as usize
            || i == b'_' as usize
            || i == b'"' as usize;
        i += 1;
    }
    t
}
static ATTENTION: [bool; 256] = build_attention();

/// Appends ` N="name"`, the property-name attribute (MS-PSRP 2.2.5.2.8), when there is a name.
#[inline]
pub fn push_name_attr(out: &mut String, name: Option<&str>) {
    if let Some(n) = name {
        out.push_str(" N=\"");
        encode_into(out, n, true);
        out.push('"');
    }
}

/// Appends `<tag N="name">text</tag>`, the text encoded. An empty text stays `<tag></tag>`,
/// as Windows writes an empty string.
#[inline]
pub fn push_text_element(out: &mut String, tag: &str, name: Option<&str>, text: &str) {
    out.push('<');
    out.push_str(tag);
    push_name_attr(out, name);
    out.push('>');
    encode_into(out, text, false);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Appends `s` encoded for element text (`attribute == false`) or a double-quoted attribute.
pub fn encode_into(out: &mut String, s: &str, attribute: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !ATTENTION[usize::from(b)] {
            i += 1;
            continue;
        }
        match b {
            b'&' | b'<' | b'>' | b'"' => {
                if b == b'"' && !attribute {
                    i += 1;
                    continue;
                }
                out.push_str(&s[start..i]);
                out.push_str(match b {
                    b'&' => "&amp;",
                    b'<' => "&lt;",
                    b'>' => "&gt;",
                    _ => "&quot;",
                });
                i += 1;
                start = i;
            }
            b'_' => {
                if matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
                    out.push_str(&s[start..i]);
                    push_unit_escape(out, u16::from(b'_'));
                    start = i + 1;
                }
                i += 1;
            }
            _ if b < 0x80 => {
                // C0 control or DEL.
                out.push_str(&s[start..i]);
                push_unit_escape(out, u16::from(b));
                i += 1;
                start = i;
            }
            _ => {
                // Non-ASCII: decode the character at i.
                let ch = s[i..].chars().next().unwrap_or('\u{FFFD}');
                let len = ch.len_utf8();
                let cp = u32::from(ch);
                if needs_code_escape(cp) || cp > 0xFFFF {
                    out.push_str(&s[start..i]);
                    let mut units = [0u16; 2];
                    for unit in ch.encode_utf16(&mut units) {
                        push_unit_escape(out, *unit);
                    }
                    start = i + len;
                }
                i += len;
            }
        }
    }
    out.push_str(&s[start..]);
}

/// Encodes `s` for element text.
pub fn encode_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    encode_into(&mut out, s, false);
    out
}

#[inline]
fn hex_val(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(b - b'A' + 10)),
        _ => None,
    }
}

fn hex_n(bytes: &[u8]) -> Option<u32> {
    bytes
        .iter()
        .try_fold(0u32, |acc, b| Some(acc << 4 | hex_val(*b)?))
}

/// Parses an escape at the start of `bytes` (which begins with `_`): `_xHHHH_` (one UTF-16
/// unit) or XmlConvert's `_xHHHHHHHH_` (one code point). Returns (value, is_unit, length).
fn parse_escape(bytes: &[u8]) -> Option<(u32, bool, usize)> {
    if !matches!(bytes.get(1), Some(b'x' | b'X')) {
        return None;
    }
    if bytes.get(6) == Some(&b'_') {
        return Some((hex_n(bytes.get(2..6)?)?, true, 7));
    }
    if bytes.get(10) == Some(&b'_') {
        let cp = hex_n(bytes.get(2..10)?)?;
        if char::from_u32(cp).is_some() {
            return Some((cp, false, 11));
        }
    }
    None
}

/// Decodes `_xHHHH_` escapes (MS-PSRP 2.2.5.1.1). An escaped surrogate pair becomes one
/// character; a lone surrogate, which a Rust string cannot hold, becomes U+FFFD.
pub fn decode_string(s: &str) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let Some(first) = memchr::memchr(b'_', bytes) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let mut start = 0;
    let mut i = first;
    let mut high: Option<u16> = None;
    let flush_high = |out: &mut String, high: &mut Option<u16>| {
        if high.take().is_some() {
            out.push('\u{FFFD}');
        }
    };
    while i < bytes.len() {
        if bytes[i] != b'_' {
            match memchr::memchr(b'_', &bytes[i..]) {
                Some(off) => {
                    i += off;
                    continue;
                }
                None => break,
            }
        }
        match parse_escape(&bytes[i..]) {
            None => {
                i += 1;
            }
            Some((value, is_unit, len)) => {
                if start < i {
                    flush_high(&mut out, &mut high);
                    out.push_str(&s[start..i]);
                }
                if is_unit {
                    // value < 0x10000 (four hex digits).
                    let unit = value as u16;
                    match unit {
                        0xD800..=0xDBFF => {
                            flush_high(&mut out, &mut high);
                            high = Some(unit);
                        }
                        0xDC00..=0xDFFF => match high.take() {
                            Some(h) => {
                                let cp = 0x10000
                                    + ((u32::from(h) - 0xD800) << 10)
                                    + (u32::from(unit) - 0xDC00);
                                out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                            }
                            None => out.push('\u{FFFD}'),
                        },
                        _ => {
                            flush_high(&mut out, &mut high);
                            out.push(char::from_u32(value).unwrap_or('\u{FFFD}'));
                        }
                    }
                } else {
                    flush_high(&mut out, &mut high);
                    out.push(char::from_u32(value).unwrap_or('\u{FFFD}'));
                }
                i += len;
                start = i;
            }
        }
    }
    flush_high(&mut out, &mut high);
    out.push_str(&s[start..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_controls_underscore_x_and_xml_specials() {
        assert_eq!(encode_string("a\r\nb"), "a_x000D__x000A_b");
        assert_eq!(encode_string("_x0041_"), "_x005F_x0041_");
        assert_eq!(encode_string("_X"), "_x005F_X");
        assert_eq!(encode_string("a_b_"), "a_b_");
        assert_eq!(encode_string("<&>\""), "&lt;&amp;&gt;\"");
        assert_eq!(encode_string("\u{85}"), "_x0085_");
        assert_eq!(encode_string("é"), "é");
        assert_eq!(encode_string("\u{1F600}"), "_xD83D__xDE00_");
        assert_eq!(encode_string("\u{FFFF}"), "_xFFFF_");
        let mut attr = String::new();
        encode_into(&mut attr, "a\"b", true);
        assert_eq!(attr, "a&quot;b");
    }

    #[test]
    fn decodes_units_pairs_and_lone_surrogates() {
        assert_eq!(decode_string("a_x000D__x000A_b"), "a\r\nb");
        assert_eq!(decode_string("_x005F_x0041_"), "_x0041_");
        assert_eq!(decode_string("_xd83d__xde00_"), "\u{1F600}");
        assert_eq!(decode_string("_X0041_"), "A");
        assert_eq!(decode_string("_x0001F600_"), "\u{1F600}");
        assert_eq!(decode_string("_xD83D_z"), "\u{FFFD}z");
        assert_eq!(decode_string("_xDE00_"), "\u{FFFD}");
        assert_eq!(decode_string("_x00G1_ _x12_"), "_x00G1_ _x12_");
        assert!(matches!(decode_string("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn round_trips_tricky_strings() {
        for s in [
            "",
            "_",
            "__x",
            "_x_x005F_",
            "\u{0}\u{1F}\u{7F}\u{9F}\u{A0}",
            "\u{10FFFF}",
            "ab_xZZZZ_",
            "\t \n",
        ] {
            assert_eq!(decode_string(&encode_string(s)), s, "{s:?}");
        }
    }
}
