//! Compile-fail cases: the generated API turns PowerShell binding errors into compile errors
//! (missing mandatory parameter, unknown parameter, wrong enum value, parameters of two sets,
//! wrong type, a pipeline into a command that can't take the upstream's output). `tests/ui/remote.rs` is the generated module they use; a test keeps it current.

use psremote_codegen::metadata::Catalog;
use psremote_codegen::{Options, generate_string};

fn generated() -> String {
    let c = Catalog::from_discovery(include_str!("fixtures/representative.discovery.txt").lines())
        .expect("fixture");
    let o = Options::default()
        .with_runtime_path("::psremote_runtime")
        .expect("path");
    generate_string(&c, &o)
}

#[test]
fn ui_module_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/remote.rs");
    let fresh = generated();
    if std::env::var_os("PSREMOTE_BLESS").is_some() {
        std::fs::write(path, &fresh).expect("write");
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "tests/ui/remote.rs is stale: rerun with PSREMOTE_BLESS=1"
    );
}

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/missing_mandatory.rs");
    t.compile_fail("tests/ui/unknown_parameter.rs");
    t.compile_fail("tests/ui/wrong_enum_value.rs");
    t.compile_fail("tests/ui/two_parameter_sets.rs");
    t.compile_fail("tests/ui/wrong_type.rs");
    t.compile_fail("tests/ui/pipe_without_input.rs");
}
