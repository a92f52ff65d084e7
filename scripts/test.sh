#!/usr/bin/env bash
# The whole test suite from a fresh clone: set-up, the Rust workspace's tests (against the
# loopback endpoint), the endpoint's own pypsrp suite, then format and lint checks.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

# A fresh clone gains nothing from incremental caches, which would add ~1.6 GB to target/.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "set-up"
df -h . 2>/dev/null | tail -n 1 | awk '{print "disk free here: " $4 " of " $2}' || true
bash scripts/setup.sh

step "endpoint suite (pypsrp against tests/peer)"
bash tests/peer/run_tests.sh

step "cargo test --workspace"
# The example binaries (and the build.rs example crate) that tests/examples.rs runs, and the
# psremote CLI it runs `export` with for examples/exported-app (built there, sharing target/).
cargo build --workspace --bins --examples
cargo test --workspace --all-targets --no-fail-fast
cargo test --workspace --doc

step "format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "all passed"
