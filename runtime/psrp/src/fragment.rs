//! Fragments (MS-PSRP 2.2.4): messages are split into fragments that fit a transport's
//! payload limit, and reassembled on the other side.
//!
//! Wire layout of one fragment: ObjectId u64 BE, FragmentId u64 BE, flags u8 (Start 0x1,
//! End 0x2), BlobLength u32 BE, then the blob.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use uuid::Uuid;

use crate::error::FragmentError;
use crate::event::StreamKind;

/// Size of a fragment header.
pub const FRAGMENT_HEADER_LEN: usize = 21;
/// The first fragment of a message.
pub const FLAG_START: u8 = 0x1;
/// The last fragment of a message.
pub const FLAG_END: u8 = 0x2;

/// Bytes of a WS-Man Send/Command envelope that are not the base64 payload, as pypsrp
/// measures its own empty Send (about 1.6 KiB); a little slack for longer selectors/ids.
pub const DEFAULT_ENVELOPE_OVERHEAD: usize = 1700;

/// The largest fragment payload (decoded bytes) that fits in one WS-Man envelope of
/// `max_envelope_size` bytes when the envelope's other content takes `envelope_overhead` bytes:
/// the rest is base64, which carries 3 bytes per 4 characters.
pub fn max_payload_for_envelope(max_envelope_size: usize, envelope_overhead: usize) -> usize {
    let base64_room = max_envelope_size.saturating_sub(envelope_overhead);
    base64_room.saturating_mul(3) / 4
}

/// One fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub object_id: u64,
    pub fragment_id: u64,
    pub start: bool,
    pub end: bool,
    pub blob: Vec<u8>,
}

/// A fragment borrowed from a receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentRef<'a> {
    pub object_id: u64,
    pub fragment_id: u64,
    pub start: bool,
    pub end: bool,
    pub blob: &'a [u8],
}

impl Fragment {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FRAGMENT_HEADER_LEN + self.blob.len());
        encode_fragment(
            &mut out,
            self.object_id,
            self.fragment_id,
            self.start,
            self.end,
            &self.blob,
        );
        out
    }

    /// Decodes the fragment at the start of `bytes`; returns it and the bytes it used.
    pub fn decode(bytes: &[u8]) -> Result<(Fragment, usize), FragmentError> {
        let (f, used) = FragmentRef::decode(bytes)?;
        Ok((f.to_owned(), used))
    }
}

impl<'a> FragmentRef<'a> {
    /// Decodes the fragment at the start of `bytes`; returns it and the bytes it used.
    pub fn decode(bytes: &'a [u8]) -> Result<(FragmentRef<'a>, usize), FragmentError> {
        let header = bytes
            .get(..FRAGMENT_HEADER_LEN)
            .ok_or(FragmentError::Truncated {
                needed: FRAGMENT_HEADER_LEN,
                available: bytes.len(),
            })?;
        let mut id = [0u8; 8];
        id.copy_from_slice(&header[0..8]);
        let object_id = u64::from_be_bytes(id);
        id.copy_from_slice(&header[8..16]);
        let fragment_id = u64::from_be_bytes(id);
        let flags = header[16];
        let mut len = [0u8; 4];
        len.copy_from_slice(&header[17..21]);
        let blob_len = u32::from_be_bytes(len) as usize;
        let total = FRAGMENT_HEADER_LEN.saturating_add(blob_len);
        let blob = bytes
            .get(FRAGMENT_HEADER_LEN..total)
            .ok_or(FragmentError::Truncated {
                needed: total,
                available: bytes.len(),
            })?;
        Ok((
            FragmentRef {
                object_id,
                fragment_id,
                start: flags & FLAG_START != 0,
                end: flags & FLAG_END != 0,
                blob,
            },
            total,
        ))
    }

    pub fn to_owned(&self) -> Fragment {
        Fragment {
            object_id: self.object_id,
            fragment_id: self.fragment_id,
            start: self.start,
            end: self.end,
            blob: self.blob.to_vec(),
        }
    }
}

fn encode_fragment(
    out: &mut Vec<u8>,
    object_id: u64,
    fragment_id: u64,
    start: bool,
    end: bool,
    blob: &[u8],
) {
    out.extend_from_slice(&object_id.to_be_bytes());
    out.extend_from_slice(&fragment_id.to_be_bytes());
    let flags = if start { FLAG_START } else { 0 } | if end { FLAG_END } else { 0 };
    out.push(flags);
    // A blob never exceeds the max fragment size, itself far below 4 GiB.
    out.extend_from_slice(&u32::try_from(blob.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(blob);
}

/// Where a queued message goes: the pool (`None`) or a pipeline, and which input stream.
pub type Target = (Option<Uuid>, StreamKind);

/// A message waiting to be sent, partly fragmented.
#[derive(Debug, Clone)]
struct Outgoing {
    target: Target,
    object_id: u64,
    next_fragment_id: u64,
    offset: usize,
    data: Vec<u8>,
}

/// Splits messages into fragments of at most `max_size` bytes (header included), numbering
/// objects from 1 as Windows does. Queued messages are packed into payloads: a payload holds
/// whole fragments of one or more messages for one target and never exceeds `max_size`.
#[derive(Debug, Clone)]
pub struct Fragmenter {
    next_object_id: u64,
    max_size: usize,
    queue: VecDeque<Outgoing>,
}

impl Fragmenter {
    /// `max_size`: the largest payload the transport carries, e.g.
    /// [`max_payload_for_envelope`]. Anything below header + 1 byte is raised to that.
    pub fn new(max_size: usize) -> Fragmenter {
        Fragmenter {
            next_object_id: 1,
            max_size: max_size.max(FRAGMENT_HEADER_LEN + 1),
            queue: VecDeque::new(),
        }
    }

    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Changes the limit for payloads taken from now on (e.g. the server's MaxEnvelopeSize
    /// became known).
    pub fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size.max(FRAGMENT_HEADER_LEN + 1);
    }

    fn next_object_id(&mut self) -> u64 {
        let id = self.next_object_id;
        self.next_object_id = self.next_object_id.wrapping_add(1);
        id
    }

    /// Splits one message into fragments right away.
    pub fn fragment(&mut self, message: &[u8]) -> Vec<Fragment> {
        let object_id = self.next_object_id();
        let room = self.max_size - FRAGMENT_HEADER_LEN;
        let chunks: Vec<&[u8]> = if message.is_empty() {
            vec![&[]]
        } else {
            message.chunks(room).collect()
        };
        let last = chunks.len() - 1;
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, c)| Fragment {
                object_id,
                fragment_id: i as u64,
                start: i == 0,
                end: i == last,
                blob: c.to_vec(),
            })
            .collect()
    }

    /// Queues a message for the pool's default stream.
    pub fn queue(&mut self, message: Vec<u8>) {
        self.queue_to((None, StreamKind::Default), message);
    }

    /// Queues a message for a target, with the next ObjectId.
    pub fn queue_to(&mut self, target: Target, message: Vec<u8>) {
        let object_id = self.next_object_id();
        self.queue.push_back(Outgoing {
            target,
            object_id,
            next_fragment_id: 0,
            offset: 0,
            data: message,
        });
    }

    /// Whether messages are waiting.
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Whether messages for this pipeline (or the pool, `None`) are waiting.
    pub fn has_pending_for(&self, pipeline_id: Option<Uuid>) -> bool {
        self.queue.iter().any(|m| m.target.0 == pipeline_id)
    }

    /// Drops what is queued for a pipeline (it ended, or the caller gave up on it).
    pub fn discard_for(&mut self, pipeline_id: Uuid) {
        self.queue.retain(|m| m.target.0 != Some(pipeline_id));
    }

    /// The next payload for whatever target is first in the queue.
    pub fn next_payload(&mut self) -> Option<Vec<u8>> {
        self.take(|_| true).map(|(_, data)| data)
    }

    /// The next payload and its target.
    pub fn next_payload_tagged(&mut self) -> Option<(Target, Vec<u8>)> {
        self.take(|_| true)
    }

    /// The next payload for one pipeline (or the pool, `None`), leaving other targets queued.
    pub fn next_payload_for(&mut self, pipeline_id: Option<Uuid>) -> Option<(Target, Vec<u8>)> {
        self.take(|t| t.0 == pipeline_id)
    }

    /// Packs the first message whose target matches, and the later ones for the same target,
    /// into one payload of at most `max_size` bytes, splitting a message where it is full.
    fn take(&mut self, wanted: impl Fn(&Target) -> bool) -> Option<(Target, Vec<u8>)> {
        let target = self.queue.iter().find(|m| wanted(&m.target))?.target;
        let limit = self.max_size;
        let mut out = Vec::new();
        let mut done = Vec::new();
        for (i, msg) in self.queue.iter_mut().enumerate() {
            if msg.target != target {
                continue;
            }
            let room = limit.saturating_sub(out.len());
            let left = msg.data.len() - msg.offset;
            // Start a fragment only if it can carry data (or is an empty message).
            if room < FRAGMENT_HEADER_LEN || (room == FRAGMENT_HEADER_LEN && left > 0) {
                break;
            }
            let take = left.min(room - FRAGMENT_HEADER_LEN);
            let start = msg.next_fragment_id == 0;
            let end = take == left;
            encode_fragment(
                &mut out,
                msg.object_id,
                msg.next_fragment_id,
                start,
                end,
                &msg.data[msg.offset..msg.offset + take],
            );
            msg.offset += take;
            msg.next_fragment_id += 1;
            if end {
                done.push(i);
            } else {
                break;
            }
        }
        for i in done.into_iter().rev() {
            self.queue.remove(i);
        }
        Some((target, out))
    }
}

/// Limits on what a peer may make the [`Defragmenter`] hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragmentLimits {
    /// Largest reassembled message, in bytes.
    pub max_message_size: usize,
    /// Most messages partly received at once.
    pub max_objects_in_flight: usize,
}

impl Default for DefragmentLimits {
    fn default() -> Self {
        DefragmentLimits {
            // PowerShell's own default for a deserialized object is far smaller; 64 MiB
            // leaves room for large single objects without letting a peer exhaust memory.
            max_message_size: 64 * 1024 * 1024,
            max_objects_in_flight: 64,
        }
    }
}

#[derive(Debug)]
struct Partial {
    next_fragment_id: u64,
    data: Vec<u8>,
}

/// Reassembles messages from fragments. Fragments of different objects may interleave;
/// the fragments of one object must arrive in order (MS-PSRP 2.2.4).
#[derive(Debug, Default)]
pub struct Defragmenter {
    limits: DefragmentLimits,
    partial: HashMap<u64, Partial>,
}

impl Defragmenter {
    pub fn new(limits: DefragmentLimits) -> Defragmenter {
        Defragmenter {
            limits,
            partial: HashMap::new(),
        }
    }

    pub fn limits(&self) -> DefragmentLimits {
        self.limits
    }

    /// How many messages are partly received.
    pub fn in_flight(&self) -> usize {
        self.partial.len()
    }

    /// Adds one fragment; returns the message when this fragment completes it.
    pub fn push(&mut self, f: FragmentRef<'_>) -> Result<Option<Vec<u8>>, FragmentError> {
        Ok(self.push_ref(f)?.map(Cow::into_owned))
    }

    /// Like [`Defragmenter::push`], borrowing the blob of a message that fits in one
    /// fragment (the common case) instead of copying it.
    pub fn push_ref<'a>(
        &mut self,
        f: FragmentRef<'a>,
    ) -> Result<Option<Cow<'a, [u8]>>, FragmentError> {
        let limit = self.limits.max_message_size;
        if f.start {
            if self.partial.remove(&f.object_id).is_some() {
                return Err(FragmentError::DuplicateStart {
                    object_id: f.object_id,
                });
            }
            if f.fragment_id != 0 {
                return Err(FragmentError::BadStartId {
                    object_id: f.object_id,
                    fragment_id: f.fragment_id,
                });
            }
            if f.blob.len() > limit {
                return Err(FragmentError::MessageTooLarge {
                    object_id: f.object_id,
                    size: f.blob.len(),
                    limit,
                });
            }
            if f.end {
                return Ok(Some(Cow::Borrowed(f.blob)));
            }
            if self.partial.len() >= self.limits.max_objects_in_flight {
                return Err(FragmentError::TooManyObjects {
                    limit: self.limits.max_objects_in_flight,
                });
            }
            self.partial.insert(
                f.object_id,
                Partial {
                    next_fragment_id: 1,
                    data: f.blob.to_vec(),
                },
            );
            return Ok(None);
        }
        let Some(p) = self.partial.get_mut(&f.object_id) else {
            return Err(FragmentError::MissingStart {
                object_id: f.object_id,
                fragment_id: f.fragment_id,
            });
        };
        if f.fragment_id != p.next_fragment_id {
            let expected = p.next_fragment_id;
            self.partial.remove(&f.object_id);
            return Err(FragmentError::OutOfOrder {
                object_id: f.object_id,
                expected,
                got: f.fragment_id,
            });
        }
        let size = p.data.len().saturating_add(f.blob.len());
        if size > limit {
            self.partial.remove(&f.object_id);
            return Err(FragmentError::MessageTooLarge {
                object_id: f.object_id,
                size,
                limit,
            });
        }
        p.data.extend_from_slice(f.blob);
        p.next_fragment_id += 1;
        if f.end {
            Ok(self
                .partial
                .remove(&f.object_id)
                .map(|p| Cow::Owned(p.data)))
        } else {
            Ok(None)
        }
    }

    /// Adds a chunk of whole fragments as a transport delivers them, appending completed
    /// messages to `out` in completion order. On error, messages completed before the bad
    /// fragment are already in `out`.
    pub fn push_bytes(
        &mut self,
        mut bytes: &[u8],
        out: &mut Vec<Vec<u8>>,
    ) -> Result<(), FragmentError> {
        while !bytes.is_empty() {
            let (f, used) = FragmentRef::decode(bytes)?;
            if let Some(msg) = self.push(f)? {
                out.push(msg);
            }
            bytes = &bytes[used..];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout() {
        let f = Fragment {
            object_id: 1,
            fragment_id: 2,
            start: true,
            end: false,
            blob: b"abc".to_vec(),
        };
        let b = f.encode();
        assert_eq!(&b[..8], &[0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(&b[8..16], &[0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(b[16], FLAG_START);
        assert_eq!(&b[17..21], &[0, 0, 0, 3]);
        assert_eq!(Fragment::decode(&b), Ok((f, 24)));
    }

    #[test]
    fn envelope_to_payload_matches_pypsrp() {
        // pypsrp with MaxEnvelopeSize 32768 sent 23326-byte payloads (test_psrp_small_msg_size).
        assert_eq!(max_payload_for_envelope(32768, 1666), 23326);
        assert_eq!(max_payload_for_envelope(100, 1700), 0);
    }

    #[test]
    fn packs_and_splits_to_the_limit() {
        let mut fr = Fragmenter::new(60);
        fr.queue(vec![1; 10]);
        fr.queue(vec![2; 50]);
        let mut payloads = Vec::new();
        while let Some(p) = fr.next_payload() {
            payloads.push(p);
        }
        // 31 + 29 (first part of the second message), then 21 + 39, then 21 + 3.
        let sizes: Vec<usize> = payloads.iter().map(Vec::len).collect();
        assert_eq!(sizes, [60, 60, 24]);
        let mut d = Defragmenter::default();
        let mut out = Vec::new();
        for p in &payloads {
            assert_eq!(d.push_bytes(p, &mut out), Ok(()));
        }
        assert_eq!(out, vec![vec![1; 10], vec![2; 50]]);
    }

    #[test]
    fn empty_message_is_one_fragment() {
        let mut fr = Fragmenter::new(21);
        fr.queue(Vec::new());
        let p = fr.next_payload().unwrap_or_default();
        assert_eq!(p.len(), 21);
        assert_eq!(p[16], FLAG_START | FLAG_END);
    }

    #[test]
    fn typed_errors() {
        let frag = |id, fid, start, end| Fragment {
            object_id: id,
            fragment_id: fid,
            start,
            end,
            blob: vec![0; 4],
        };
        let mut d = Defragmenter::default();
        let f = frag(5, 1, false, true).encode();
        assert_eq!(
            d.push_bytes(&f, &mut Vec::new()),
            Err(FragmentError::MissingStart {
                object_id: 5,
                fragment_id: 1
            })
        );
        let s = frag(5, 0, true, false).encode();
        assert_eq!(d.push_bytes(&s, &mut Vec::new()), Ok(()));
        assert_eq!(
            d.push_bytes(&s, &mut Vec::new()),
            Err(FragmentError::DuplicateStart { object_id: 5 })
        );
        assert_eq!(d.push_bytes(&s, &mut Vec::new()), Ok(()));
        let skip = frag(5, 2, false, true).encode();
        assert_eq!(
            d.push_bytes(&skip, &mut Vec::new()),
            Err(FragmentError::OutOfOrder {
                object_id: 5,
                expected: 1,
                got: 2
            })
        );
        assert_eq!(d.in_flight(), 0);
        assert!(matches!(
            d.push_bytes(&s[..s.len() - 1], &mut Vec::new()),
            Err(FragmentError::Truncated { .. })
        ));
    }

    #[test]
    fn limits_are_enforced() {
        let mut d = Defragmenter::new(DefragmentLimits {
            max_message_size: 6,
            max_objects_in_flight: 1,
        });
        let start = |id| {
            Fragment {
                object_id: id,
                fragment_id: 0,
                start: true,
                end: false,
                blob: vec![0; 4],
            }
            .encode()
        };
        assert_eq!(d.push_bytes(&start(1), &mut Vec::new()), Ok(()));
        assert_eq!(
            d.push_bytes(&start(2), &mut Vec::new()),
            Err(FragmentError::TooManyObjects { limit: 1 })
        );
        let more = Fragment {
            object_id: 1,
            fragment_id: 1,
            start: false,
            end: false,
            blob: vec![0; 4],
        }
        .encode();
        assert_eq!(
            d.push_bytes(&more, &mut Vec::new()),
            Err(FragmentError::MessageTooLarge {
                object_id: 1,
                size: 8,
                limit: 6
            })
        );
    }
}
