//! Arbitrary bytes as a WS-Man response body: every parser the client runs on a reply
//! (Create, Command, Receive, Connect, Identify, Enumerate/Pull, Get, and s:Fault with its
//! fix hint) must return a value or a typed error, never panic or loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psremote_wsman::Error;
use psremote_wsman::response::{
    Envelope, parse_command, parse_connect, parse_create, parse_enumeration, parse_get,
    parse_identify, parse_receive,
};

fuzz_target!(|data: &[u8]| {
    // The transport decodes the body as UTF-8 (lossy would hide nothing the parser sees).
    let Ok(doc) = std::str::from_utf8(data) else {
        return;
    };
    let env = match Envelope::parse(doc) {
        Ok(env) => env,
        Err(e) => {
            // Faults carry the fields the error line prints; formatting must not panic.
            let line = e.to_string();
            if let Error::Fault(f) = &e {
                assert!(!line.is_empty());
                let _ = (psremote_wsman::fault::hint_for(f), format!("{f:?}"));
            }
            return;
        }
    };
    let _ = env.action();
    let _ = parse_create(&env).map(|s| format!("{s:?}"));
    let _ = parse_command(&env);
    if let Ok(r) = parse_receive(&env) {
        // Stream payloads are base64-decoded by the parser: bounded by the input.
        let total: usize = r.streams.iter().map(|s| s.data.len()).sum();
        assert!(total <= data.len());
        let _ = (r.is_empty(), r.is_done());
    }
    if let Ok(b) = parse_connect(&env) {
        assert!(b.len() <= data.len());
    }
    let _ = parse_identify(&env);
    if let Ok((_, items)) = parse_enumeration(&env) {
        for el in &items {
            let _ = env.raw(el);
        }
    }
    if let Ok((_, el)) = parse_get(&env) {
        let _ = env.raw(&el);
    }
});
