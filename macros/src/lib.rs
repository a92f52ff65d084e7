//! `#[remote_commands]`: typed implicit-remoting stubs generated from cached metadata.
