#!/usr/bin/env bash
# Side-by-side benchmarks: psremote vs pypsrp 0.9.1 vs psrp-rs 4.0.0 on the loopback endpoint
# (issue #9). Builds the clients in release, starts the endpoint processes, runs every scenario
# with the clients taking turns, prints a Markdown table of medians and ratios and the machine.
#
#   benches/compare/run.sh            # full run (~15 min on 2 cores)
#   benches/compare/run.sh --quick    # ~2 min pass with smaller counts
#   benches/compare/run.sh --only warm,decode [--quick] [--json raw.json]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/compare}"

if [ ! -x "$root/.venv/bin/python" ]; then
    bash "$root/tests/peer/setup.sh"
fi

echo "building the clients (release)…" >&2
cargo build -q --release --manifest-path "$here/psremote-client/Cargo.toml"
# psrp-rs >= 2.0 declares Rust 1.98; it builds on older toolchains when asked to.
cargo build -q --release --ignore-rust-version --manifest-path "$here/psrp-rs-client/Cargo.toml"
# The CLI, for the discovery + generation scenario; the run goes on without it.
# PSREMOTE_CLI=/path/to/psremote uses an existing binary instead.
if [ -z "${PSREMOTE_CLI:-}" ]; then
    cargo build -q --release --manifest-path "$root/Cargo.toml" -p psremote-cli --bin psremote \
        || echo "note: the psremote CLI did not build; the codegen scenario is reported as not yet" >&2
fi

exec "$root/.venv/bin/python" "$here/bench.py" "$@"
