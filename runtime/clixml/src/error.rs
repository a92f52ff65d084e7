//! Errors of the reader and of value conversions.

use std::fmt;

/// Why reading CLIXML failed. Every variant names the line and column (1-based, columns in
/// characters) of the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not well-formed XML (or not UTF-8).
    #[error("line {line}, column {column}: malformed XML: {message}")]
    Xml {
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed XML that is not valid CLIXML (MS-PSRP 2.2.5): unknown element, bad number,
    /// dangling `<Ref>`, …
    #[error("line {line}, column {column}: invalid CLIXML: {message}")]
    Invalid {
        line: usize,
        column: usize,
        message: String,
    },
    /// A configured [`Limits`](crate::Limits) bound was exceeded.
    #[error("line {line}, column {column}: limit exceeded: {limit} (maximum {max})")]
    Limit {
        line: usize,
        column: usize,
        limit: LimitKind,
        max: usize,
    },
}

impl Error {
    /// 1-based line of the offending input.
    pub fn line(&self) -> usize {
        match self {
            Error::Xml { line, .. } | Error::Invalid { line, .. } | Error::Limit { line, .. } => {
                *line
            }
        }
    }

    /// 1-based column (in characters) of the offending input.
    pub fn column(&self) -> usize {
        match self {
            Error::Xml { column, .. }
            | Error::Invalid { column, .. }
            | Error::Limit { column, .. } => *column,
        }
    }
}

/// Which bound of [`Limits`](crate::Limits) was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    Depth,
    ContainerLen,
    Refs,
    StringLen,
    TotalBytes,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Depth => "nesting depth",
            LimitKind::ContainerLen => "container length",
            LimitKind::Refs => "number of RefIds",
            LimitKind::StringLen => "string length",
            LimitKind::TotalBytes => "input size",
        })
    }
}

/// Computes the 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = src.get(..offset).unwrap_or("");
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() + 1;
    let line_start = memchr::memrchr(b'\n', before.as_bytes()).map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Why a [`Value`](crate::Value) could not be converted to a Rust type
/// ([`FromValue`](crate::FromValue)).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConversionError {
    /// The value has another CLIXML type than the target expects.
    #[error("expected {expected}, found {found}")]
    Type {
        expected: &'static str,
        found: String,
    },
    /// A number does not fit the target type.
    #[error("{value} is out of range for {target}")]
    OutOfRange { value: String, target: &'static str },
    /// A required property is absent.
    #[error("missing property {0:?}")]
    MissingProperty(String),
    /// A text value could not be parsed (e.g. a malformed `<DT>`).
    #[error("invalid {what}: {text:?}")]
    Parse { what: &'static str, text: String },
    /// The conversion of a property (or element) failed.
    #[error("{path}: {source}")]
    At {
        path: String,
        #[source]
        source: Box<ConversionError>,
    },
}

impl ConversionError {
    /// Wraps this error with the property name or index where it happened.
    pub fn at(self, path: impl Into<String>) -> ConversionError {
        let path = path.into();
        match self {
            ConversionError::At {
                path: inner,
                source,
            } => ConversionError::At {
                path: format!("{path}.{inner}"),
                source,
            },
            other => ConversionError::At {
                path,
                source: Box::new(other),
            },
        }
    }
}
