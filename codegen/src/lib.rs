//! psremote codegen: the command metadata model, discovery (remote → metadata) and the
//! generator (metadata → typed Rust stubs), shared by the macro, build.rs and the CLI.
