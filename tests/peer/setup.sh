#!/usr/bin/env bash
# Sets up what the loopback endpoint and its tests need; safe to run again.
# - Debian packages (MIT KDC for Kerberos, OpenSSH for the SSH transport tests, krb5 headers for gssapi,
#   tmux for the CLI test that drives `psremote enter` through a pseudo-terminal)
# - <repo>/.venv with tests/peer/requirements.txt
# Needs only Python 3.11 and apt (as root, or with sudo available).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv"

debs=(krb5-kdc krb5-admin-server krb5-user openssh-server openssh-client libkrb5-dev gcc tmux)
missing=()
for p in "${debs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if ((${#missing[@]})); then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "setup.sh: installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    # krb5-config asks for a default realm; the tests write their own krb5.conf.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

py="${PYTHON:-}"
if [ -z "$py" ]; then
    for c in python3.11 python3; do
        if command -v "$c" >/dev/null 2>&1; then py="$c"; break; fi
    done
fi
if [ -z "$py" ]; then echo "setup.sh: no python3.11 found" >&2; exit 1; fi

if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
stamp="$venv/.psremote-peer-requirements"
if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
    cp "$here/requirements.txt" "$stamp"
fi
echo "setup.sh: ready ($venv)" >&2
