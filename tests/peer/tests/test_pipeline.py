"""PSRP over the endpoint with pypsrp: streams, state, input, host calls, stop, metadata."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import REAL_ENGINE
from pypsrp.complex_objects import PSInvocationState
from pypsrp.exceptions import WSManFaultError
from pypsrp.host import PSHost, PSHostUserInterface
from pypsrp.powershell import PowerShell, RunspacePool

needs_engine = pytest.mark.skipif(not REAL_ENGINE, reason="needs psremote_peer.engine (the catalog)")


@pytest.fixture(scope="module")
def pool(peer):
    with RunspacePool(peer.wsman("ntlm")) as p:
        yield p


def cmd(pool, name, **params):
    ps = PowerShell(pool)
    ps.add_cmdlet(name)
    for k, v in params.items():
        ps.add_parameter(k, v)
    return ps


def test_output(pool):
    ps = cmd(pool, "Write-Output", InputObject="value-1")
    assert ps.invoke() == ["value-1"]
    assert ps.state == PSInvocationState.COMPLETED


def test_null_output_is_a_nil_object(pool):
    # A $null written to the output stream arrives as an object (<Nil />), as Windows sends it.
    ps = PowerShell(pool)
    ps.add_script("$undefinedVariable; 1")
    assert ps.invoke() == [None, 1]


def test_set_max_runspaces_with_either_call_id_spelling(pool):
    # MS-PSRP 2.2.2.6 names the call id `ci`; pypsrp sends `CI`. Windows accepts both.
    pool.max_runspaces = 3
    assert pool.max_runspaces == 3
    assert pool.get_available_runspaces() == 3


def test_warning_verbose_debug_streams(pool):
    for name, stream in (("Write-Warning", "warning"), ("Write-Verbose", "verbose"), ("Write-Debug", "debug")):
        ps = cmd(pool, name, Message=f"{name} text")
        if name != "Write-Warning":
            # -Verbose / -Debug so the default preferences do not swallow the record
            ps.add_parameter("Verbose" if name == "Write-Verbose" else "Debug", True)
        ps.invoke()
        records = getattr(ps.streams, stream)
        assert [r.message for r in records] == [f"{name} text"], (name, records)


def test_information_stream(pool):
    ps = cmd(pool, "Write-Information", MessageData="info text")
    ps.invoke()
    assert len(ps.streams.information) == 1
    assert ps.streams.information[0].message_data == "info text"


def test_progress_stream(pool):
    ps = cmd(pool, "Write-Progress", Activity="Copying", Status="half", PercentComplete=50)
    ps.invoke()
    assert ps.streams.progress, "no progress record"
    assert ps.streams.progress[0].activity == "Copying"


def test_error_stream_non_terminating(pool):
    ps = cmd(pool, "Write-Error", Message="bad thing")
    ps.invoke()
    assert len(ps.streams.error) == 1  # pypsrp's had_errors only tracks Failed
    assert "bad thing" in str(ps.streams.error[0])
    assert ps.state == PSInvocationState.COMPLETED


def test_unknown_command_fails_the_pipeline(pool):
    ps = cmd(pool, "Get-NoSuchThing")
    ps.invoke()
    assert ps.state == PSInvocationState.FAILED
    assert ps.had_errors


def test_state_persists_across_pipelines(pool):
    ps = PowerShell(pool)
    ps.add_script("$peerState = 'kept'")
    ps.invoke()
    ps = PowerShell(pool)
    ps.add_script("$peerState")
    assert ps.invoke() == ["kept"]


def test_pipeline_input(pool):
    ps = cmd(pool, "Write-Output")
    assert ps.invoke(["a", "b", "c"]) == ["a", "b", "c"]


class AnsweringUI(PSHostUserInterface):
    def ReadLine(self, runspace, pipeline):  # noqa: N802 (pypsrp's host method name)
        return "typed at the host"


def test_host_call_read_host(peer):
    host = PSHost(None, None, False, "peer-test", None, AnsweringUI(), None)
    with RunspacePool(peer.wsman("ntlm"), host=host) as p:
        ps = PowerShell(p)
        ps.add_cmdlet("Read-Host")
        assert ps.invoke() == ["typed at the host"]


def test_stop_a_running_pipeline(pool):
    ps = cmd(pool, "Start-Sleep", Seconds=60)
    ps.begin_invoke()
    time.sleep(0.5)
    t0 = time.monotonic()
    ps.stop()
    assert ps.state == PSInvocationState.STOPPED
    assert time.monotonic() - t0 < 10


def test_several_pipelines_at_once(peer):
    with RunspacePool(peer.wsman("ntlm"), max_runspaces=4) as p:
        pss = [cmd(p, "Write-Output", InputObject=f"v{i}") for i in range(4)]
        for ps in pss:
            ps.begin_invoke()
        results = []
        for ps in pss:
            ps.end_invoke()
            results.append(ps.output)
        assert results == [[f"v{i}"] for i in range(4)]


def test_large_output_is_fragmented_by_max_envelope_size(peer):
    big = "x" * 400_000  # larger than pypsrp's 150 KiB MaxEnvelopeSize: several Receive responses
    with RunspacePool(peer.wsman("ntlm")) as p:
        ps = cmd(p, "Write-Output", InputObject=big)
        assert ps.invoke() == [big]
    stats = peer.stats()
    assert stats["requests_by_action"]["Receive"] >= 3


def test_reset_runspace_state(pool):
    ps = PowerShell(pool)
    ps.add_script("$resetMe = 1")
    ps.invoke()
    pool.reset_runspace_state()


def test_get_available_runspaces(pool):
    assert pool.get_available_runspaces() >= 0


def test_restricted_configuration_refuses_scripts(peer):
    with RunspacePool(peer.wsman("ntlm"), configuration_name="Restricted") as p:
        ps = PowerShell(p)
        ps.add_script("Write-Output 'a script'")
        ps.invoke()
        assert ps.had_errors
        assert ps.state == PSInvocationState.FAILED
        err = ps.streams.error[0]
        assert "ScriptsNotAllowed" in (err.fq_error or ""), err.fq_error


def test_unknown_configuration_gets_the_winrm_fault(peer):
    with pytest.raises(WSManFaultError) as e:
        with RunspacePool(peer.wsman("ntlm"), configuration_name="Nope.Config"):
            pass
    assert e.value.code == 2150858752
    assert "Cannot find the Nope.Config session configuration" in str(e.value)


@needs_engine
def test_get_command_metadata(pool):
    out = pool.get_command_metadata(["Get-Service", "Get-Date"])
    assert sorted(m.name for m in out) == ["Get-Date", "Get-Service"]
    svc = next(m for m in out if m.name == "Get-Service")
    assert "Name" in svc.parameters and "ComputerName" in svc.parameters


@needs_engine
def test_get_command_metadata_on_restricted(peer):
    with RunspacePool(peer.wsman("ntlm"), configuration_name="Restricted") as p:
        names = {m.name for m in p.get_command_metadata(["*"])}
        assert "Get-Date" in names
        assert "Restart-Computer" not in names


def test_pipelines_from_threads(peer):
    """Two runspace pools used from two threads at once (the server is threaded)."""
    errors = []

    def work(i):
        try:
            with RunspacePool(peer.wsman("ntlm")) as p:
                assert cmd(p, "Write-Output", InputObject=i).invoke() == [i]
        except Exception as e:  # reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


def test_client_max_envelope_size_is_honoured(open_peer):
    """A client that asks for 8 KiB envelopes gets every Receive reply within 8 KiB (base64 and all)."""
    from helpers import RecordingProxy
    from pypsrp.wsman import WSMan

    proxy = RecordingProxy(open_peer.port)
    try:
        w = WSMan("127.0.0.1", port=proxy.port, username="psremote", password="Psr3mote!pass", auth="basic",
                  ssl=False, encryption="never", max_envelope_size=8192, operation_timeout=5, read_timeout=15)
        with RunspacePool(w) as p:
            big = "z" * 30_000
            assert cmd(p, "Write-Output", InputObject=big).invoke() == [big]
    finally:
        proxy.close()
    import re

    raw = bytes(proxy.server_bytes)
    lengths = [int(m) for m in re.findall(rb"Content-Length: (\d+)", raw)]
    receive_replies = raw.count(b"ReceiveResponse</a:Action>")
    assert receive_replies >= 4
    assert max(lengths) <= 8192
