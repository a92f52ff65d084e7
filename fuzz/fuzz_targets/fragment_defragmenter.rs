//! Arbitrary bytes into the PSRP defragmenter (MS-PSRP 2.2.4), split into transport chunks
//! as the first input bytes say: it must return messages or a typed error, never panic or
//! hold more than its limits allow. Every message it completes must re-fragment and
//! reassemble to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psremote_psrp::{DefragmentLimits, Defragmenter, Fragmenter};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let limits = DefragmentLimits {
        max_message_size: 4096,
        max_objects_in_flight: 4,
    };
    let mut d = Defragmenter::new(limits);
    let mut out = Vec::new();
    // Chunk boundaries every `split` bytes (0: one chunk).
    let step = if split == 0 {
        rest.len().max(1)
    } else {
        usize::from(split)
    };
    for chunk in rest.chunks(step) {
        if d.push_bytes(chunk, &mut out).is_err() {
            break;
        }
        assert!(d.in_flight() <= limits.max_objects_in_flight);
    }
    for m in &out {
        assert!(m.len() <= limits.max_message_size);
        let mut fr = Fragmenter::new(usize::from(split).max(22));
        fr.queue(m.clone());
        let mut again = Defragmenter::new(limits);
        let mut back = Vec::new();
        while let Some(p) = fr.next_payload() {
            again
                .push_bytes(&p, &mut back)
                .expect("own fragments reassemble");
        }
        assert_eq!(back.as_slice(), std::slice::from_ref(m));
    }
});
