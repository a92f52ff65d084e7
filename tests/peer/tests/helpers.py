"""Small helpers shared by the endpoint tests."""

from __future__ import annotations

import base64
import socket
import threading
import typing as t
import xml.etree.ElementTree as ET

import requests

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wsmid": "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
    "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config",
}


def envelope(action: str, resource_uri: str, body: str = "", selectors: dict[str, str] | None = None,
             timeout: str = "PT5S", max_envelope: int = 153600) -> bytes:
    sel = ""
    if selectors:
        sel = "<w:SelectorSet>" + "".join(f'<w:Selector Name="{k}">{v}</w:Selector>' for k, v in selectors.items()) \
            + "</w:SelectorSet>"
    return (
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}">'
        f"<s:Header><a:Action s:mustUnderstand=\"true\">{action}</a:Action>"
        f"<w:MaxEnvelopeSize s:mustUnderstand=\"true\">{max_envelope}</w:MaxEnvelopeSize>"
        f"<a:MessageID>uuid:6E7E6222-16F3-4AD0-8D38-392CEF8E120C</a:MessageID>"
        f"<w:OperationTimeout>{timeout}</w:OperationTimeout>"
        f"<w:ResourceURI s:mustUnderstand=\"true\">{resource_uri}</w:ResourceURI>{sel}"
        f"<a:To>http://127.0.0.1/wsman</a:To></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def post_basic(url: str, data: bytes, session: requests.Session | None = None, **kw: t.Any) -> requests.Response:
    s = session or requests.Session()
    kw.setdefault("timeout", 30)
    return s.post(url, data=data, auth=("psremote", "Psr3mote!pass"),
                  headers={"Content-Type": "application/soap+xml;charset=UTF-8"}, **kw)


class RecordingProxy:
    """A TCP relay on loopback that keeps every byte both ways (to look at the wire)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.client_bytes = bytearray()
        self.server_bytes = bytearray()
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(c, s, self.client_bytes), daemon=True).start()
            threading.Thread(target=self._pump, args=(s, c, self.server_bytes), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, record: bytearray) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._lock:
                    record.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for x in (src, dst):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        self.sock.close()


PS_URI = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
RECEIVE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"


def create_shell(url: str, s: requests.Session) -> str:
    # A real opening: psrpcore's client builds SESSION_CAPABILITY + INIT_RUNSPACEPOOL.
    import psrpcore

    pool = psrpcore.ClientRunspacePool()
    pool.open()
    data = pool.data_to_send().data
    sid = str(pool.runspace_pool_id).upper()
    body = (f'<rsp:Shell ShellId="{sid}"><rsp:InputStreams>stdin pr</rsp:InputStreams>'
            f"<rsp:OutputStreams>stdout</rsp:OutputStreams>"
            f'<creationXml xmlns="http://schemas.microsoft.com/powershell">{base64.b64encode(data).decode()}'
            f"</creationXml></rsp:Shell>")
    r = post_basic(url, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", PS_URI, body), session=s)
    assert r.status_code == 200, r.text
    root = ET.fromstring(r.content)
    assert root.find(".//rsp:Shell/rsp:ShellId", NS).text == sid
    assert root.find(".//rsp:Shell/rsp:State", NS).text == "Connected"
    return sid
