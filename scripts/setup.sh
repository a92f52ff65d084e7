#!/usr/bin/env bash
# Sets up a fresh machine for psremote: the test endpoint's venv (pinned PyPI packages) and the
# Debian packages the tests use (MIT KDC, OpenSSH). Idempotent; safe to run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

command -v cargo >/dev/null || { echo "setup: cargo not found (install Rust first)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "setup: python3 not found" >&2; exit 1; }

bash tests/peer/setup.sh
echo "setup: done"
