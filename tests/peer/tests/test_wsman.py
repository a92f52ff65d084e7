"""WS-Man operations and envelopes compared with what a Windows host sends."""

from __future__ import annotations

import base64
import struct
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests
from helpers import NS, PS_URI, envelope, post_basic
from helpers import create_shell as _create_shell
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CONFIG_URI = "http://schemas.microsoft.com/wbem/wsman/1/config"


def fault_code(resp: requests.Response) -> int:
    root = ET.fromstring(resp.content)
    f = root.find(".//f:WSManFault", NS)
    assert f is not None, resp.text
    return int(f.get("Code"))


def test_identify_unauthenticated(peer):
    body = (f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:wsmid="{NS["wsmid"]}"><s:Header/><s:Body>'
            "<wsmid:Identify/></s:Body></s:Envelope>")
    r = requests.post(f"http://127.0.0.1:{peer.port}/wsman", data=body, timeout=10,
                      headers={"WSMANIDENTIFY": "unauthenticated",
                               "Content-Type": "application/soap+xml;charset=UTF-8"})
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.find(".//wsmid:IdentifyResponse/wsmid:ProtocolVersion", NS).text == NS["w"]
    assert root.find(".//wsmid:ProductVendor", NS).text == "Microsoft Corporation"
    assert "OS: 0.0.0" in root.find(".//wsmid:ProductVersion", NS).text
    assert root.find(".//wsmid:SecurityProfiles", NS) is None


def test_identify_authenticated(peer):
    body = (f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:wsmid="{NS["wsmid"]}"><s:Header/><s:Body>'
            "<wsmid:Identify/></s:Body></s:Envelope>")
    r = post_basic(f"https://127.0.0.1:{peer.https_port}/wsman", body.encode(), verify=peer.ready["ca_file"])
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.find(".//wsmid:SecurityProfiles", NS) is not None
    # Without the unauthenticated header an Identify needs credentials.
    r = requests.post(f"http://127.0.0.1:{peer.port}/wsman", data=body, timeout=10)
    assert r.status_code == 401


def test_config_get_and_max_envelope_size(fault_peer):
    w = fault_peer.wsman("basic")
    body = w.get(CONFIG_URI)
    assert body.find(".//cfg:MaxEnvelopeSizekb", NS).text == "500"
    assert body.find(".//cfg:Service/cfg:AllowUnencrypted", NS).text == "true"
    fault_peer.faults({"max-envelope-kb": 150})
    w2 = fault_peer.wsman("basic")
    w2.update_max_payload_size()
    assert w2.max_envelope_size == 150 * 1024


def test_config_listener_and_plugin_enumerate(peer):
    w = peer.wsman("basic", https=True)
    body = w.enumerate(CONFIG_URI + "/Listener")
    ctx = body.find(".//{http://schemas.xmlsoap.org/ws/2004/09/enumeration}EnumerationContext")
    assert ctx is not None and ctx.text
    pulled = w.pull(CONFIG_URI + "/Listener", _pull_body(ctx.text))
    transports = sorted(e.text for e in pulled.iter() if e.tag.endswith("}Transport"))
    assert transports == ["HTTP", "HTTPS"]
    body = w.enumerate(CONFIG_URI + "/plugin")
    ctx = body.find(".//{http://schemas.xmlsoap.org/ws/2004/09/enumeration}EnumerationContext").text
    pulled = w.pull(CONFIG_URI + "/plugin", _pull_body(ctx))
    names = [e.get("Name") for e in pulled.iter() if e.tag.endswith("}PlugInConfiguration")]
    assert names == ["microsoft.powershell", "Restricted"]


def _pull_body(ctx: str) -> ET.Element:
    n = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
    pull = ET.Element(f"{{{n}}}Pull")
    ET.SubElement(pull, f"{{{n}}}EnumerationContext").text = ctx
    return pull


def test_unknown_resource_uri(peer):
    w = peer.wsman("basic", https=True)
    with pytest.raises(WSManFaultError) as e:
        w.get("http://schemas.microsoft.com/wbem/wsman/1/nothing/here")
    assert e.value.code == 2150858752


def test_unknown_action_gets_a_fault_not_a_drop(open_peer):
    url = f"http://127.0.0.1:{open_peer.port}/wsman"
    s = requests.Session()
    r = post_basic(url, envelope("http://example.invalid/Frobnicate", PS_URI), session=s)
    assert r.status_code == 500
    assert fault_code(r) == 2150858754
    root = ET.fromstring(r.content)
    assert root.find(".//s:Subcode/s:Value", NS).text == "a:ActionNotSupported"
    # The same keep-alive connection still answers.
    r = post_basic(url, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", CONFIG_URI), session=s)
    assert r.status_code == 200


def test_bad_operation_timeout_fault(open_peer):
    r = post_basic(f"http://127.0.0.1:{open_peer.port}/wsman",
                   envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", CONFIG_URI, timeout="PT-1S"))
    assert r.status_code == 500
    assert fault_code(r) == 2150858767


def test_receive_times_out_with_the_winrm_fault(open_peer):
    url = f"http://127.0.0.1:{open_peer.port}/wsman"
    s = requests.Session()
    sid = _create_shell(url, s)
    recv = envelope("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive", PS_URI,
                    "<rsp:Receive><rsp:DesiredStream>stdout</rsp:DesiredStream></rsp:Receive>", {"ShellId": sid},
                    timeout="PT1S")
    r = post_basic(url, recv, session=s)  # the opening replies
    assert r.status_code == 200
    r = post_basic(url, recv, session=s)  # nothing more: a long poll that times out
    assert r.status_code == 500
    assert fault_code(r) == 2150858793
    assert ET.fromstring(r.content).find(".//s:Subcode/s:Value", NS).text == "w:TimedOut"


def test_unknown_psrp_message_type_gets_a_fault(open_peer):
    url = f"http://127.0.0.1:{open_peer.port}/wsman"
    s = requests.Session()
    sid = _create_shell(url, s)
    # A message of the undefined type 0x0002100E for the pool, in one fragment.
    rpid = uuid.UUID(sid)
    msg = struct.pack("<II", 2, 0x0002100E) + rpid.bytes_le + uuid.UUID(int=0).bytes_le + b"<Obj RefId=\"0\"/>"
    frag = struct.pack(">QQBI", 99, 0, 3, len(msg)) + msg
    body = (f'<rsp:Send><rsp:Stream Name="stdin">{base64.b64encode(frag).decode()}</rsp:Stream></rsp:Send>')
    r = post_basic(url, envelope("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send", PS_URI, body,
                                 {"ShellId": sid}), session=s)
    assert r.status_code == 500
    assert fault_code(r) == 13
    # The shell is still usable afterwards.
    r = post_basic(url, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", PS_URI, "",
                                 {"ShellId": sid}), session=s)
    assert r.status_code == 200


def test_deleted_shell_is_not_found(open_peer):
    url = f"http://127.0.0.1:{open_peer.port}/wsman"
    s = requests.Session()
    sid = _create_shell(url, s)
    delete = envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", PS_URI, "", {"ShellId": sid})
    assert post_basic(url, delete, session=s).status_code == 200
    r = post_basic(url, delete, session=s)
    assert r.status_code == 500
    assert fault_code(r) == 2150858843
    assert f"ShellId {sid}" in r.text


def test_enumerate_shells_and_is_alive(open_peer):
    w = open_peer.wsman("basic", encryption="never")
    with RunspacePool(w) as pool:
        assert pool.is_alive()
        pools = RunspacePool.get_runspace_pools(open_peer.wsman("basic", encryption="never"))
        assert pool.id.upper() in [p.id.upper() for p in pools]


def test_disconnect_and_reconnect_same_client(peer):
    w = peer.wsman("ntlm")
    pool = RunspacePool(w)
    pool.open()
    ps = PowerShell(pool)
    ps.add_script("$beforeDisconnect = 'still here'")
    ps.invoke()
    pool.disconnect()
    shells = w.enumerate(SHELL_URI, _enum_body())
    states = {e.find("rsp:ShellId", NS).text.upper(): e.find("rsp:State", NS).text
              for e in shells.iter(f"{{{NS['rsp']}}}Shell")}
    assert states[pool.id.upper()] == "Disconnected"
    pool.connect()
    ps = PowerShell(pool)
    ps.add_script("$beforeDisconnect")
    assert ps.invoke() == ["still here"]
    pool.close()


def test_connect_from_a_new_client(peer):
    w = peer.wsman("ntlm")
    pool = RunspacePool(w)
    pool.open()
    ps = PowerShell(pool)
    ps.add_script("$fromFirstClient = 'shared'")
    ps.invoke()
    pool.disconnect()
    w2 = peer.wsman("ntlm")
    found = [p for p in RunspacePool.get_runspace_pools(w2) if p.id.upper() == pool.id.upper()]
    assert found
    p2 = found[0]
    p2.connect()
    ps = PowerShell(p2)
    ps.add_script("$fromFirstClient")
    assert ps.invoke() == ["shared"]
    p2.close()


def test_command_on_disconnected_shell_is_refused(open_peer):
    url = f"http://127.0.0.1:{open_peer.port}/wsman"
    s = requests.Session()
    sid = _create_shell(url, s)
    shell_op = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
    r = post_basic(url, envelope(shell_op + "Disconnect", PS_URI, "<rsp:Disconnect/>", {"ShellId": sid}), session=s)
    assert r.status_code == 200
    body = f'<rsp:CommandLine CommandId="{str(uuid.uuid4()).upper()}"><rsp:Command/></rsp:CommandLine>'
    r = post_basic(url, envelope(shell_op + "Command", PS_URI, body, {"ShellId": sid}), session=s)
    assert r.status_code == 500
    assert fault_code(r) == 2150858843
    r = post_basic(url, envelope(shell_op + "Reconnect", PS_URI, "", {"ShellId": sid}), session=s)
    assert r.status_code == 200
    r = post_basic(url, envelope(shell_op + "Command", PS_URI, body, {"ShellId": sid}), session=s)
    assert r.status_code == 200, r.text


def _enum_body() -> ET.Element:
    n = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
    e = ET.Element(f"{{{n}}}Enumerate")
    ET.SubElement(e, f"{{{NS['w']}}}OptimizeEnumeration")
    return e


def test_max_envelope_size_refuses_large_requests(fault_peer):
    fault_peer.faults({"max-envelope-kb": 4})
    r = post_basic(f"http://127.0.0.1:{fault_peer.port}/wsman",
                   envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", CONFIG_URI, "x" * 8000))
    assert r.status_code == 500
    assert fault_code(r) == 2150858811


def test_envelope_prefixes_match_windows(open_peer):
    r = post_basic(f"http://127.0.0.1:{open_peer.port}/wsman",
                   envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", CONFIG_URI))
    text = r.text
    assert text.startswith('<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                           'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"')
    assert "<a:RelatesTo>uuid:6E7E6222-16F3-4AD0-8D38-392CEF8E120C</a:RelatesTo>" in text
    assert "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>" in text


def test_listen_count_serves_many_ports():
    from conftest import Peer

    p = Peer(["--allow-unencrypted", "--listen-count", "50"])
    try:
        ports = p.ready["http_ports"]
        assert len(set(ports)) == 50
        for port in (ports[0], ports[25], ports[-1]):
            w = WSMan("127.0.0.1", port=port, username="psremote", password="Psr3mote!pass", auth="basic",
                      ssl=False, encryption="never", operation_timeout=5, read_timeout=15)
            with RunspacePool(w) as pool:
                ps = PowerShell(pool)
                ps.add_cmdlet("Write-Output").add_parameter("InputObject", port)
                assert ps.invoke() == [port]
        assert p.stats()["shells_created"] == 3  # one process behind all ports
    finally:
        p.stop()


def test_reconnect_to_a_running_command_from_a_new_client(peer):
    w = peer.wsman("ntlm")
    pool = RunspacePool(w)
    pool.open()
    ps = PowerShell(pool)
    ps.add_cmdlet("Start-Sleep").add_parameter("Seconds", 1)
    ps.add_statement()
    ps.add_cmdlet("Write-Output").add_parameter("InputObject", "after the nap")
    ps.begin_invoke()
    pool.disconnect()
    w2 = peer.wsman("ntlm")
    p2 = [p for p in RunspacePool.get_runspace_pools(w2) if p.id.upper() == pool.id.upper()][0]
    p2.connect()
    pipelines = p2.create_disconnected_power_shells()
    assert [p.id.upper() for p in pipelines] == [ps.id.upper()]
    assert pipelines[0].connect() == ["after the nap"]
    p2.close()


def test_disconnected_shell_expires_after_its_idle_timeout(open_peer):
    url = f"http://127.0.0.1:{open_peer.port}/wsman"
    s = requests.Session()
    sid = _create_shell(url, s)
    shell_op = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
    body = "<rsp:Disconnect><rsp:IdleTimeOut>PT1.000S</rsp:IdleTimeOut></rsp:Disconnect>"
    assert post_basic(url, envelope(shell_op + "Disconnect", PS_URI, body, {"ShellId": sid}), session=s).ok
    import time

    time.sleep(1.8)
    r = post_basic(url, envelope(shell_op + "Reconnect", PS_URI, "", {"ShellId": sid}), session=s)
    assert r.status_code == 500
    assert fault_code(r) == 2150858843


def _receive_events(url, s, pool, sid, command_id=None, until=None, timeout="PT5S"):
    """Receive until `until(event)`; feeds every stdout stream into the psrpcore client pool."""
    import psrpcore

    attr = f' CommandId="{command_id}"' if command_id else ""
    recv = envelope("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive", PS_URI,
                    f"<rsp:Receive><rsp:DesiredStream{attr}>stdout</rsp:DesiredStream></rsp:Receive>",
                    {"ShellId": sid}, timeout=timeout)
    events = []
    for _ in range(20):
        r = post_basic(url, recv, session=s)
        assert r.status_code == 200, r.text
        root = ET.fromstring(r.content)
        for st in root.iter(f"{{{NS['rsp']}}}Stream"):
            pool.receive_data(psrpcore.PSRPPayload(base64.b64decode(st.text or ""), psrpcore.StreamType.default, None))
        while (ev := pool.next_event()) is not None:
            events.append(ev)
            if until(ev):
                return events, root
    raise AssertionError(f"no matching event in {events}")


@pytest.mark.parametrize("code", ["powershell/signal/crtl_c", "powershell/signal/ctrl_c"])
def test_signal_ctrl_c_in_both_spellings_stops_the_pipeline(open_peer, code):
    import psrpcore

    url = f"http://127.0.0.1:{open_peer.port}/wsman"
    s = requests.Session()
    pool = psrpcore.ClientRunspacePool()
    pool.open()
    sid = str(pool.runspace_pool_id).upper()
    body = (f'<rsp:Shell ShellId="{sid}"><rsp:InputStreams>stdin pr</rsp:InputStreams>'
            f"<rsp:OutputStreams>stdout</rsp:OutputStreams>"
            f'<creationXml xmlns="http://schemas.microsoft.com/powershell">'
            f"{base64.b64encode(pool.data_to_send().data).decode()}</creationXml></rsp:Shell>")
    assert post_basic(url, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", PS_URI, body),
                      session=s).ok
    _receive_events(url, s, pool, sid, until=lambda e: isinstance(e, psrpcore.RunspacePoolStateEvent))
    ps = psrpcore.ClientPowerShell(pool)
    ps.add_command("Start-Sleep").add_parameter("Seconds", 60)
    ps.start()
    cid = str(ps.pipeline_id).upper()
    args = base64.b64encode(pool.data_to_send().data).decode()
    shell_op = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
    cmd = f'<rsp:CommandLine CommandId="{cid}"><rsp:Command/><rsp:Arguments>{args}</rsp:Arguments></rsp:CommandLine>'
    assert post_basic(url, envelope(shell_op + "Command", PS_URI, cmd, {"ShellId": sid}), session=s).ok
    sig = f'<rsp:Signal CommandId="{cid}"><rsp:Code>{code}</rsp:Code></rsp:Signal>'
    r = post_basic(url, envelope(shell_op + "Signal", PS_URI, sig, {"ShellId": sid}), session=s)
    assert r.status_code == 200, r.text
    events, root = _receive_events(url, s, pool, sid, cid, until=lambda e: isinstance(e, psrpcore.PipelineStateEvent))
    assert events[-1].state == psrpcore.types.PSInvocationState.Stopped
    state = root.find(".//rsp:CommandState", NS)
    assert state is not None and state.get("State").endswith("/CommandState/Done")


def test_huge_content_length_is_refused_without_reading_it(open_peer):
    import socket

    with socket.create_connection(("127.0.0.1", open_peer.port), timeout=10) as c:
        c.sendall(b"POST /wsman HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHNyZW1vdGU6UHNyM21vdGUhcGFzcw==\r\n"
                  b"Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 99999999999\r\n\r\n")
        data = b""
        while b"</s:Envelope>" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 500")
    assert b'Code="2150858811"' in data


def test_completed_command_is_forgotten_after_done(open_peer):
    w = open_peer.wsman("basic")
    with RunspacePool(w) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_parameter("InputObject", 1)
        assert ps.invoke() == [1]
        url = f"http://127.0.0.1:{open_peer.port}/wsman"
        s = requests.Session()
        shell_op = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
        recv = envelope(shell_op + "Receive", PS_URI,
                        f'<rsp:Receive><rsp:DesiredStream CommandId="{ps.id.upper()}">stdout</rsp:DesiredStream>'
                        "</rsp:Receive>", {"ShellId": pool.id.upper()})
        r = post_basic(url, recv, session=s)
        assert r.status_code == 500
        assert fault_code(r) == 2150858843
        assert "the command has completed execution" in r.text
        sig = (f'<rsp:Signal CommandId="{ps.id.upper()}"><rsp:Code>{shell_op}signal/Terminate</rsp:Code>'
               "</rsp:Signal>")
        r = post_basic(url, envelope(shell_op + "Signal", PS_URI, sig, {"ShellId": pool.id.upper()}), session=s)
        assert r.status_code == 200, r.text


def test_chunked_request_body(open_peer):
    def chunks():
        body = envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
                        "http://schemas.microsoft.com/wbem/wsman/1/config")
        for i in range(0, len(body), 100):
            yield body[i:i + 100]

    r = requests.post(f"http://127.0.0.1:{open_peer.port}/wsman", data=chunks(), auth=("psremote", "Psr3mote!pass"),
                      headers={"Content-Type": "application/soap+xml;charset=UTF-8"}, timeout=10)
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 200, r.text
    assert b"MaxEnvelopeSizekb" in r.content
