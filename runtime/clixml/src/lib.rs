//! PowerShell CLIXML serialization (MS-PSRP 2.2.5): the value model, a reader and a writer.
//!
//! - [`Value`] and friends ([`value`]): every primitive of 2.2.5.1 and `<Obj>` (2.2.5.2) with
//!   type names, ToString, adapted/extended properties and containers. `<Ref>` decodes to a
//!   shared `Arc`, and the writer writes `<Ref>` again for pointer-equal objects.
//! - Reader: [`from_str`], [`from_bytes`] (UTF-8, BOM skipped), [`from_str_with`] /
//!   [`from_bytes_with`] with [`Limits`]. Input is a sequence of values or an `<Objs>`
//!   document; errors carry line and column; no input panics, and memory stays linear in the
//!   input.
//! - Known limitation: `<S>` text is a UTF-16 string on the wire, a Rust `String` cannot hold a
//!   lone surrogate, so an unpaired `_xD800_`…`_xDFFF_` escape decodes to U+FFFD (a paired one
//!   becomes its character). `<C>` keeps the raw code unit ([`Value::Char`]).
//! - Writer: [`to_string`] (one value, as in a PSRP message) and [`to_objs_document`]
//!   (Export-Clixml's form); output matches what Windows PowerShell writes byte for byte.
//! - [`ToValue`] / [`FromValue`] for Rust types, and the 2.2.3 record types in [`types`].
//! - Feature `json`: [`json::to_json`] / [`json::from_json`], an exact JSON view.
//!
//! ```
//! use psremote_clixml::{from_str, to_string, Value};
//! let values = from_str("<S>a_x000A_b</S><I32>5</I32>").unwrap();
//! assert_eq!(values, [Value::String("a\nb".into()), Value::I32(5)]);
//! assert_eq!(to_string(&values[0]), "<S>a_x000A_b</S>");
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod convert;
mod eq;
mod error;
pub mod escape;
mod float;
#[cfg(feature = "json")]
pub mod json;
mod lexer;
mod limits;
mod reader;
pub mod types;
pub mod value;
mod writer;

pub use convert::{
    ARRAY_TYPE_NAMES, FromValue, HASHTABLE_TYPE_NAMES, ToValue, array, get_optional, get_property,
    hashtable,
};
pub use error::{ConversionError, Error, LimitKind};
pub use limits::Limits;
pub use reader::{from_bytes, from_bytes_with, from_str, from_str_with};
pub use value::{
    DateTime, Decimal, Duration, ListKind, ObjContent, ParseVersionError, Property, PsObject,
    Value, Version,
};
pub use writer::{CLIXML_NAMESPACE, Writer, to_objs_document, to_string};
