#!/usr/bin/env bash
# The endpoint's own suite (pypsrp 0.9.1 and psrpcore as clients). Run tests/peer/setup.sh first.
# Extra arguments go to pytest (e.g. -k stdio).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="$root/.venv/bin/python"
if [ ! -x "$py" ]; then
    echo "run_tests.sh: $py missing; run tests/peer/setup.sh" >&2
    exit 1
fi
export PYTHONPATH="$here:$here/tests${PYTHONPATH:+:$PYTHONPATH}"
cd "$here"
exec "$py" -m pytest -q -p no:cacheprovider tests "$@"
