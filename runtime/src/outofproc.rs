//! The out-of-process framing PowerShell uses over SSH, a child process's stdio and named
//! pipes (PowerShell `OutOfProcessUtils`; psrpcore's transport notes). Sans-IO: encode packets
//! to bytes, feed bytes in and take decoded packets out.
//!
//! One element per line, UTF-8, `\n` terminated:
//! `<Data Stream='Default|PromptResponse' PSGuid='…'>base64 fragments</Data>`,
//! `<DataAck PSGuid='…' />`, `<Command PSGuid='…' />`, `<CommandAck …/>`, `<Signal …/>`,
//! `<SignalAck …/>`, `<Close …/>`, `<CloseAck …/>`. The all-zero GUID names the RunspacePool.

use base64::Engine as _;
use uuid::Uuid;

/// The two PSRP data streams (MS-PSRP 3.1.5.1: host responses go on PromptResponse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataStream {
    Default,
    PromptResponse,
}

impl DataStream {
    fn as_str(self) -> &'static str {
        match self {
            DataStream::Default => "Default",
            DataStream::PromptResponse => "PromptResponse",
        }
    }
}

/// One framing element. `guid` is `Uuid::nil()` for the RunspacePool, else the pipeline id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Data {
        stream: DataStream,
        guid: Uuid,
        data: Vec<u8>,
    },
    DataAck {
        guid: Uuid,
    },
    Command {
        guid: Uuid,
    },
    CommandAck {
        guid: Uuid,
    },
    Signal {
        guid: Uuid,
    },
    SignalAck {
        guid: Uuid,
    },
    Close {
        guid: Uuid,
    },
    CloseAck {
        guid: Uuid,
    },
}

/// Why a line could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("out-of-process line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    #[error("out-of-process line {line} exceeds {limit} bytes")]
    TooLong { line: u64, limit: usize },
}

impl Packet {
    /// The GUID the packet is about (nil = the RunspacePool).
    pub fn guid(&self) -> Uuid {
        match self {
            Packet::Data { guid, .. }
            | Packet::DataAck { guid }
            | Packet::Command { guid }
            | Packet::CommandAck { guid }
            | Packet::Signal { guid }
            | Packet::SignalAck { guid }
            | Packet::Close { guid }
            | Packet::CloseAck { guid } => *guid,
        }
    }

    /// Appends the packet as one line (with its `\n`).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let guid = match self {
            Packet::Data { stream, guid, data } => {
                out.extend_from_slice(b"<Data Stream='");
                out.extend_from_slice(stream.as_str().as_bytes());
                out.extend_from_slice(b"' PSGuid='");
                push_guid(out, *guid);
                out.extend_from_slice(b"'>");
                let start = out.len();
                let b64 = base64::engine::general_purpose::STANDARD;
                out.resize(
                    start + base64::encoded_len(data.len(), true).unwrap_or(0),
                    0,
                );
                let written = b64.encode_slice(data, &mut out[start..]).unwrap_or(0);
                out.truncate(start + written);
                out.extend_from_slice(b"</Data>\n");
                return;
            }
            Packet::DataAck { guid } => {
                out.extend_from_slice(b"<DataAck");
                guid
            }
            Packet::Command { guid } => {
                out.extend_from_slice(b"<Command");
                guid
            }
            Packet::CommandAck { guid } => {
                out.extend_from_slice(b"<CommandAck");
                guid
            }
            Packet::Signal { guid } => {
                out.extend_from_slice(b"<Signal");
                guid
            }
            Packet::SignalAck { guid } => {
                out.extend_from_slice(b"<SignalAck");
                guid
            }
            Packet::Close { guid } => {
                out.extend_from_slice(b"<Close");
                guid
            }
            Packet::CloseAck { guid } => {
                out.extend_from_slice(b"<CloseAck");
                guid
            }
        };
        out.extend_from_slice(b" PSGuid='");
        push_guid(out, *guid);
        out.extend_from_slice(b"' />\n");
    }

    /// The packet as one line of bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode_into(&mut v);
        v
    }
}

fn push_guid(out: &mut Vec<u8>, guid: Uuid) {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    out.extend_from_slice(guid.hyphenated().encode_lower(&mut buf).as_bytes());
}

/// Default longest accepted line: a Data element carries at most one envelope of fragments;
/// 64 MiB is far above any sane server and stops a peer that never sends `\n`.
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// Splits a byte stream into lines and decodes each into a [`Packet`].
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already scanned for `\n` (so feeding is linear, not quadratic).
    scanned: usize,
    line: u64,
    max_line: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_LINE)
    }
}

impl Decoder {
    pub fn new(max_line: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            scanned: 0,
            line: 0,
            max_line,
        }
    }

    /// Appends bytes read from the peer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete packet, `None` when more bytes are needed. Blank lines are skipped.
    pub fn next_packet(&mut self) -> Option<Result<Packet, FramingError>> {
        loop {
            let nl = match memchr(b'\n', &self.buf[self.scanned..]) {
                Some(i) => self.scanned + i,
                None => {
                    self.scanned = self.buf.len();
                    if self.buf.len() > self.max_line {
                        self.buf.clear();
                        self.scanned = 0;
                        self.line += 1;
                        return Some(Err(FramingError::TooLong {
                            line: self.line,
                            limit: self.max_line,
                        }));
                    }
                    return None;
                }
            };
            self.line += 1;
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            self.scanned = 0;
            let text = trim_ascii(&line[..line.len() - 1]);
            if text.is_empty() {
                continue;
            }
            if text.len() > self.max_line {
                return Some(Err(FramingError::TooLong {
                    line: self.line,
                    limit: self.max_line,
                }));
            }
            return Some(parse_line(text).map_err(|reason| FramingError::Malformed {
                line: self.line,
                reason,
            }));
        }
    }

    /// Bytes held that do not yet form a whole line.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() || *first == 0xEF {
            // 0xEF: a UTF-8 BOM some hosts write before the first line.
            if *first == 0xEF {
                if s.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    s = &s[3..];
                    continue;
                }
                break;
            }
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Parses `<Name attr='v' …/>` or `<Name attr='v'>text</Name>`.
fn parse_line(line: &[u8]) -> Result<Packet, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_string())?;
    let rest = text
        .strip_prefix('<')
        .ok_or_else(|| "does not start with '<'".to_string())?;
    let name_end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .ok_or_else(|| "unterminated element".to_string())?;
    let name = &rest[..name_end];
    let mut rest = &rest[name_end..];
    let mut stream = None;
    let mut guid = None;
    // Attributes.
    let body;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/>") {
            if !r.trim().is_empty() {
                return Err("trailing text after element".into());
            }
            body = None;
            break;
        }
        if let Some(r) = rest.strip_prefix('>') {
            let close = format!("</{name}>");
            let inner = r
                .strip_suffix(close.as_str())
                .ok_or_else(|| format!("missing {close}"))?;
            body = Some(inner);
            break;
        }
        let eq = rest
            .find('=')
            .ok_or_else(|| "attribute without '='".to_string())?;
        let attr = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let quote = after
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')
            .ok_or_else(|| format!("attribute {attr} is not quoted"))?;
        let value_end = after[1..]
            .find(quote)
            .ok_or_else(|| format!("attribute {attr} is not closed"))?;
        let value = &after[1..1 + value_end];
        rest = &after[value_end + 2..];
        match attr {
            "Stream" => stream = Some(value),
            "PSGuid" => {
                guid =
                    Some(Uuid::parse_str(value).map_err(|e| format!("bad PSGuid {value:?}: {e}"))?)
            }
            // Unknown attributes are ignored, as PowerShell's reader does.
            _ => {}
        }
    }
    let guid = guid.ok_or_else(|| format!("{name} without PSGuid"))?;
    let empty = |p: Packet| -> Result<Packet, String> {
        match body {
            Some(b) if !b.trim().is_empty() => Err(format!("{name} must be empty")),
            _ => Ok(p),
        }
    };
    match name {
        "Data" => {
            let stream = match stream {
                Some("Default") | None => DataStream::Default,
                Some("PromptResponse") => DataStream::PromptResponse,
                Some(other) => return Err(format!("unknown Stream {other:?}")),
            };
            let b64 = body.unwrap_or("").trim();
            let data = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("bad base64 in Data: {e}"))?;
            Ok(Packet::Data { stream, guid, data })
        }
        "DataAck" => empty(Packet::DataAck { guid }),
        "Command" => empty(Packet::Command { guid }),
        "CommandAck" => empty(Packet::CommandAck { guid }),
        "Signal" => empty(Packet::Signal { guid }),
        "SignalAck" => empty(Packet::SignalAck { guid }),
        "Close" => empty(Packet::Close { guid }),
        "CloseAck" => empty(Packet::CloseAck { guid }),
        other => Err(format!("unknown element <{other}>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_packets() -> Vec<Packet> {
        let g = Uuid::from_u128(0x1234_5678_9abc_def0_1122_3344_5566_7788);
        vec![
            Packet::Data {
                stream: DataStream::Default,
                guid: Uuid::nil(),
                data: vec![0, 1, 2, 255],
            },
            Packet::Data {
                stream: DataStream::PromptResponse,
                guid: g,
                data: vec![],
            },
            Packet::DataAck { guid: g },
            Packet::Command { guid: g },
            Packet::CommandAck { guid: g },
            Packet::Signal { guid: g },
            Packet::SignalAck { guid: g },
            Packet::Close { guid: Uuid::nil() },
            Packet::CloseAck { guid: Uuid::nil() },
        ]
    }

    #[test]
    fn round_trip_every_packet() {
        let mut dec = Decoder::default();
        let mut wire = Vec::new();
        for p in all_packets() {
            p.encode_into(&mut wire);
        }
        // Feed one byte at a time: packets must come out whole and in order.
        let mut got = Vec::new();
        for b in &wire {
            dec.feed(std::slice::from_ref(b));
            while let Some(p) = dec.next_packet() {
                got.push(p.expect("decodes"));
            }
        }
        assert_eq!(got, all_packets());
        assert_eq!(dec.buffered(), 0);
    }

    #[test]
    fn encodes_like_powershell() {
        let p = Packet::Data {
            stream: DataStream::Default,
            guid: Uuid::nil(),
            data: b"abc".to_vec(),
        };
        assert_eq!(
            p.encode(),
            b"<Data Stream='Default' PSGuid='00000000-0000-0000-0000-000000000000'>YWJj</Data>\n"
        );
        assert_eq!(
            Packet::CloseAck { guid: Uuid::nil() }.encode(),
            b"<CloseAck PSGuid='00000000-0000-0000-0000-000000000000' />\n"
        );
    }

    #[test]
    fn accepts_double_quotes_crlf_and_bom() {
        let mut dec = Decoder::default();
        dec.feed(b"\xEF\xBB\xBF<DataAck PSGuid=\"00000000-0000-0000-0000-000000000000\"/>\r\n\n");
        assert_eq!(
            dec.next_packet().expect("a packet").expect("decodes"),
            Packet::DataAck { guid: Uuid::nil() }
        );
        assert!(dec.next_packet().is_none());
    }

    #[test]
    fn bad_lines_are_typed_errors_and_decoding_continues() {
        let mut dec = Decoder::default();
        dec.feed(b"garbage\n<Data PSGuid='nope'>AA==</Data>\n<Data PSGuid='00000000-0000-0000-0000-000000000000'>!!</Data>\n<Frob PSGuid='00000000-0000-0000-0000-000000000000'/>\n<Close PSGuid='00000000-0000-0000-0000-000000000000'/>\n");
        for line in 1..=4 {
            match dec.next_packet() {
                Some(Err(FramingError::Malformed { line: l, .. })) => assert_eq!(l, line),
                other => panic!("line {line}: {other:?}"),
            }
        }
        assert_eq!(
            dec.next_packet().expect("a packet").expect("decodes"),
            Packet::Close { guid: Uuid::nil() }
        );
    }

    #[test]
    fn overlong_line_is_refused() {
        let mut dec = Decoder::new(16);
        dec.feed(&[b'x'; 40]);
        assert!(matches!(
            dec.next_packet(),
            Some(Err(FramingError::TooLong { limit: 16, .. }))
        ));
    }
}
