//! Extracts the PSRP messages recorded from Windows hosts (`shared/fixtures/windows-wsman`).
//!
//! A deliberately simple extractor for tests: it finds the base64 PSRP payloads of the
//! WS-Man envelopes, splits them into fragments (MS-PSRP 2.2.4), reassembles each message per
//! direction and ObjectId, and strips the message header (2.2.1). The full fragment path is
//! the psrp crate's job.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;

/// One reassembled PSRP message.
pub struct RecordedMessage {
    pub file: String,
    pub message_type: u32,
    /// 1 = Client (written by Windows), 2 = Server (written by the recording client, pypsrp).
    pub destination: u32,
    /// The CLIXML bytes (Windows puts a UTF-8 BOM in front).
    pub data: Vec<u8>,
}

/// `$PSREMOTE_SHARED` or `<repo>/../shared`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("PSREMOTE_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The recordings folder, or `None` (with a message) when it is absent.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = shared_dir().join("fixtures/windows-wsman");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (set PSREMOTE_SHARED to the shared folder)",
            dir.display()
        );
        None
    }
}

const PAYLOAD_TAGS: [&str; 5] = [
    "rsp:Stream",
    "creationXml",
    "rsp:Arguments",
    "connectXml",
    "connectResponseXml",
];

/// Base64 payloads of the PSRP-carrying elements of one envelope, in document order.
fn payloads(envelope: &str) -> Vec<Vec<u8>> {
    let mut found: Vec<(usize, Vec<u8>)> = Vec::new();
    for tag in PAYLOAD_TAGS {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = 0;
        while let Some(at) = envelope[rest..].find(&open) {
            let start = rest + at;
            let after = start + open.len();
            // `<rsp:StreamX` is not a match; require a delimiter after the tag name.
            let next = envelope.as_bytes().get(after).copied();
            if !matches!(next, Some(b' ' | b'>' | b'\n')) {
                rest = after;
                continue;
            }
            let Some(gt) = envelope[after..].find('>') else {
                break;
            };
            let body_start = after + gt + 1;
            if envelope.as_bytes().get(body_start - 2) == Some(&b'/') {
                rest = body_start;
                continue;
            }
            let Some(end) = envelope[body_start..].find(&close) else {
                break;
            };
            let b64: String = envelope[body_start..body_start + end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
                found.push((start, bytes));
            }
            rest = body_start + end;
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, b)| b).collect()
}

fn be_u64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b.try_into().unwrap_or([0; 8]))
}

/// Every PSRP message in one recording.
pub fn messages_in(path: &std::path::Path) -> Vec<RecordedMessage> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Undo YAML plain-scalar folding well enough: payload text never contains spaces.
    let mut out = Vec::new();
    let mut partial: HashMap<(bool, u64), Vec<u8>> = HashMap::new();
    for line_start in text.split("\n- request: ") {
        let (request, response) = match line_start.split_once("\n  response: ") {
            Some((q, r)) => (q, r),
            None => (line_start, ""),
        };
        for (is_request, envelope) in [(true, request), (false, response)] {
            let envelope = envelope.replace("\n    ", " ").replace("\n  ", " ");
            for blob in payloads(&envelope) {
                let mut rest = &blob[..];
                while rest.len() >= 21 {
                    let object_id = be_u64(&rest[0..8]);
                    let flags = rest[16];
                    let len = u32::from_be_bytes([rest[17], rest[18], rest[19], rest[20]]) as usize;
                    let Some(data) = rest.get(21..21 + len) else {
                        break;
                    };
                    let buf = partial.entry((is_request, object_id)).or_default();
                    if flags & 1 != 0 {
                        buf.clear();
                    }
                    buf.extend_from_slice(data);
                    if flags & 2 != 0 {
                        let msg = partial.remove(&(is_request, object_id)).unwrap_or_default();
                        if msg.len() >= 40 {
                            out.push(RecordedMessage {
                                file: file.clone(),
                                destination: u32::from_le_bytes([msg[0], msg[1], msg[2], msg[3]]),
                                message_type: u32::from_le_bytes([msg[4], msg[5], msg[6], msg[7]]),
                                data: msg[40..].to_vec(),
                            });
                        }
                    }
                    rest = &rest[21 + len..];
                }
            }
        }
    }
    out
}

/// Every PSRP message of every recording.
pub fn all_messages() -> Option<Vec<RecordedMessage>> {
    let dir = fixtures_dir()?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    Some(files.iter().flat_map(|f| messages_in(f)).collect())
}
