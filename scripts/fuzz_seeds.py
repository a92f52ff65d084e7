#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from the real Windows recordings (never committed).

    scripts/fuzz_seeds.py TARGET CORPUS_DIR [SHARED_DIR]

wsman_response: every recorded response envelope; multipart_encrypted: those envelopes in the
MS-WSMV 2.2.9.1 multipart/encrypted layout (with a dummy 16-byte signature); outofproc_framing:
the recorded PSRP fragments as out-of-process <Data> packets plus the other packet kinds;
codegen_catalog: the representative catalog, whole and one command at a time;
fragment_defragmenter / psrp_message / psrp_runspace_pool: the recorded PSRP fragments, the
messages they carry, and those messages' CLIXML in the pool target's `type, pipeline, CLIXML`
NUL-separated layout.
Standard library only (the YAML files are one envelope per line)."""
import base64, glob, json, os, re, sys, uuid

target, corpus = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
shared = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "..", "shared")
os.makedirs(corpus, exist_ok=True)
n = 0


def write(data: bytes):
    global n
    n += 1
    with open(os.path.join(corpus, f"seed-{n:05d}"), "wb") as f:
        f.write(data)


def envelopes(key):
    for path in sorted(glob.glob(os.path.join(shared, "fixtures/windows-wsman/*.yml"))):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"^(?:- |  )" + key + r": (<.*)$", line.rstrip("\n"))
            if m:
                yield m.group(1)


if target == "wsman_response":
    for env in envelopes("response"):
        write(env.encode())
elif target == "multipart_encrypted":
    b = "Encrypted Boundary"
    for env in list(envelopes("response"))[:200]:
        body = env.encode()
        for sel in (0, 0x80):
            head = (f"--{b}\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                    f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len(body)}\r\n"
                    f"--{b}\r\n\tContent-Type: application/octet-stream\r\n").encode()
            write(bytes([sel]) + head + (16).to_bytes(4, "little") + bytes(16) + body + f"--{b}--\r\n".encode())
elif target == "outofproc_framing":
    lines = []
    for env in list(envelopes("response")) + list(envelopes("request")):
        for blob in re.findall(r">([A-Za-z0-9+/=]{24,})</", env):
            g = str(uuid.uuid4()).upper() if len(lines) % 2 else "00000000-0000-0000-0000-000000000000"
            stream = "PromptResponse" if len(lines) % 7 == 3 else "Default"
            lines.append(f"<Data Stream='{stream}' PSGuid='{g}'>{blob}</Data>\n")
    g = str(uuid.uuid4())
    for kind in ("DataAck", "Command", "CommandAck", "Signal", "SignalAck", "Close", "CloseAck"):
        lines.append(f"<{kind} PSGuid='{g}' />\n")
    for i in range(0, len(lines), 3):
        write(bytes([7 + i % 200]) + "".join(lines[i:i + 3]).encode())
elif target in ("fragment_defragmenter", "psrp_message", "psrp_runspace_pool"):
    # MS-PSRP 2.2.4: ObjectId(8, BE) FragmentId(8, BE) flags(1) length(4, BE) blob.
    fragments, messages = [], {}
    for env in list(envelopes("response")) + list(envelopes("request")):
        for blob in re.findall(r">([A-Za-z0-9+/=]{24,})</", env):
            try:
                raw = base64.b64decode(blob, validate=True)
            except ValueError:
                continue
            fragments.append(raw)
            at = 0
            while at + 21 <= len(raw):
                oid = int.from_bytes(raw[at:at + 8], "big")
                length = int.from_bytes(raw[at + 17:at + 21], "big")
                part = raw[at + 21:at + 21 + length]
                messages[oid] = messages.get(oid, b"") + part
                at += 21 + length
    if target == "fragment_defragmenter":
        for i, raw in enumerate(fragments[:600]):
            write(bytes([(0, 7, 21, 64)[i % 4]]) + raw)
    else:
        seen = set()
        for msg in messages.values():
            if len(msg) < 40 or msg[4:8] in seen and len(seen) > 40:
                continue
            seen.add(msg[4:8])
            if target == "psrp_message":
                # The target rewrites the type only when the first byte is even.
                write(msg if msg[0] & 1 else bytes([1]) + msg[1:])
            else:
                mtype = int.from_bytes(msg[4:8], "little")
                sel = [0x00010002, 0x00010006, 0x00021004, 0x00021005, 0x00021008, 0x00021009,
                       0x0002100B, 0x00021100, 0x00041004, 0x00041005, 0x00041006, 0x00041007,
                       0x00041008, 0x00041009, 0x00041010, 0x00041011, 0x00041100, 0x00021006,
                       0x00030000]
                if mtype in sel:
                    xml = msg[40:].lstrip(b"\xef\xbb\xbf").replace(b"\0", b"")
                    write(bytes([sel.index(mtype), 1]) + xml)
elif target == "codegen_catalog":
    base = open(os.path.join(here, "..", "codegen/tests/fixtures/representative.json"), encoding="utf-8").read()
    write(b"\x00" + base.encode())
    cat = json.loads(base)
    for cmd in cat.get("commands", []):
        one = dict(cat, commands=[cmd])
        write(b"\x00" + json.dumps(one, sort_keys=True).encode())
    for i in range(64):
        write(bytes([1]) + os.urandom(256))
print(f"{n} seeds in {corpus}", file=sys.stderr)
