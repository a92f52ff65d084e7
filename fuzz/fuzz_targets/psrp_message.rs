//! Arbitrary bytes as one PSRP message (MS-PSRP 2.2.1) and its typed payload (2.2.2): the
//! header decoder and every payload decoder must return a value or a typed error, never
//! panic. Whatever decodes must re-encode and decode to the same typed payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psremote_psrp::clixml::Limits;
use psremote_psrp::{Message, MessageData, MessageType, ProtocolVersion};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_depth: 16,
        max_container_len: 256,
        max_refs: 256,
        max_string_len: 4096,
        max_total_bytes: 1 << 16,
    };
    // Half the inputs get a known message type so the payload decoders are reached often.
    let mut bytes = data.to_vec();
    if let (Some(&sel), true) = (data.first(), data.len() >= 40) {
        const TYPES: [u32; 8] = [
            0x0001_0002,
            0x0002_1005,
            0x0002_1006,
            0x0004_1006,
            0x0004_1100,
            0x0002_100A,
            0x0002_1004,
            0x0001_0006,
        ];
        if sel & 1 == 0 {
            let t = TYPES[usize::from(sel >> 1) % TYPES.len()];
            bytes[4..8].copy_from_slice(&t.to_le_bytes());
            bytes[0..4].copy_from_slice(&1u32.to_le_bytes());
        }
    }
    let Ok(message) = Message::decode(&bytes) else {
        return;
    };
    let Ok(typed) = MessageData::decode(&message, &limits) else {
        return;
    };
    if let MessageType::Unknown(n) = message.message_type {
        assert_eq!(typed, MessageData::Unknown(n));
        return;
    }
    assert_eq!(typed.message_type(), message.message_type);
    for version in [ProtocolVersion::V2_1, ProtocolVersion::V2_3] {
        let again = typed.to_message(message.destination, message.rpid, message.pid, version);
        let back = MessageData::decode(&again, &Limits::DEFAULT).expect("own encoding decodes");
        // NaN makes a value unequal to itself; compare only what can be compared.
        #[allow(clippy::eq_op)]
        if typed == typed && version == ProtocolVersion::V2_3 {
            assert_eq!(back, typed);
        }
    }
});
