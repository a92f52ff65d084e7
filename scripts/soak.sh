#!/usr/bin/env bash
# Soak test (not part of CI): 10,000 calls on one session and 1,000 sessions opened and closed
# against the loopback endpoint; fails when RSS grows more than 5 %, file descriptors grow, or
# the endpoint still has shells open afterwards. Results go to RELIABILITY.md by hand.
#   scripts/soak.sh [CALLS] [SESSIONS] [--auth basic|ntlm]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x .venv/bin/python ] || bash scripts/setup.sh
exec cargo run --release --example soak -- "$@"
