//! Arbitrary bytes from a PowerShell child process or SSH subsystem (the out-of-process
//! framing, MS-PSRP 3.2.5.4.x packets on stdout): fed in fuzzer-chosen chunks, the decoder
//! returns packets or typed `FramingError`s, never panics, never buffers past its line limit,
//! and every packet it accepts survives encode → decode unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psremote_runtime::outofproc::{Decoder, FramingError, Packet};

const MAX_LINE: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut dec = Decoder::new(MAX_LINE);
    let mut packets: Vec<Packet> = Vec::new();
    for piece in stream.chunks(chunk) {
        dec.feed(piece);
        while let Some(r) = dec.next_packet() {
            match r {
                Ok(p) => packets.push(p),
                Err(FramingError::Malformed { line, .. } | FramingError::TooLong { line, .. }) => {
                    assert!(line >= 1)
                }
            }
        }
        // Whatever is held is one unfinished line, never more than the limit plus a chunk.
        assert!(dec.buffered() <= MAX_LINE + chunk, "{}", dec.buffered());
    }
    for p in packets {
        let bytes = p.encode();
        let mut again = Decoder::new(usize::MAX);
        again.feed(&bytes);
        match again.next_packet() {
            Some(Ok(q)) => assert_eq!(p, q),
            other => panic!("re-encoded packet does not decode: {other:?}"),
        }
        assert!(again.next_packet().is_none());
    }
});
