"""The endpoint's envelopes have the shape of the real Windows replies in shared/fixtures/windows-wsman.

For each kind of reply (by wsa:Action, and WSManFault code for faults) the endpoint's envelope has
every element path (with its attribute names) that Windows always sends for that kind, and none that
Windows never sends (IDs, text and base64 payloads are not compared; repeated elements count once).
Skipped when the recordings are absent.
"""

from __future__ import annotations

import glob
import os
import re
import xml.etree.ElementTree as ET

import pytest
import requests
from conftest import PEER_DIR
from helpers import RecordingProxy
from pypsrp.powershell import PowerShell, RunspacePool

SHARED = os.environ.get("PSREMOTE_SHARED") or os.path.join(PEER_DIR, "..", "..", "..", "shared")
FIXTURES = os.path.join(SHARED, "fixtures", "windows-wsman")
A = "{http://schemas.xmlsoap.org/ws/2004/08/addressing}"


def _fixture_replies() -> list[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^  response: (.*)$", line.rstrip("\n"))
                if not m:
                    continue
                text = m.group(1)
                if text.startswith("'") and text.endswith("'"):
                    text = text[1:-1].replace("''", "'")
                if text.startswith("<"):
                    out.append(text)
    return out


def _kind(root: ET.Element) -> str:
    action = root.findtext(f".//{A}Action") or ""
    kind = action.rsplit("/", 1)[-1]
    code = None
    for el in root.iter():
        if el.tag.endswith("}WSManFault"):
            code = el.get("Code")
            break
    if code:
        kind += f"[{code}]"
    body = root.find("{http://www.w3.org/2003/05/soap-envelope}Body")
    first = next(iter(body), None) if body is not None else None
    if kind == "GetResponse" and first is not None:
        kind += ":" + first.tag.split("}")[-1]  # a shell vs winrm/config
    if kind == "EnumerateResponse" and body is not None:
        items = [e for e in body.iter() if e.tag.endswith("}Items")]
        kind += ":" + (next(iter(items[0])).tag.split("}")[-1] if items and len(items[0]) else "empty")
    return kind


def _shape(root: ET.Element) -> set[str]:
    paths: set[str] = set()

    def walk(el: ET.Element, prefix: str) -> None:
        path = f"{prefix}/{el.tag}"
        attrs = ",".join(sorted(a for a in el.attrib if not a.startswith("{http://www.w3.org/XML/1998/namespace}")))
        paths.add(f"{path}[{attrs}]")
        if el.tag.endswith("}Shell") or el.tag.endswith("}Config"):
            return  # property lists: compared separately where it matters
        for child in el:
            walk(child, path)

    walk(root, "")
    return paths


def _http_bodies(raw: bytes) -> list[bytes]:
    bodies = []
    pos = 0
    while True:
        i = raw.find(b"HTTP/1.1 ", pos)
        if i < 0:
            return bodies
        j = raw.find(b"\r\n\r\n", i)
        head = raw[i:j].decode("latin-1")
        m = re.search(r"Content-Length: (\d+)", head, re.I)
        n = int(m.group(1)) if m else 0
        bodies.append(raw[j + 4:j + 4 + n])
        pos = j + 4 + n


pytestmark = pytest.mark.skipif(not glob.glob(os.path.join(FIXTURES, "*.yml")),
                                reason=f"the Windows recordings are not at {FIXTURES}")


def test_reply_shapes_match_windows(open_peer):
    windows: dict[str, set[str]] = {}  # every element Windows ever sent for that kind of reply
    common: dict[str, set[str]] = {}  # the elements it always sent
    for text in _fixture_replies():
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            continue  # a reply the YAML folded over several lines
        kind, shape = _kind(root), _shape(root)
        windows.setdefault(kind, set()).update(shape)
        common[kind] = common[kind] & shape if kind in common else set(shape)

    proxy = RecordingProxy(open_peer.port)
    try:
        w = open_peer.wsman("basic", port=proxy.port)
        pool = RunspacePool(w)
        pool.open()
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_parameter("InputObject", "shape")
        ps.invoke()
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output")
        ps.invoke(["input"])  # Send
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Seconds", 30)
        ps.begin_invoke()
        ps.stop()  # Signal
        assert pool.is_alive()
        pool.disconnect()
        w2 = open_peer.wsman("basic", port=proxy.port)
        again = [p for p in RunspacePool.get_runspace_pools(w2) if p.id.upper() == pool.id.upper()][0]
        again.connect()
        again.close()
        w.get("http://schemas.microsoft.com/wbem/wsman/1/config")
        # Receive on a command that does not exist (InvalidSelectors) and a long poll that times out.
        p2 = RunspacePool(open_peer.wsman("basic", port=proxy.port, operation_timeout=1))
        p2.open()
        try:
            p2._receive(timeout=1)
        except Exception:
            pass
        p2.close()
        try:
            p2.is_alive()
        except Exception:
            pass
    finally:
        proxy.close()

    ours: dict[str, set[str]] = {}
    for body in _http_bodies(bytes(proxy.server_bytes)):
        if not body.startswith(b"<s:Envelope"):
            continue
        root = ET.fromstring(body)
        ours.setdefault(_kind(root), set()).update(_shape(root))

    compared = 0
    problems = []
    for kind, shape in sorted(ours.items()):
        if kind not in windows:
            continue
        compared += 1
        missing = common[kind] - shape
        extra = shape - windows[kind]
        if missing or extra:
            problems.append(f"{kind}: missing {sorted(missing)} extra {sorted(extra)}")
    assert not problems, "\n".join(problems)
    assert compared >= 14, (sorted(ours), sorted(windows))


def test_shell_properties_match_windows(open_peer):
    """rsp:Shell in CreateResponse lists the same properties, in the same order, as Windows."""
    text = next(t for t in _fixture_replies() if "CreateResponse" in t)
    win = [e.tag for e in ET.fromstring(text).iter() if e.tag.startswith("{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}")]
    proxy = RecordingProxy(open_peer.port)
    try:
        with RunspacePool(open_peer.wsman("basic", port=proxy.port)):
            pass
    finally:
        proxy.close()
    body = next(b for b in _http_bodies(bytes(proxy.server_bytes)) if b"CreateResponse" in b)
    ours = [e.tag for e in ET.fromstring(body).iter() if e.tag.startswith("{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}")]
    assert ours == win


def test_config_properties_match_windows(open_peer):
    text = next(t for t in _fixture_replies() if "<cfg:Config" in t)
    win = [e.tag for e in ET.fromstring(text).iter()]
    r = requests.Session()
    w = open_peer.wsman("basic")
    body = w.get("http://schemas.microsoft.com/wbem/wsman/1/config")
    ours = [e.tag for e in body.iter()][1:]  # s:Body first
    assert ours == win[win.index(ours[0]):]
    r.close()
