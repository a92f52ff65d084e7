//! Bounds on untrusted input (issue #3, deliverable 4).

/// Bounds applied while reading CLIXML. Exceeding one gives [`Error::Limit`](crate::Error).
///
/// The reader never expands a `<Ref>` (it shares the referenced object), so memory use is
/// linear in the input: at most about 10 × `max_total_bytes` for primitives plus about
/// 200 bytes × `max_refs` for objects (with the defaults, well under 1 GiB even for hostile
/// input; real PowerShell traffic uses a small fraction of that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting of `<Obj>`, containers and properties. Bounds the reader's recursion.
    pub max_depth: usize,
    /// Elements in one `<LST>`/`<IE>`/`<STK>`/`<QUE>`/`<DCT>`, or properties in one
    /// `<Props>`/`<MS>`.
    pub max_container_len: usize,
    /// Objects (every `<Obj>`, with a `RefId` or not) plus `<TN>` type-name lists in one
    /// input.
    pub max_refs: usize,
    /// Bytes of one string's wire text.
    pub max_string_len: usize,
    /// Bytes of the whole input.
    pub max_total_bytes: usize,
}

impl Limits {
    /// The defaults: generous for real PowerShell traffic (Windows caps a received object at
    /// tens of MB; its own deserializer stops at depth 50), small enough that hostile input
    /// cannot exhaust memory or the stack.
    pub const DEFAULT: Limits = Limits {
        max_depth: 64,
        max_container_len: 1 << 20,
        max_refs: 1 << 20,
        max_string_len: 32 << 20,
        max_total_bytes: 64 << 20,
    };

    /// No bound except the depth (which protects the stack): for trusted local files.
    pub const UNLIMITED_SIZE: Limits = Limits {
        max_depth: 64,
        max_container_len: usize::MAX,
        max_refs: usize::MAX,
        max_string_len: usize::MAX,
        max_total_bytes: usize::MAX,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
