//! PowerShell CLIXML serialization (MS-PSRP 2.2.5): the value model, a reader and a writer.

pub mod value;

pub use value::{
    DateTime, Decimal, Duration, ListKind, ObjContent, Property, PsObject, Value, Version,
};
