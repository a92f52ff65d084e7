"""Each fault knob does what docs/CONTRACTS.md says, and the counters count."""

from __future__ import annotations

import time
import urllib.error

import pytest
import requests
from conftest import Peer
from helpers import PS_URI, RECEIVE, create_shell, envelope, post_basic
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool


def echo(pool, value="v"):
    ps = PowerShell(pool)
    ps.add_cmdlet("Write-Output").add_parameter("InputObject", value)
    return ps, ps.invoke()


def test_fault_flag_at_start_and_bad_knob_rejected():
    p = Peer(["--allow-unencrypted", "--fault", "wsman-fault=access-denied@Create", "--fault", "stall-receive=0"])
    try:
        assert p.faults({})["wsman-fault"] == "access-denied@Create"
        with pytest.raises(WSManFaultError) as e:
            RunspacePool(p.wsman("basic")).open()
        assert e.value.code == 5
        with pytest.raises(urllib.error.HTTPError) as h:
            p.faults({"no-such-knob": 1})
        assert h.value.code == 400
    finally:
        p.stop()


def test_wsman_fault_on_one_action(fault_peer):
    fault_peer.faults(["wsman-fault=quota-exceeded@Command"])
    with RunspacePool(fault_peer.wsman("basic")) as pool:  # Create and Receive are not affected
        with pytest.raises(WSManFaultError) as e:
            echo(pool)
        assert e.value.code == 2150859173
        fault_peer.faults([])  # clearing all knobs
        assert echo(pool)[1] == ["v"]


def test_drop_receive_closes_the_connection_once(fault_peer):
    with RunspacePool(fault_peer.wsman("basic")) as pool:
        fault_peer.faults({"drop-receive": 1})
        with pytest.raises(requests.exceptions.ConnectionError):
            echo(pool)
    with RunspacePool(fault_peer.wsman("basic")) as pool:
        assert echo(pool)[1] == ["v"]


def test_stall_receive_delays_each_receive(fault_peer):
    with RunspacePool(fault_peer.wsman("basic")) as pool:
        fault_peer.faults({"stall-receive": 1.5})
        t0 = time.monotonic()
        assert echo(pool)[1] == ["v"]
        assert time.monotonic() - t0 >= 1.5
        fault_peer.faults([])
    # A stall longer than the client's read timeout: the client gives up.
    url = f"http://127.0.0.1:{fault_peer.port}/wsman"
    s = requests.Session()
    sid = create_shell(url, s)
    fault_peer.faults({"stall-receive": 3})
    recv = envelope(RECEIVE, PS_URI, "<rsp:Receive><rsp:DesiredStream>stdout</rsp:DesiredStream></rsp:Receive>",
                    {"ShellId": sid})
    t0 = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        post_basic(url, recv, session=s, timeout=1)
    assert time.monotonic() - t0 < 2.5  # the client gave up after its 1 s read timeout, not after the stall
    fault_peer.faults([])


@pytest.mark.parametrize("knob", ["corrupt-fragment", "truncate-fragment", "oversize-fragment"])
def test_fragment_knobs_break_the_next_pipeline_fragment(fault_peer, knob):
    with RunspacePool(fault_peer.wsman("basic")) as pool:
        fault_peer.faults({knob: 1})
        with pytest.raises(Exception) as e:  # pypsrp cannot parse what it got
            ps, out = echo(pool, "a" * 200)
            assert out == ["a" * 200], out  # a client that read it without noticing is a failure too
        assert not isinstance(e.value, AssertionError), e.value
    with RunspacePool(fault_peer.wsman("basic")) as pool:  # once only
        assert echo(pool)[1] == ["v"]


def test_max_envelope_kb_caps_receive_responses(fault_peer):
    fault_peer.faults({"max-envelope-kb": 8})
    w = fault_peer.wsman("basic")
    w.update_max_payload_size()  # pypsrp reads MaxEnvelopeSizekb from winrm/config, as Windows clients do
    assert w.max_envelope_size == 8 * 1024
    with RunspacePool(w) as pool:
        before = fault_peer.stats()["requests_by_action"].get("Receive", 0)
        big = "y" * 40_000
        assert echo(pool, big)[1] == [big]
        after = fault_peer.stats()["requests_by_action"]["Receive"]
        assert after - before >= 5  # 40 KB of CLIXML in ≤8 KiB envelopes


def test_expire_shell_reaps_idle_shells(fault_peer):
    fault_peer.faults({"expire-shell": 1})
    pool = RunspacePool(fault_peer.wsman("basic"))
    pool.open()
    assert fault_peer.stats()["shells_open"] == 1
    time.sleep(2.0)
    assert fault_peer.stats()["shells_open"] == 0
    with pytest.raises(WSManFaultError) as e:
        echo(pool)
    assert e.value.code == 2150858843
    assert "shell was not found" in str(e.value)


def test_stats_counters(fault_peer):
    s0 = fault_peer.stats()
    with RunspacePool(fault_peer.wsman("basic")) as pool:
        echo(pool)
        s1 = fault_peer.stats()
        assert s1["shells_open"] == s0["shells_open"] + 1
    s2 = fault_peer.stats()
    assert s2["shells_created"] == s0["shells_created"] + 1
    assert s2["shells_open"] == s0["shells_open"]
    assert s2["requests"] > s0["requests"]
    for action in ("Create", "Command", "Receive", "Delete"):
        assert s2["requests_by_action"].get(action, 0) >= 1, action
    assert isinstance(s2["cpu_seconds"], float) and s2["cpu_seconds"] > 0
