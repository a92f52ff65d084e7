//! psremote codegen: the command metadata model, discovery (remote → metadata) and the
//! generator (metadata → typed Rust stubs), shared by the macro, build.rs and the CLI.
//!
//! - [`metadata`]: the serde model and the cache file (`.psremote/NAME.json`);
//! - [`docs`], [`protocol`]: other sources of metadata (cmdlet docs, GET_COMMAND_METADATA);
//! - [`filter`]: Import-PSSession's command filters and safe-name checks;
//! - [`generate()`]: metadata → `TokenStream` / formatted source;
//! - [`fidelity`]: how much of a catalog the generated API types;
//! - [`Builder`]: the build.rs front end;
//! - [`live`]: metadata from an endpoint (the `live` feature), and the opt-in build-time
//!   refresh (`PSREMOTE_LIVE_METADATA=1`).

pub mod attribute;
pub mod builder;
pub mod docs;
pub mod drift;
pub mod fidelity;
pub mod filter;
pub mod generate;
pub mod live;
pub mod metadata;
pub mod names;
pub mod protocol;
pub mod types;

pub use builder::Builder;
pub use generate::{Generated, Options, generate, generate_full, generate_string};
pub use metadata::Catalog;

/// The discovery script, run on the remote session (first line [`metadata::DISCOVERY_MARKER`]).
pub const DISCOVERY_SCRIPT: &str = include_str!("../discovery/discover.ps1");
