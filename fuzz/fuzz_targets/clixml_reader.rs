//! Arbitrary bytes into the CLIXML reader: it must return Ok or a typed error, never panic,
//! overflow the stack or run away with memory. Whatever it accepts must re-encode and decode
//! to the same text, and survive the JSON view.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psremote_clixml::{Limits, from_bytes_with, from_str, json, to_string};

fuzz_target!(|data: &[u8]| {
    // Small limits so the fuzzer also exercises every limit path.
    let limits = Limits {
        max_depth: 16,
        max_container_len: 256,
        max_refs: 256,
        max_string_len: 4096,
        max_total_bytes: 1 << 16,
    };
    let Ok(values) = from_bytes_with(data, &limits) else {
        return;
    };
    for v in &values {
        // Compared as text: NaN != NaN as a value, but prints the same.
        let text = to_string(v);
        let again = from_str(&text).expect("writer output must read back");
        assert_eq!(again.len(), 1);
        assert_eq!(to_string(&again[0]), text);
        let back = json::from_json(&json::to_json(v)).expect("JSON view must read back");
        assert_eq!(to_string(&back), text);
    }
});
