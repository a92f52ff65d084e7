//! Bounds on untrusted input (issue #3, deliverable 4).

/// Bounds applied while reading CLIXML. Exceeding one gives [`Error::Limit`](crate::Error).
///
/// The reader never expands a `<Ref>` (it shares the referenced object), so memory use is
/// linear in the input size: `max_total_bytes` bounds it, the other limits bound the work and
/// the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting of `<Obj>`, containers and properties. Bounds the reader's recursion.
    pub max_depth: usize,
    /// Elements in one `<LST>`/`<IE>`/`<STK>`/`<QUE>`/`<DCT>`, or properties in one
    /// `<Props>`/`<MS>`.
    pub max_container_len: usize,
    /// Objects and type-name lists carrying a `RefId` in one input.
    pub max_refs: usize,
    /// Bytes of one string's wire text.
    pub max_string_len: usize,
    /// Bytes of the whole input.
    pub max_total_bytes: usize,
}

impl Limits {
    /// The defaults: generous for real PowerShell traffic (a PSRP message is at most a few MB;
    /// PowerShell's own deserializer stops at depth 50), small enough that hostile input
    /// cannot exhaust memory or the stack.
    pub const DEFAULT: Limits = Limits {
        max_depth: 64,
        max_container_len: 1 << 22,
        max_refs: 1 << 22,
        max_string_len: 64 << 20,
        max_total_bytes: 128 << 20,
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
