//! Conformance against real Windows traffic (`shared/fixtures/windows-wsman/*.yml`): every
//! PSRP payload is defragmented, every message decoded to its typed payload and re-encoded
//! to an equal value. Skipped, with the reason printed, when the recordings are absent.

mod common;

use std::collections::BTreeMap;

use psremote_psrp::clixml::Limits;
use psremote_psrp::{
    Defragmenter, Destination, Message, MessageData, MessageType, ProtocolVersion,
};

use common::{Blob, blobs, fixtures_dir, load, same};

struct Decoded {
    direction: Destination,
    message: Message,
    data: MessageData,
}

/// Defragments and decodes every message of one recording, in wire order.
fn decode_file(path: &std::path::Path) -> Result<Vec<Decoded>, String> {
    let mut to_server = Defragmenter::default();
    let mut to_client = Defragmenter::default();
    let mut out = Vec::new();
    for (i, ex) in load(path).iter().enumerate() {
        for (envelope, dest) in [
            (&ex.request, Destination::Server),
            (&ex.response, Destination::Client),
        ] {
            for Blob { data, element, .. } in blobs(envelope) {
                let defrag = match dest {
                    Destination::Server => &mut to_server,
                    Destination::Client => &mut to_client,
                };
                let mut messages = Vec::new();
                defrag
                    .push_bytes(&data, &mut messages)
                    .map_err(|e| format!("exchange {i} {element}: {e}"))?;
                for bytes in messages {
                    let message = Message::decode(&bytes)
                        .map_err(|e| format!("exchange {i}: header: {e}"))?;
                    if message.destination != dest {
                        return Err(format!(
                            "exchange {i}: destination {:?}",
                            message.destination
                        ));
                    }
                    let data = MessageData::decode(&message, &Limits::DEFAULT)
                        .map_err(|e| format!("exchange {i}: {e}"))?;
                    out.push(Decoded {
                        direction: dest,
                        message,
                        data,
                    });
                }
            }
        }
    }
    if to_server.in_flight() + to_client.in_flight() != 0 {
        return Err("incomplete messages left at the end".into());
    }
    Ok(out)
}

#[test]
fn every_recorded_message_decodes_and_reencodes() {
    let Some(dir) = fixtures_dir() else { return };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    assert!(
        files.len() >= 30,
        "expected the recordings in {}",
        dir.display()
    );

    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let decoded = match decode_file(path) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        // Protocol-dependent fields follow the version both sides announced.
        let mut version = ProtocolVersion::V2_3;
        for (n, d) in decoded.iter().enumerate() {
            if let MessageData::SessionCapability(c) = &d.data {
                version = version.min(ProtocolVersion::from_version(&c.protocol_version));
            }
            *counts.entry(d.message.message_type.name()).or_default() += 1;
            assert!(
                !matches!(d.data, MessageData::Unknown(_)),
                "{name}: unknown message type in a Windows recording"
            );
            assert_eq!(d.data.message_type(), d.message.message_type);
            let original =
                psremote_psrp::clixml::from_bytes(&d.message.data).map(|v| v.into_iter().next());
            let original = match original {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{name} #{n}: {e}"));
                    continue;
                }
            };
            let reencoded = d.data.to_value(version);
            let ok = match (&original, &reencoded) {
                (None, None) => Ok(()),
                (Some(a), Some(b)) => same(a, b, d.message.message_type.name()),
                _ => Err("data presence differs".to_owned()),
            };
            if let Err(e) = ok {
                failures.push(format!("{name} #{n} {:?}: {e}", d.direction));
                continue;
            }
            // Records read as the typed records of psremote_clixml::types.
            if let Err(e) = typed_record(&d.data) {
                failures.push(format!("{name} #{n}: {e}"));
            }
            // The full message re-encodes to the same header and an equal payload.
            let again = d.data.to_message(
                d.message.destination,
                d.message.rpid,
                d.message.pid,
                version,
            );
            let round = MessageData::decode(&again, &Limits::DEFAULT);
            if round.as_ref() != Ok(&d.data) {
                failures.push(format!("{name} #{n}: typed round trip differs: {round:?}"));
            }
            let header = Message::decode(&again.encode());
            if header
                .as_ref()
                .map(|m| (m.rpid, m.pid, m.message_type))
                .ok()
                != Some((d.message.rpid, d.message.pid, d.message.message_type))
            {
                failures.push(format!("{name} #{n}: header round trip differs"));
            }
        }
    }
    eprintln!("decoded messages by type: {counts:#?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every message type the recordings contain was seen.
    for t in [
        MessageType::SessionCapability,
        MessageType::InitRunspacePool,
        MessageType::PublicKey,
        MessageType::EncryptedSessionKey,
        MessageType::SetMaxRunspaces,
        MessageType::SetMinRunspaces,
        MessageType::RunspaceAvailability,
        MessageType::RunspacePoolState,
        MessageType::CreatePipeline,
        MessageType::GetAvailableRunspaces,
        MessageType::ApplicationPrivateData,
        MessageType::GetCommandMetadata,
        MessageType::PipelineInput,
        MessageType::EndOfPipelineInput,
        MessageType::PipelineOutput,
        MessageType::ErrorRecord,
        MessageType::PipelineState,
        MessageType::DebugRecord,
        MessageType::VerboseRecord,
        MessageType::WarningRecord,
        MessageType::ProgressRecord,
        MessageType::InformationRecord,
        MessageType::PipelineHostCall,
        MessageType::PipelineHostResponse,
        MessageType::ConnectRunspacePool,
        MessageType::RunspacePoolInitData,
        MessageType::ResetRunspaceState,
    ] {
        assert!(
            counts.contains_key(t.name()),
            "no {} in the recordings",
            t.name()
        );
    }
}

#[test]
fn recorded_public_key_blob_parses_and_reencodes() {
    let Some(dir) = fixtures_dir() else { return };
    let Ok(decoded) = decode_file(&dir.join("test_psrp_multiple_commands.yml")) else {
        panic!("decode failed");
    };
    let blob = decoded.iter().find_map(|d| match &d.data {
        MessageData::PublicKey(k) => Some(k.clone()),
        _ => None,
    });
    let Some(blob) = blob else {
        panic!("no PUBLIC_KEY")
    };
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&blob)
        .unwrap_or_default();
    let key = psremote_psrp::decode_public_key_blob(&raw);
    assert!(key.is_ok(), "{key:?}");
    let again = key
        .map(|k| psremote_psrp::encode_public_key_blob(&k))
        .unwrap_or_default();
    assert_eq!(again, raw);
    // The server's answer is a SIMPLEBLOB for AES-256 wrapped with RSA: 12-byte header then
    // 256 bytes of RSA-2048 ciphertext.
    let wrapped = decoded.iter().find_map(|d| match &d.data {
        MessageData::EncryptedSessionKey(k) => Some(k.clone()),
        _ => None,
    });
    let wrapped = base64::engine::general_purpose::STANDARD
        .decode(wrapped.unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(wrapped.len(), 12 + 256);
    assert_eq!(
        &wrapped[..12],
        &[1, 2, 0, 0, 0x10, 0x66, 0, 0, 0, 0xa4, 0, 0]
    );
}

/// The record-carrying messages convert to the typed records (and a Failed state's or a
/// Broken pool's error to an ErrorRecord).
fn typed_record(d: &MessageData) -> Result<(), String> {
    use psremote_psrp::clixml::FromValue;
    use psremote_psrp::clixml::types::{
        ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord,
    };
    let check = |r: Result<(), psremote_psrp::clixml::ConversionError>, what: &str| {
        r.map_err(|e| format!("{what}: {e}"))
    };
    match d {
        MessageData::ErrorRecord(v) => check(ErrorRecord::from_value(v).map(drop), "ErrorRecord"),
        MessageData::WarningRecord(v)
        | MessageData::VerboseRecord(v)
        | MessageData::DebugRecord(v) => check(
            InformationalRecord::from_value(v).map(drop),
            "InformationalRecord",
        ),
        MessageData::InformationRecord(v) => check(
            InformationRecord::from_value(v).map(drop),
            "InformationRecord",
        ),
        MessageData::ProgressRecord(v) => {
            check(ProgressRecord::from_value(v).map(drop), "ProgressRecord")
        }
        MessageData::PipelineState { error: Some(v), .. }
        | MessageData::RunspacePoolState { error: Some(v), .. } => check(
            ErrorRecord::from_value(v).map(drop),
            "ExceptionAsErrorRecord",
        ),
        _ => Ok(()),
    }
}
