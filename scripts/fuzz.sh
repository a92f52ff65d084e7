#!/usr/bin/env bash
# Runs one cargo-fuzz target for a bounded time (not part of CI).
#   scripts/fuzz.sh TARGET SECONDS      e.g. scripts/fuzz.sh clixml_reader 300
# Environment: FUZZ_SANITIZER=address|none (default address; `none` runs ~10x more executions,
# panics and aborts are still crashes), FUZZ_RUNS=N stops after N executions (e.g. 10000000),
# FUZZ_MAX_LEN=N caps the input size (default 65536; the RunspacePool target runs ~10x faster
# at 4096).
# Targets: clixml_reader, clixml_roundtrip, fragment_defragmenter, psrp_message,
# psrp_runspace_pool, wsman_response, multipart_encrypted, outofproc_framing, codegen_catalog. Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). Crashes land in fuzz/artifacts/TARGET/; the corpus grows in
# fuzz/corpus/TARGET/ (seeded with the recorded Windows CLIXML when ../shared is present).
set -euo pipefail
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2; exit 2; }
corpus="corpus/$target"
mkdir -p "$corpus"
shared=${PSREMOTE_SHARED:-$root/../shared}
if [ "$target" = clixml_reader ] && [ -d "$shared/fixtures/windows-wsman" ] && [ -z "$(ls -A "$corpus")" ]; then
    # Seed with the pretty-printed CLIXML of the recordings, one message per file.
    awk -v dir="$corpus" '
        /^      <Obj / || /^<Obj / { n++; out = sprintf("%s/seed-%05d.xml", dir, n) }
        out != "" { print > out }
        /^      <\/Obj>$/ || /^<\/Obj>$/ { close(out); out = "" }
    ' "$shared"/fixtures/windows-wsman/*.decoded.txt "$shared"/fixtures/windows-wsman/command_metadata_reply.clixml.txt
fi
case "$target" in
    wsman_response|multipart_encrypted|outofproc_framing|codegen_catalog|fragment_defragmenter|psrp_message|psrp_runspace_pool)
        # Seeds generated from the recordings at run time (never committed).
        if [ -z "$(ls -A "$corpus")" ]; then
            python3 "$root/scripts/fuzz_seeds.py" "$target" "$corpus" "$shared"
        fi ;;
esac
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/targets/fuzz}
sanitizer=${FUZZ_SANITIZER:-address}
runs=()
[ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
exec cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "$corpus" -- -max_total_time="$seconds" "${runs[@]}" -max_len="${FUZZ_MAX_LEN:-65536}" -rss_limit_mb=2048 -print_final_stats=1
