//! Property tests: fragments survive any fragment size, any interleaving of objects and any
//! grouping into transport chunks; message headers and pipelines round-trip.

use proptest::prelude::*;
use psremote_psrp::clixml::Value;
use psremote_psrp::{
    Command, Defragmenter, Destination, FRAGMENT_HEADER_LEN, Fragment, Fragmenter, Message,
    MessageType, PowerShell, ProtocolVersion, StreamKind,
};
use uuid::Uuid;

fn messages() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Messages split into fragments of any size, interleaved in any order that keeps each
    /// object's fragments in sequence, and delivered in chunks of whole fragments of any
    /// grouping, come out whole.
    #[test]
    fn fragments_round_trip_under_any_split_and_interleave(
        msgs in messages(),
        max in (FRAGMENT_HEADER_LEN + 1)..200usize,
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..4000),
        cuts in prop::collection::vec(1..6usize, 0..4000),
    ) {
        let mut fr = Fragmenter::new(max);
        let mut per_object: Vec<std::collections::VecDeque<Fragment>> =
            msgs.iter().map(|m| fr.fragment(m).into()).collect();
        for f in per_object.iter().flat_map(|q| q.iter()) {
            prop_assert!(f.blob.len() + FRAGMENT_HEADER_LEN <= max);
        }
        // Interleave: at each step take the next fragment of a chosen object that has any.
        let mut order = Vec::new();
        let mut picks = picks.into_iter();
        loop {
            let live: Vec<usize> = (0..per_object.len()).filter(|&i| !per_object[i].is_empty()).collect();
            if live.is_empty() {
                break;
            }
            let i = match picks.next() {
                Some(ix) => live[ix.index(live.len())],
                None => live[0],
            };
            if let Some(f) = per_object[i].pop_front() {
                order.push(f);
            }
        }
        // Group whole fragments into chunks of varying counts.
        let mut d = Defragmenter::default();
        let mut out = Vec::new();
        let mut cuts = cuts.into_iter();
        let mut rest = order.as_slice();
        while !rest.is_empty() {
            let n = cuts.next().unwrap_or(1).min(rest.len());
            let chunk: Vec<u8> = rest[..n].iter().flat_map(Fragment::encode).collect();
            prop_assert_eq!(d.push_bytes(&chunk, &mut out), Ok(()));
            rest = &rest[n..];
        }
        prop_assert_eq!(d.in_flight(), 0);
        let mut got = out.clone();
        let mut want = msgs.clone();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }

    /// The packing queue: payloads never exceed the limit, each holds one target's
    /// fragments, and per target the messages come out in order.
    #[test]
    fn packed_payloads_respect_the_limit_and_targets(
        msgs in prop::collection::vec((0..3u8, prop::collection::vec(any::<u8>(), 0..300)), 1..12),
        max in (FRAGMENT_HEADER_LEN + 1)..120usize,
    ) {
        let target = |t: u8| match t {
            0 => (None, StreamKind::Default),
            1 => (Some(Uuid::from_u128(1)), StreamKind::Default),
            _ => (Some(Uuid::from_u128(1)), StreamKind::PromptResponse),
        };
        let mut fr = Fragmenter::new(max);
        for (t, m) in &msgs {
            fr.queue_to(target(*t), m.clone());
        }
        let mut got: std::collections::HashMap<(Option<Uuid>, StreamKind), Vec<Vec<u8>>> =
            Default::default();
        let mut d = Defragmenter::default();
        while let Some((t, p)) = fr.next_payload_tagged() {
            prop_assert!(p.len() <= max);
            prop_assert!(!p.is_empty());
            let mut out = Vec::new();
            prop_assert_eq!(d.push_bytes(&p, &mut out), Ok(()));
            got.entry(t).or_default().extend(out);
        }
        for t in 0..3u8 {
            let want: Vec<Vec<u8>> = msgs.iter().filter(|(x, _)| *x == t).map(|(_, m)| m.clone()).collect();
            let have = got.remove(&target(t)).unwrap_or_default();
            prop_assert_eq!(have, want);
        }
    }

    /// Any bytes given to the defragmenter give messages or a typed error, never a panic.
    #[test]
    fn defragmenter_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut d = Defragmenter::default();
        let _ = d.push_bytes(&bytes, &mut Vec::new());
    }

    #[test]
    fn message_header_round_trips(
        dest in prop::bool::ANY,
        mtype in any::<u32>(),
        rpid in any::<u128>(),
        pid in any::<u128>(),
        data in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let m = Message {
            destination: if dest { Destination::Client } else { Destination::Server },
            message_type: MessageType::from_u32(mtype),
            rpid: Uuid::from_u128(rpid),
            pid: Uuid::from_u128(pid),
            data,
        };
        let bytes = m.encode();
        prop_assert_eq!(Message::decode(&bytes), Ok(m.clone()));
        prop_assert_eq!(MessageType::from_u32(mtype).as_u32(), mtype);
    }

    #[test]
    fn pipelines_round_trip(
        names in prop::collection::vec("[A-Za-z][A-Za-z-]{0,12}", 1..4),
        params in prop::collection::vec(("[A-Za-z]{1,8}", any::<i32>(), any::<bool>()), 0..4),
        extra in prop::collection::vec("[a-z ]{1,10}", 0..3),
        nested in any::<bool>(),
    ) {
        let mut cmds = names.iter().map(|n| {
            let mut c = Command::new(n.clone());
            for (p, v, switch) in &params {
                c = if *switch { c.switch(p.clone()) } else { c.param(p.clone(), *v) };
            }
            c.arg(Value::String(n.clone()))
        });
        let mut ps = PowerShell::from(cmds.next().unwrap_or_else(|| Command::new("x")));
        for c in cmds {
            ps = ps.pipe(c);
        }
        for s in &extra {
            ps = ps.statement(Command::script(s.clone()).merge_all_to_output());
        }
        ps.is_nested = nested;
        let v = ps.to_value(ProtocolVersion::V2_3);
        prop_assert_eq!(PowerShell::from_value(&v), Ok(ps.clone()));
        // Through CLIXML text and back.
        let text = psremote_psrp::clixml::to_string(&v);
        let back = psremote_psrp::clixml::from_str(&text).map(|mut v| v.remove(0));
        prop_assert_eq!(back.as_ref().map(PowerShell::from_value), Ok(Ok(ps)));
    }
}
