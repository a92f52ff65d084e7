#!/usr/bin/env bash
# A throwaway MIT Kerberos realm on loopback for the endpoint's Kerberos tests.
#
#   tests/peer/kdc.sh start STATE_DIR   # create realm PSREMOTE.TEST (once), start krb5kdc, print realm.json
#   tests/peer/kdc.sh setup STATE_DIR   # only create the realm and its files; the caller runs
#                                       #   krb5kdc -n (the endpoint does, as its own child)
#   tests/peer/kdc.sh stop STATE_DIR
#
# Principals: psremote@PSREMOTE.TEST (password Psr3mote!pass) and HTTP/, host/, WSMAN/localhost@PSREMOTE.TEST
# (in STATE_DIR/http.keytab). STATE_DIR/krb5.conf points clients at the KDC's port; STATE_DIR/realm.json
# says where everything is (the endpoint reads it with --kerberos-dir STATE_DIR).
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop STATE_DIR" >&2
    exit 2
fi
realm=PSREMOTE.TEST
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

if [ "$cmd" = stop ]; then
    if [ -f "$dir/krb5kdc.pid" ]; then
        kill "$(cat "$dir/krb5kdc.pid")" 2>/dev/null || true
        rm -f "$dir/krb5kdc.pid"
    fi
    exit 0
fi
[ "$cmd" = start ] || [ "$cmd" = setup ] || { echo "unknown command $cmd" >&2; exit 2; }

for b in /usr/sbin/krb5kdc /usr/sbin/kdb5_util /usr/sbin/kadmin.local; do
    [ -x "$b" ] || { echo "kdc.sh: $b missing (install krb5-kdc krb5-admin-server: tests/peer/setup.sh)" >&2; exit 3; }
done

if [ -f "$dir/krb5kdc.pid" ] && kill -0 "$(cat "$dir/krb5kdc.pid")" 2>/dev/null; then
    cat "$dir/realm.json"
    exit 0
fi

# A free loopback port for the KDC (UDP and TCP).
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

cat > "$dir/krb5.conf" <<CONF
[libdefaults]
    default_realm = $realm
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    default_ccache_name = FILE:$dir/ccache
[realms]
    $realm = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    localhost = $realm
    127.0.0.1 = $realm
CONF

cat > "$dir/kdc.conf" <<CONF
[kdcdefaults]
    kdc_ports = $port
    kdc_tcp_ports = $port
[realms]
    $realm = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        max_life = 10h 0m 0s
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }
[logging]
    kdc = FILE:$dir/kdc.log
CONF
: > "$dir/kadm5.acl"

export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
if [ ! -f "$dir/principal" ]; then
    kdb5_util -r "$realm" create -s -P "psremote-test-master" >/dev/null
    kadmin.local -r "$realm" -q "addprinc +requires_preauth -pw Psr3mote!pass psremote@$realm" >/dev/null
    # HTTP/ is the WinRM SPN; clients also ask for host/ and WSMAN/ (Windows maps both to the computer).
    for svc in HTTP host WSMAN; do
        kadmin.local -r "$realm" -q "addprinc -randkey $svc/localhost@$realm" >/dev/null
        kadmin.local -r "$realm" -q "ktadd -k $dir/http.keytab $svc/localhost@$realm" >/dev/null
    done
fi
info() {
    cat > "$dir/realm.json" <<JSON
{"realm": "$realm", "kdc": "127.0.0.1:$port", "kdc_port": $port, "krb5_conf": "$dir/krb5.conf", "kdc_conf": "$dir/kdc.conf", "keytab": "$dir/http.keytab", "principal": "psremote@$realm", "password": "Psr3mote!pass", "service_principal": "HTTP/localhost@$realm", "pid": $1}
JSON
    cat "$dir/realm.json"
}
if [ "$cmd" = setup ]; then
    info null
    exit 0
fi
/usr/sbin/krb5kdc -r "$realm" -P "$dir/krb5kdc.pid"
for _ in $(seq 50); do
    [ -s "$dir/krb5kdc.pid" ] && break
    sleep 0.1
done
info "$(cat "$dir/krb5kdc.pid")"
