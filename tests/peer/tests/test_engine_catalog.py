"""The engine's catalog: what Get-Command lists, GET_COMMAND_METADATA replies compared with the real
Windows reply in shared/fixtures, the discovery script's answer, the fallback fact table, and the
2,000-command scale catalog (unit level, no network)."""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import time
from xml.etree import ElementTree as ET

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from psrpcore.types._serializer import serialize  # noqa: E402

from psremote_peer.engine import build_catalog, create_engine  # noqa: E402
from psremote_peer.engine import objects as o  # noqa: E402
from psremote_peer.engine.catalog import shared_dir  # noqa: E402
from psremote_peer.engine.testing import command, run, script  # noqa: E402

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="shared/ (cmdlet metadata and Windows fixtures) is absent; "
                                                          "set PSREMOTE_SHARED or put it beside the repository")
DISCOVERY = "# psremote-discovery v1\nparam([string[]]$Name = '*', [string[]]$Module, [string[]]$CommandType, " \
            "[string[]]$Skip)\n# (the script body runs only on Windows)\n"


@pytest.fixture(scope="module")
def engine():
    return create_engine("windows-5.1")


@pytest.fixture()
def rs(engine):
    return engine.new_runspace("Microsoft.PowerShell", None)


# --- the catalog -------------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("version,catalog", [("5.1", "windows-5.1"), ("7.6", "pwsh-7.6")])
def test_every_documented_cmdlet_is_listed(version, catalog):
    docs = []
    for f in glob.glob(os.path.join(str(SHARED), "fixtures", "cmdlet-metadata", version, "*.json")):
        with open(f, encoding="utf-8") as fh:
            docs.extend(json.load(fh))
    eng = create_engine(catalog)
    rs = eng.new_runspace("Microsoft.PowerShell", None)
    ctx, failed = run(eng, rs, command("Get-Command", CommandType=["Cmdlet", "Function"]))
    assert failed is None
    listed = {o.get_property(c, "Name") for c in ctx.output}
    assert {d["name"] for d in docs} <= listed
    assert len(docs) == {"5.1": 324, "7.6": 285}[version]
    reply = eng.command_metadata(rs, ["*"], 511, [], [])
    assert {d["name"] for d in docs} <= {o.get_property(c, "Name") for c in reply[1:]}


@needs_shared
def test_documented_parameters_carry_over(engine):
    svc = engine.catalog.get("Get-Service")
    name = svc.find_parameter("Name")
    assert name.type == "System.String[]" and name.aliases == ["ServiceName"]
    m = name.membership("Default")
    assert (m.position, m.value_from_pipeline, m.value_from_pipeline_by_property_name) == (0, True, True)
    assert svc.default_parameter_set == "Default" and svc.named_sets() == ["Default", "DisplayName", "InputObject"]
    assert not name.in_set("DisplayName")
    # accepted values on an enum-typed parameter are the enum's names, not a ValidateSet
    startup = engine.catalog.get("Set-Service").find_parameter("StartupType")
    assert startup.validate_set is None
    assert engine.enum_values(startup.type) is not None


def test_builtin_facts_without_shared(tmp_path, monkeypatch):
    monkeypatch.setenv("PSREMOTE_SHARED", str(tmp_path))
    cat, _ = build_catalog("windows-5.1")
    assert cat.source == "builtin"
    for name in ("Restart-Computer", "Test-Connection", "Clear-EventLog", "Get-EventLog", "Get-HotFix",
                 "Get-Process", "Get-Service", "Set-Service", "Get-WinEvent", "Get-WmiObject", "Get-UICulture",
                 "Get-Command", "Get-Date", "Write-Output", "Write-Error", "Write-Warning", "Write-Verbose",
                 "Write-Debug", "Write-Information", "Write-Progress", "Write-Host", "Read-Host", "Start-Sleep"):
        cmd = cat.get(name)
        assert cmd is not None and cmd.impl is not None, name
    eng = create_engine("windows-5.1")  # built while PSREMOTE_SHARED points at an empty folder
    assert eng.catalog.source == "builtin"
    rs = eng.new_runspace("Microsoft.PowerShell", None)
    ctx, failed = run(eng, rs, script("Get-Service -ServiceName WinRM | Where-Object Status -eq Running | "
                                      "Select-Object -ExpandProperty DisplayName"))
    assert failed is None and ctx.output == ["Windows Remote Management (WS-Management)"]
    ctx, failed = run(eng, rs, script("Get-Service | ? { $_.Status -eq 'Stopped' } | % { $_.Name } | "
                                      "Sort-Object | Select-Object -First 1"))
    assert failed is None and ctx.output == ["Netlogon"]


def test_get_command_objects(engine, rs):
    ctx, failed = run(engine, rs, command("Get-Command", Name="Get-Serv*"))
    assert failed is None
    [c] = ctx.output
    assert c.PSObject.type_names == ["System.Management.Automation.CmdletInfo",
                                     "System.Management.Automation.CommandInfo", "System.Object"]
    assert o.to_string(o.get_property(c, "CommandType")) == "Cmdlet"
    assert o.get_property(c, "ModuleName") == "Microsoft.PowerShell.Management"
    ctx, _ = run(engine, rs, command("Get-Command", Name="psrset"))
    [a] = ctx.output
    assert a.PSObject.type_names[0] == "System.Management.Automation.AliasInfo"
    assert o.get_property(a, "ResolvedCommandName") == "Invoke-PSRemoteParameterSet"


# --- GET_COMMAND_METADATA vs the real reply -----------------------------------------------------------


def _fixture_calls() -> list[tuple[ET.Element, list[ET.Element]]]:
    text = open(os.path.join(str(SHARED), "fixtures", "windows-wsman", "command_metadata_reply.clixml.txt"),
                encoding="utf-8").read()
    chunks = re.split(r"^# -+ Call (\d) reply #\d+: (PIPELINE_OUTPUT|PIPELINE_STATE).*$|^# Call (\d): client.*$",
                      text, flags=re.M)
    calls: list[tuple[ET.Element, list[ET.Element]]] = []
    i = 1
    while i < len(chunks):
        kind, request_call = chunks[i + 1], chunks[i + 2]
        body = chunks[i + 3]
        xml = "\n".join(line for line in body.splitlines() if not line.startswith("#")).strip()
        if request_call:
            calls.append((ET.fromstring(xml), []))
        elif kind == "PIPELINE_OUTPUT":
            calls[-1][1].append(ET.fromstring(xml))
        i += 4
    return calls


def _request(req: ET.Element) -> tuple[list[str], int, list[str]]:
    ms = req.find("MS")
    assert ms is not None
    names = [s.text or "" for s in ms.findall("./Obj[@N='Name']/LST/S")]
    ctype = int(ms.find("./I32[@N='CommandType']").text)  # type: ignore[union-attr,arg-type]
    namespace = [s.text or "" for s in ms.findall("./Obj[@N='Namespace']/LST/S")]
    return names, ctype, namespace


def shape(el: ET.Element, tn_refs: dict[str, list[str]]) -> t_shape:
    """The structure of a CLIXML element without RefIds and values that legitimately differ:
    tag, property name, type names (TNRef resolved), ToString, then children in order."""
    if el.tag == "Obj":
        tn_el = el.find("TN")
        if tn_el is not None:
            names = [x.text or "" for x in tn_el.findall("T")]
            tn_refs[tn_el.get("RefId", "")] = names
        else:
            ref = el.find("TNRef")
            names = tn_refs.get(ref.get("RefId", ""), []) if ref is not None else []
        to_string = el.find("ToString")
        parts = []
        for child in el:
            if child.tag in ("TN", "TNRef", "ToString"):
                continue
            if child.tag in ("Props", "MS", "LST", "DCT"):
                parts.append((child.tag, [shape(c, tn_refs) for c in child]))
            else:
                parts.append(("value", [shape(child, tn_refs)]))
        return ("Obj", el.get("N"), tuple(names), to_string is not None, tuple((k, tuple(v)) for k, v in parts))
    if el.tag == "En":
        return ("En", None, (), False, tuple(("kv", (shape(c, tn_refs),)) for c in el))
    return (el.tag, el.get("N"), (), False, ())


t_shape = tuple


def _key_names(obj: ET.Element) -> list[str]:
    return [k.text or "" for k in obj.findall("./MS/Obj[@N='Parameters']/DCT/En/S[@N='Key']")]


@needs_shared
def test_metadata_reply_matches_the_windows_reply(engine, rs):
    calls = _fixture_calls()
    assert len(calls) == 3
    for req, windows in calls:
        names, ctype, namespace = _request(req)
        ours = engine.command_metadata(rs, names, ctype, namespace, [])
        ours_xml = [serialize(v, None) for v in ours]
        assert len(ours_xml) == len(windows), names
        # the count object, then the same commands in the same order
        assert ours_xml[0].find("./MS/I32[@N='Count']").text == windows[0].find("./MS/I32[@N='Count']").text
        assert [e.findtext("./MS/S[@N='Name']") for e in ours_xml[1:]] == \
            [e.findtext("./MS/S[@N='Name']") for e in windows[1:]]
        for mine, real in zip(ours_xml, windows):
            assert shape(mine, {})[:4] == shape(real, {})[:4]
            if real.find("./MS/Obj[@N='Parameters']") is None:
                continue
            # same properties, same kinds, same order; each ParameterMetadata shaped alike
            assert [(c.tag, c.get("N")) for c in mine.find("MS")] == [(c.tag, c.get("N")) for c in real.find("MS")]
            assert set(_key_names(mine)) == set(_key_names(real))
            common = ["Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ErrorVariable",
                      "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable"]
            assert [k for k in _key_names(mine) if k in common + ["WhatIf", "Confirm"]] == \
                [k for k in _key_names(real) if k in common + ["WhatIf", "Confirm"]]
            refs_m: dict[str, list[str]] = {}
            refs_r: dict[str, list[str]] = {}
            for part in ("CommandType", "OutputType", "Parameters"):
                pm = shape(mine.find(f"./MS/Obj[@N='{part}']"), refs_m)
                pr = shape(real.find(f"./MS/Obj[@N='{part}']"), refs_r)
                assert pm[:4] == pr[:4], part
            m_values = {k.text: v for k, v in zip(mine.findall(".//DCT/En/S[@N='Key']"),
                                                  mine.findall(".//DCT/En/Obj[@N='Value']"))}
            r_values = {k.text: v for k, v in zip(real.findall(".//DCT/En/S[@N='Key']"),
                                                  real.findall(".//DCT/En/Obj[@N='Value']"))}
            for key, rv in r_values.items():
                mv = m_values[key]
                assert [(c.tag, c.get("N")) for c in mv.find("Props")] == [(c.tag, c.get("N")) for c in rv.find("Props")]
                assert mv.findtext("ToString") == rv.findtext("ToString")
                assert mv.findtext("./Props/S[@N='ParameterType']") == rv.findtext("./Props/S[@N='ParameterType']"), key
                assert mv.findtext("./Props/B[@N='SwitchParameter']") == rv.findtext("./Props/B[@N='SwitchParameter']")
                assert [s.text for s in mv.findall("./Props/Obj[@N='Aliases']/LST/S")] == \
                    [s.text for s in rv.findall("./Props/Obj[@N='Aliases']/LST/S")], key


def test_metadata_filters(engine, rs):
    def names(n, ct=511, ns=None):
        return [o.get_property(c, "Name") for c in engine.command_metadata(rs, n, ct, ns or [], [])[1:]]

    assert names(["get-service"]) == ["Get-Service"]
    assert names(["Get-PSRemote*"], 8) == ["Get-PSRemoteAliased", "Get-PSRemoteDynamic", "Get-PSRemoteEnum",
                                           "Get-PSRemoteHelpMessage", "Get-PSRemoteKeyword",
                                           "Get-PSRemoteLargeOutput", "Get-PSRemoteWidget"]
    assert names(["*"], 2, ["PSRemote.Synthetic"]) == ["Get-PSRemoteFunction"]
    assert names(["*"], 1, ["PSRemote.Synthetic"]) == ["Get-PSRemoteAlias", "psrset"]
    assert names(["nothing-matches*"]) == []
    [count, alias] = engine.command_metadata(rs, ["psrset"], 511, [], [])
    assert o.get_property(count, "Count") == 1
    assert alias.PSObject.type_names[0] == "Selected.System.Management.Automation.AliasInfo"
    assert o.get_property(alias, "ResolvedCommandName") == "Invoke-PSRemoteParameterSet"
    [_, dyn] = engine.command_metadata(rs, ["Get-PSRemoteDynamic"], 511, [], [])
    hive = o.get_property(dyn, "Parameters")["Hive"]
    assert o.get_property(hive, "IsDynamic") is True


# --- the discovery answer -------------------------------------------------------------------------


def discover(engine, rs, **params):
    ctx, failed = run(engine, rs, script(DISCOVERY, **params))
    assert failed is None, failed
    assert all(isinstance(s, str) for s in ctx.output)
    docs = [json.loads(s) for s in ctx.output]
    assert docs[-1]["kind"] == "types" and all(d["kind"] == "command" for d in docs[:-1])
    return {d["name"]: d for d in docs[:-1]}, docs[-1]["types"]


PARAM_KEYS = ["name", "type", "is_mandatory", "position", "value_from_pipeline",
              "value_from_pipeline_by_property_name", "value_from_remaining_arguments", "help_message", "aliases",
              "is_dynamic", "is_switch", "validate_set", "validate_range", "validate_length", "validate_count",
              "validate_pattern"]
COMMAND_KEYS = ["kind", "name", "command_type", "module", "module_version", "help_uri", "synopsis",
                "default_parameter_set", "output_types", "resolved_command_name", "supports_common_parameters",
                "parameter_sets"]


@needs_shared
def test_discovery_for_seed_cmdlets(engine, rs):
    seed = ["Restart-Computer", "Test-Connection", "Clear-EventLog", "Get-EventLog", "Get-HotFix", "Get-Process",
            "Get-Service", "Set-Service", "Get-WinEvent", "Get-WmiObject", "Get-UICulture", "Get-Command", "Get-Date",
            "Write-Output", "Write-Error", "Write-Warning", "Write-Verbose", "Write-Information", "Write-Progress"]
    cmds, types = discover(engine, rs, Name=seed)
    assert sorted(cmds) == sorted(seed)
    gsv = cmds["Get-Service"]
    assert list(gsv) == COMMAND_KEYS
    assert (gsv["command_type"], gsv["module"], gsv["module_version"], gsv["default_parameter_set"]) == \
        ("Cmdlet", "Microsoft.PowerShell.Management", "3.1.0.0", "Default")
    assert gsv["output_types"] == ["System.ServiceProcess.ServiceController"]
    assert [s["name"] for s in gsv["parameter_sets"]] == ["Default", "DisplayName", "InputObject"]
    assert [s["is_default"] for s in gsv["parameter_sets"]] == [True, False, False]
    default = {p["name"]: p for p in gsv["parameter_sets"][0]["parameters"]}
    assert list(default["Name"]) == PARAM_KEYS
    assert default["Name"] == {
        "name": "Name", "type": "System.String[]", "is_mandatory": False, "position": 0,
        "value_from_pipeline": True, "value_from_pipeline_by_property_name": True,
        "value_from_remaining_arguments": False, "help_message": None, "aliases": ["ServiceName"],
        "is_dynamic": False, "is_switch": False, "validate_set": None, "validate_range": None,
        "validate_length": None, "validate_count": None, "validate_pattern": None}
    assert "Verbose" not in default and "ErrorAction" not in default, "common parameters are left out"
    assert default["DependentServices"]["is_switch"] is True
    display = {p["name"]: p for p in gsv["parameter_sets"][1]["parameters"]}
    assert "Name" not in display and display["DisplayName"]["is_mandatory"] is True
    svc = types["System.ServiceProcess.ServiceController"]["properties"]
    assert {"name": "Status", "type": "System.ServiceProcess.ServiceControllerStatus"} in svc
    assert types["System.ServiceProcess.ServiceControllerStatus"] == {
        "enum_values": ["Stopped", "StartPending", "StopPending", "Running", "ContinuePending", "PausePending",
                        "Paused"], "flags": False}
    assert types["System.ServiceProcess.ServiceType"]["flags"] is True
    assert "System.ServiceProcess.ServiceStartMode" in types  # Set-Service -StartupType
    assert "System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering" in types
    assert cmds["Get-UICulture"]["default_parameter_set"] is None
    assert cmds["Get-UICulture"]["parameter_sets"] == [{"name": "__AllParameterSets", "is_default": True,
                                                        "parameters": []}]


def test_discovery_synthetic_shapes(engine, rs):
    cmds, types = discover(engine, rs, Module=["PSRemote.Synthetic"])
    v = {p["name"]: p for p in cmds["Test-PSRemoteValidation"]["parameter_sets"][0]["parameters"]}
    assert v["Color"]["validate_set"] == ["Red", "Green", "Blue"] and v["Color"]["is_mandatory"]
    assert v["Percent"]["validate_range"] == {"min": 0, "max": 100}
    assert v["Code"]["validate_length"] == {"min": 2, "max": 8}
    assert v["Tags"]["validate_count"] == {"min": 1, "max": 3}
    assert v["Ticket"]["validate_pattern"] == r"^[A-Z]{3}-\d+$"
    assert v["Ticket"]["help_message"] == "A ticket id such as ABC-123."
    rem = cmds["Invoke-PSRemoteRemaining"]["parameter_sets"][0]["parameters"]
    assert [p["value_from_remaining_arguments"] for p in rem] == [False, True]
    dyn = {p["name"]: p for p in cmds["Get-PSRemoteDynamic"]["parameter_sets"][0]["parameters"]}
    assert dyn["Hive"]["is_dynamic"] and not dyn["Mode"]["is_dynamic"]
    assert cmds["psrset"]["command_type"] == "Alias"
    assert cmds["psrset"]["resolved_command_name"] == "Invoke-PSRemoteParameterSet"
    assert cmds["psrset"]["default_parameter_set"] is None and cmds["psrset"]["help_uri"] is None
    assert cmds["psrset"]["synopsis"] == cmds["Invoke-PSRemoteParameterSet"]["synopsis"]
    assert cmds["Get-PSRemoteFunction"]["supports_common_parameters"] is True
    assert cmds["Get-PSRemoteFunction"]["command_type"] == "Function"
    sets = cmds["Invoke-PSRemoteParameterSet"]["parameter_sets"]
    assert [(s["name"], s["is_default"]) for s in sets] == [("ByName", True), ("ById", False), ("ByObject", False)]
    widget = types["PSRemote.Synthetic.Widget"]["properties"]
    assert {"name": "Color", "type": "PSRemote.Synthetic.Color"} in widget
    assert types["PSRemote.Synthetic.AccessFlags"] == {"enum_values": ["None", "Read", "Write", "Execute", "All"],
                                                       "flags": True}
    assert types["PSRemote.Synthetic.Color"]["flags"] is False


def test_discovery_filters(engine, rs):
    cmds, _ = discover(engine, rs, Name=["Get-PSRemote*"], CommandType=["Function"])
    assert list(cmds) == ["Get-PSRemoteFunction"]
    cmds, _ = discover(engine, rs, Name=["*-PSRemote*"], Skip=["get-psremotewidget", "Get-*"])
    assert cmds and "Get-PSRemoteWidget" not in cmds and "Get-PSRemoteEnum" in cmds, "Skip takes exact names"
    ctx, failed = run(engine, rs, script(DISCOVERY, "Get-Service"))
    assert failed is None and json.loads(ctx.output[0])["name"] == "Get-Service"
    ctx, failed = run(engine, rs, script("\ufeff" + DISCOVERY.replace("\n", "\r\n"), Name="Get-Date"))
    assert failed is None and json.loads(ctx.output[0])["name"] == "Get-Date"


def test_discovery_unknown_parameter(engine, rs):
    _, failed = run(engine, rs, script(DISCOVERY, CommandName="x"))
    assert failed.FullyQualifiedErrorId == "NamedParameterNotFound"


def test_discovery_refused_on_restricted(engine):
    rs = engine.new_runspace("http://schemas.microsoft.com/powershell/Restricted", None)
    _, failed = run(engine, rs, script(DISCOVERY))
    assert failed.FullyQualifiedErrorId == "ScriptsNotAllowed"


# --- scale -----------------------------------------------------------------------------------------


def test_scale_catalog_size_and_speed():
    start = time.process_time()
    eng = create_engine("scale:2000")
    load = time.process_time() - start
    base = create_engine("windows-5.1")
    assert len(eng.catalog) == len(base.catalog) + 2000
    rs = eng.new_runspace("Microsoft.PowerShell", None)
    scale = [c for c in eng.catalog.commands() if c.module.startswith("PSRemote.Scale")]
    assert len(scale) == 2000
    # varied metadata: several sets, mandatory, positional, switches, enums, ValidateSet, functions
    assert sum(len(c.named_sets()) > 1 for c in scale) > 300
    assert sum(any(m.mandatory for p in c.parameters for m in p.sets) for c in scale) > 500
    assert sum(any(p.is_switch for p in c.parameters) for c in scale) > 300
    assert sum(any(p.validate_set for p in c.parameters) for c in scale) > 50
    assert sum(c.command_type == "Function" for c in scale) == 400

    start = time.process_time()
    reply = eng.command_metadata(rs, ["*"], 511, ["PSRemote.Scale*"], [])
    meta = time.process_time() - start
    assert len(reply) == 2001 and o.get_property(reply[0], "Count") == 2000

    from psremote_peer.engine.binder import Arg
    from psremote_peer.engine.discovery import discovery_output

    start = time.process_time()
    out = list(discovery_output(eng, rs, [Arg(["PSRemote.Scale*"], "Module", True)]))
    disc = time.process_time() - start
    assert len(out) == 2001
    assert load < 3.0, load
    assert meta < 1.0 and disc < 1.0, (meta, disc)
    # and the generated commands run: they echo what bound
    name = next(c.name for c in scale if not any(m.mandatory for p in c.parameters for m in p.sets))
    ctx, failed = run(eng, rs, command(name))
    assert failed is None and o.get_property(ctx.output[0], "Command") == name


def test_wire_element_order_is_windows_order(engine, rs):
    """TN, ToString, value/container, Props, MS inside every <Obj>, as the recordings show."""
    ctx, _ = run(engine, rs, script("Get-Service WinRM; Write-Error x"))
    for value in ctx.output + ctx.errors:
        for obj in serialize(value, None).iter("Obj"):
            tags = [c.tag for c in obj]
            rank = {"TN": 0, "TNRef": 0, "ToString": 1, "Props": 4, "MS": 5}
            ranks = [rank.get(tg, 3 if tg in ("LST", "DCT", "STK", "QUE", "IE") else 2) for tg in tags]
            assert ranks == sorted(ranks), tags
    status = serialize(ctx.output[0], None).find("./Props/Obj[@N='Status']")
    assert [c.tag for c in status] == ["TN", "ToString", "I32"]


def _recorded_failure(name: str) -> ET.Element:
    """The ExceptionAsErrorRecord of the first failed PIPELINE_STATE in a decoded recording."""
    text = open(os.path.join(str(SHARED), "fixtures", "windows-wsman", f"{name}.decoded.txt"), encoding="utf-8").read()
    for block in text.split(">>> PSRP message PIPELINE_STATE")[1:]:
        lines = block.splitlines()[3:]
        xml = []
        for line in lines:
            if line.startswith("  ---") or line.startswith("===="):
                break
            xml.append(line)
        state = ET.fromstring("\n".join(xml))
        record = state.find("./MS/Obj[@N='ExceptionAsErrorRecord']")
        if record is not None:
            return record
    raise AssertionError(f"no failed pipeline in {name}")


@needs_shared
def test_scripts_not_allowed_matches_the_jea_recording(engine):
    windows = _recorded_failure("test_psrp_with_jea_configuration")
    rs = engine.new_runspace("Restricted", None)
    script_text = windows.findtext("./MS/S[@N='TargetObject']")
    _, failed = run(engine, rs, script(script_text))
    ours = serialize(failed, None)
    assert [(c.tag, c.get("N")) for c in ours.find("MS")] == [(c.tag, c.get("N")) for c in windows.find("MS")]
    for n in ("FullyQualifiedErrorId", "ErrorCategory_Reason", "ErrorCategory_TargetName", "ErrorCategory_TargetType",
              "ErrorCategory_Message", "TargetObject"):
        assert ours.findtext(f"./MS/S[@N='{n}']") == windows.findtext(f"./MS/S[@N='{n}']"), n
    assert ours.findtext("./MS/I32[@N='ErrorCategory_Category']") == "17"
    assert ours.findtext("ToString") == windows.findtext("ToString")
    ex_ours, ex_win = ours.find("./MS/Obj[@N='Exception']"), windows.find("./MS/Obj[@N='Exception']")
    assert [t.text for t in ex_ours.find("TN")] == [t.text for t in ex_win.find("TN")]
    assert [c.get("N") for c in ex_ours.find("Props")] == [c.get("N") for c in ex_win.find("Props")]
    assert [c.tag for c in ours] == [c.tag for c in windows]


@needs_shared
def test_write_error_record_matches_the_recording(engine, rs):
    text = open(os.path.join(str(SHARED), "fixtures", "windows-wsman", "test_psrp_stream_output_invocation.decoded.txt"),
                encoding="utf-8").read()
    block = text.split(">>> PSRP message ERROR_RECORD")[1].splitlines()[3:]
    xml = []
    for line in block:
        if line.startswith("  ---") or line.startswith("===="):
            break
        xml.append(line)
    windows = ET.fromstring("\n".join(xml))
    ctx, _ = run(engine, rs, script("Write-Error 'error stream'"))
    ours = serialize(ctx.errors[0], None)
    for n in ("FullyQualifiedErrorId", "ErrorCategory_Message", "ErrorCategory_Reason"):
        assert ours.findtext(f"./MS/S[@N='{n}']") == windows.findtext(f"./MS/S[@N='{n}']"), n
    ex_ours, ex_win = ours.find("./MS/Obj[@N='Exception']"), windows.find("./MS/Obj[@N='Exception']")
    assert [t.text for t in ex_ours.find("TN")] == [t.text for t in ex_win.find("TN")]
    assert [c.get("N") for c in ex_ours.find("Props")] == [c.get("N") for c in ex_win.find("Props")]
    assert ex_ours.findtext("ToString") == ex_win.findtext("ToString")
    assert ours.findtext("./MS/B[@N='SerializeExtendedInfo']") == "true"
