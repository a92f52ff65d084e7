#!/usr/bin/env bash
# The main job: set up, build psremote, then run it.
#   scripts/demo.sh            against the bundled loopback endpoint (two WinRM listeners, NTLM
#                              with message encryption, as a default Windows host requires)
#   scripts/demo.sh HOST [..]  against real hosts: PSREMOTE_USER / PSREMOTE_PASSWORD or a prompt;
#                              extra arguments go to `psremote invoke` (e.g. --https --auth kerberos)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh >/dev/null
echo "==> building psremote" >&2
cargo build -q -p psremote-cli
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
psremote="$target_dir/debug/psremote"

if [ $# -ge 1 ]; then
  host=$1; shift
  echo "==> psremote invoke -C $host 'Get-UICulture'" >&2
  exec "$psremote" invoke -C "$host" "$@" 'Get-UICulture'
fi

state=$(mktemp -d)
trap 'kill "${peer_pid:-}" 2>/dev/null || true; rm -rf "$state"' EXIT
PYTHONPATH=tests/peer PSREMOTE_SHARED="${PSREMOTE_SHARED:-$root/../shared}" \
  .venv/bin/python -m psremote_peer serve --port 0 --listen-count 2 --state-dir "$state/peer" \
  >"$state/ready" 2>"$state/peer.log" &
peer_pid=$!
for _ in $(seq 1 100); do grep -q PSREMOTE-PEER-READY "$state/ready" 2>/dev/null && break; sleep 0.1; done
ready=$(sed -n 's/^PSREMOTE-PEER-READY //p' "$state/ready")
[ -n "$ready" ] || { echo "the endpoint did not start:" >&2; cat "$state/peer.log" >&2; exit 1; }
read -r a b < <(python3 -c 'import json,sys; p=json.loads(sys.argv[1])["http_ports"]; print(p[0], p[1])' "$ready")
export PSREMOTE_USER=psremote PSREMOTE_PASSWORD='Psr3mote!pass'   # the endpoint's test account

echo "==> psremote invoke -C 127.0.0.1:$a,127.0.0.1:$b 'get-UICulture'   (NTLM, encrypted)" >&2
"$psremote" invoke -C "127.0.0.1:$a,127.0.0.1:$b" 'get-UICulture'
echo "==> psremote invoke -C 127.0.0.1:$a -c '\$h = Get-HotFix; \$h | where {\$_.InstalledBy -ne \"NT AUTHORITY\\SYSTEM\"}'" >&2
"$psremote" invoke -C "127.0.0.1:$a" -c '$h = Get-HotFix; $h | where {$_.InstalledBy -ne "NT AUTHORITY\SYSTEM"}'

# Implicit remoting end to end: discover the endpoint's commands, generate typed stubs (as a
# crate, as `psremote export` does; the examples use the macro and build.rs on the same
# generator), build, and call them: typed ServiceController fields, one remote pipeline.
echo "==> psremote metadata 127.0.0.1:$a --name '*-Service' --out \$state/peer.json" >&2
"$psremote" metadata "127.0.0.1:$a" --name '*-Service' --out "$state/peer.json"
echo "==> psremote export --from-metadata \$state/peer.json --out \$state/peer-remote" >&2
"$psremote" export --from-metadata "$state/peer.json" --out "$state/peer-remote" --runtime-path runtime
grep -c 'pub fn ' "$state/peer-remote/src/lib.rs" | sed 's/^/    generated methods: /' >&2
echo "==> cargo run --example macro_use   (#[remote_commands] stubs: Get-Service | Stop-Service, Start-Service)" >&2
cargo build -q -p psremote --example macro_use
PSREMOTE_URL="http://127.0.0.1:$a/wsman" "$target_dir/debug/examples/macro_use"
