"""The engine's PowerShell subset, unit level (no network): parsing, evaluation, pipelines,
streams, state per runspace, host calls, stop."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from psrpcore import Command as PSCommand  # noqa: E402
from psrpcore.types import (  # noqa: E402
    ErrorCategory,
    HostMethodIdentifier,
    PipelineResultTypes,
    PSDict,
    PSList,
    PSObject,
)

from psremote_peer.engine import create_engine  # noqa: E402
from psremote_peer.engine import objects as o  # noqa: E402
from psremote_peer.engine.catalog import shared_dir  # noqa: E402
from psremote_peer.engine.testing import RecordingContext, command, pipe, run, script  # noqa: E402


@pytest.fixture(scope="module")
def engine():
    return create_engine("windows-5.1")


@pytest.fixture()
def rs(engine):
    return engine.new_runspace("http://schemas.microsoft.com/powershell/Microsoft.PowerShell", None)


def out(engine, rs, text, **kw):
    ctx, failed = run(engine, rs, script(text), **kw)
    assert failed is None, f"{failed.FullyQualifiedErrorId}: {failed}"
    return [o.plain(v) if not isinstance(v, PSObject) or isinstance(v, (str, int, float)) else v for v in ctx.output]


def prop(obj, name):
    return o.get_property(obj, name)


# --- literals and operators -------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("1 + 2 * 3", [7]),
    ("(1 + 2) * 3", [9]),
    ("10 / 4", [2.5]),
    ("10 / 5", [2]),
    ("7 % 3", [1]),
    ("-7 % 3", [-1]),
    ("7.5 % 2", [1.5]),
    ("[long]::MaxValue", [2**63 - 1]),
    ("[int]::MinValue", [-(2**31)]),
    ("'ab' + 1", ["ab1"]),
    ("'ab' * 3", ["ababab"]),
    ("1,2 + 3", [1, 2, 3]),
    ("@(1,2,3).Count", [3]),
    ("@()", []),
    ("1..4", [1, 2, 3, 4]),
    ("$true -and $false", [False]),
    ("$true -or $false", [True]),
    ("-not $true", [False]),
    ("!$false", [True]),
    ("'Hello' -eq 'hello'", [True]),
    ("'Hello' -ceq 'hello'", [False]),
    ("'Hello' -ne 'world'", [True]),
    ("5 -gt 3", [True]),
    ("5 -lt 3", [False]),
    ("5 -ge 5", [True]),
    ("4 -le 3", [False]),
    ("'10' -gt 9", [False]),  # string comparison: the left operand's type wins
    ("10 -eq '10'", [True]),
    ("'WinRM' -like 'win*'", [True]),
    ("'WinRM' -notlike 'win*'", [False]),
    ("'WinRM' -match '^w.n'", [True]),
    ("'WinRM' -notmatch 'x'", [True]),
    ("@(1,2,3) -contains 2", [True]),
    ("2 -in @(1,2,3)", [True]),
    ("'b' -notin 'a','c'", [True]),
    ("@(1,2,3,2) -eq 2", [2, 2]),
    ("$null -eq $null", [True]),
    ("'a-b-c' -replace '-', '+'", ["a+b+c"]),
    ("'a,b' -split ','", ["a", "b"]),
    ("@('x','y') -join ';'", ["x;y"]),
    ("'{0}-{1:N2}' -f 'a', 3.14159", ["a-3.14"]),
    ("'abc'.ToUpper()", ["ABC"]),
    ("'  x '.Trim().Length", [1]),
    ("[int]'42' + 1", [43]),
    ("[string]42 + 1", ["421"]),
    ("0x10", [16]),
    ("1kb", [1024]),
    ("\"two: $(1+1)\"", ["two: 2"]),
    ("$x = 'w'; \"say $x!\"", ["say w!"]),
    ("'it''s'", ["it's"]),
    ("\"tab`there\"", ["tab\there"]),
    ("$h = @{a=1; b='two'}; $h.b", ["two"]),
    ("$h = @{a=1}; $h['A']", [1]),
    ("$a = 1,2,3; $a[-1]", [3]),
    ("if (1 -gt 2) { 'no' } elseif ($true) { 'yes' } else { 'never' }", ["yes"]),
    ("foreach ($i in 1..3) { $i * 2 }", [2, 4, 6]),
    ("# a comment\n'after' <# block #>", ["after"]),
    ("$x = 3; $x += 2; $x", [5]),
    ("(Get-Date -Year 2001 -Month 2 -Day 3).Year", [2001]),
    ("$d = Get-Date -Year 2020 -Month 1 -Day 2 -Hour 0 -Minute 0 -Second 0; ($d - $d.AddDays(-1)).TotalHours", [24.0]),
    ("((Get-Date) - (Get-HotFix)[0].InstalledOn).Days -gt 0", [True]),
    # interleaved stages each keep their own $_
    ("1..2 | ForEach-Object { \"a$_\"; \"b$_\" } | ForEach-Object { $_ }", ["a1", "b1", "a2", "b2"]),
    ("1..3 | % { $_ * 10 } | ? { $_ -gt 10 } | % { $_ + 1 }", [21, 31]),
    ("'ab','cd' | ForEach-Object ToUpper", ["AB", "CD"]),
    ("'a-b' | ForEach-Object -MemberName Replace -ArgumentList '-', '+'", ["a+b"]),
    # ForEach-Object blocks are dot-sourced: their assignments are visible afterwards
    ("$sum = 0; 1..4 | % { $sum += $_ }; $sum", [10]),
    ("& { $inner = 1 }; $inner", [None]),
    (". { $dotted = 2 }; $dotted", [2]),
])
def test_expressions(engine, rs, text, expected):
    assert out(engine, rs, text) == expected


def test_pscustomobject_literal(engine, rs):
    [obj] = out(engine, rs, "[pscustomobject]@{Name='a'; Size=3}")
    assert obj.PSObject.type_names == ["System.Management.Automation.PSCustomObject", "System.Object"]
    assert [p.name for p in obj.PSObject.extended_properties] == ["Name", "Size"]
    assert prop(obj, "size") == 3


def test_variables_persist_per_runspace_and_reset(engine, rs):
    out(engine, rs, "$counter = 41")
    assert out(engine, rs, "$counter + 1") == [42]
    other = engine.new_runspace("Microsoft.PowerShell", None)
    assert out(engine, other, "$counter") == [None]
    engine.reset_runspace(rs)
    assert out(engine, rs, "$counter") == [None]


def test_seed_hotfix_session(engine, rs):
    """about_Remote: `$h = get-hotfix` then `$h | where {$_.installedby -ne "NT AUTHORITY\\SYSTEM"}`."""
    assert out(engine, rs, "$h = get-hotfix") == []
    result = out(engine, rs, '$h | where {$_.installedby -ne "NT AUTHORITY\\SYSTEM"}')
    assert result, "some hotfixes were installed by someone else"
    assert all(prop(h, "InstalledBy") != "NT AUTHORITY\\SYSTEM" for h in result)
    everything = out(engine, rs, "$h")
    assert len(everything) > len(result)
    assert result[0].PSObject.type_names[0] == \
        "System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering"


def test_where_object_forms(engine, rs):
    block = out(engine, rs, "Get-Service | Where-Object { $_.Status -eq 'Stopped' } | ForEach-Object { $_.Name }")
    simple = out(engine, rs, "Get-Service | Where-Object Status -eq Stopped | ForEach-Object Name")
    alias = out(engine, rs, "Get-Service | ? { $PSItem.Status -eq 'stopped' } | % { $_.Name }")
    implicit = out(engine, rs, "Get-Service | Where-Object Status Stopped | ForEach-Object Name")
    assert block == simple == alias == implicit
    assert "RemoteRegistry" in block and "WinRM" not in block


def test_select_sort_measure(engine, rs):
    [first] = out(engine, rs, "Get-Service | Sort-Object Name -Descending | Select-Object -First 1 Name, Status")
    assert first.PSObject.type_names[0] == "Selected.System.ServiceProcess.ServiceController"
    assert [p.name for p in first.PSObject.extended_properties] == ["Name", "Status"]
    assert prop(first, "Name") == "wuauserv"
    assert o.to_string(prop(first, "Status")) == "Stopped"
    assert out(engine, rs, "Get-Service | Select-Object -Last 1 -ExpandProperty Name") == ["wuauserv"]
    [m] = out(engine, rs, "1,2,3,4 | Measure-Object -Sum -Average -Maximum -Minimum")
    assert m.PSObject.type_names[0] == "Microsoft.PowerShell.Commands.GenericMeasureInfo"
    assert (prop(m, "Count"), prop(m, "Sum"), prop(m, "Average"), prop(m, "Maximum"), prop(m, "Minimum")) == \
        (4, 10.0, 2.5, 4.0, 1.0)
    [m] = out(engine, rs, "Get-Process | Measure-Object -Property WorkingSet64 -Sum")
    assert prop(m, "Property") == "WorkingSet64" and prop(m, "Sum") > 0
    assert out(engine, rs, "3,1,2 | Sort-Object") == [1, 2, 3]
    assert out(engine, rs, "'b','a','b' | Sort-Object -Unique") == ["a", "b"]


def test_param_block_and_args(engine, rs):
    ps = script("param($Name, [int]$Count = 2) \"$Name x $Count\"; $args.Count", "svc", 5, "extra")
    ctx, failed = run(engine, rs, ps)
    assert failed is None
    assert ctx.output == ["svc x 5", 1]
    ps = script("param($Name, [int]$Count = 2) \"$Name x $Count\"", Name="named")
    ctx, _ = run(engine, rs, ps)
    assert ctx.output == ["named x 2"]
    ctx, _ = run(engine, rs, script("$args[1]", "a", "b"))
    assert ctx.output == ["b"]


def test_script_file_with_help_and_cmdletbinding(engine, rs):
    """A local .ps1 sent as script text (`psremote invoke -f`): comment help, attributes, param()."""
    text = ("<#\n.SYNOPSIS\nCollects disks.\n#>\n[CmdletBinding()]\n[OutputType([string])]\n"
            "param([string]$Drive = 'C:')\n\"drive $Drive\"")
    assert out(engine, rs, text) == ["drive C:"]
    ctx, _ = run(engine, rs, script(text, "D:"))
    assert ctx.output == ["drive D:"]


def test_scriptblock_invocation(engine, rs):
    assert out(engine, rs, "& { param($a) $a * 2 } 21") == [42]
    assert out(engine, rs, "$sb = { 'in block' }; & $sb") == ["in block"]


def test_begin_process_end_and_input(engine, rs):
    table = PSDict()
    table["a"] = "b"
    arr = PSList(["a", "b"])
    arr.PSObject.type_names = ["System.Object[]", "System.Array", "System.Object"]
    text = ("begin { $DebugPreference = 'Continue'; Write-Debug 'Start Block' }\n"
            "process { $input }\nend { Write-Debug 'End Block' }")
    ctx, failed = run(engine, rs, script(text), inputs=["1", 2, table, arr])
    assert failed is None
    assert ctx.debug == ["Start Block", "End Block"]
    assert ctx.output[:2] == ["1", 2]
    # Echoed input keeps its Deserialized. names, and an array stays one object (with_input fixture).
    assert ctx.output[2].PSObject.type_names == ["Deserialized.System.Collections.Hashtable",
                                                 "Deserialized.System.Object"]
    assert ctx.output[3].PSObject.type_names == ["Deserialized.System.Object[]", "Deserialized.System.Array",
                                                 "Deserialized.System.Object"]
    assert list(ctx.output[3]) == ["a", "b"]


def test_input_to_command_pipeline(engine, rs):
    ctx, failed = run(engine, rs, pipe(PSCommand("Where-Object").add_parameter("Property", "Length")
                                       .add_parameter("GT", True).add_parameter("Value", 2)),
                      inputs=["ab", "abcd", "xyz"])
    assert failed is None
    assert ctx.output == ["abcd", "xyz"]


# --- streams ---------------------------------------------------------------------------------------


def test_all_streams(engine, rs):
    text = ("$DebugPreference = 'Continue'\n$VerbosePreference = 'Continue'\nWrite-Debug 'debug stream'\n"
            "Write-Verbose 'verbose stream'\nWrite-Error 'error stream'\nWrite-Output 'output stream'\n"
            "Write-Warning 'warning stream'\nWrite-Information 'information stream'\n"
            "Write-Progress -Activity act -Status half -PercentComplete 50\nWrite-Host 'to host'")
    ctx, failed = run(engine, rs, script(text))
    assert failed is None
    assert ctx.output == ["output stream"]
    assert ctx.debug == ["debug stream"] and ctx.verbose == ["verbose stream"]
    assert ctx.warnings == ["warning stream"]
    assert ctx.information[0][0] == "information stream"
    host = ctx.information[1]
    assert host[2] == ["PSHOST"] and prop(host[0], "Message") == "to host"
    assert ctx.progress == [("act", 0, "half", 50, False)]
    [err] = ctx.errors
    assert err.FullyQualifiedErrorId == "Microsoft.PowerShell.Commands.WriteErrorException"
    assert err.Exception.PSObject.type_names[0] == "Microsoft.PowerShell.Commands.WriteErrorException"
    assert err.CategoryInfo.Category == ErrorCategory.NotSpecified


def test_verbose_and_debug_follow_preferences(engine, rs):
    ctx, _ = run(engine, rs, script("Write-Verbose quiet; Write-Debug quiet; Write-Verbose loud -Verbose"))
    assert ctx.verbose == ["loud"] and ctx.debug == []
    ctx, _ = run(engine, rs, script("Write-Warning w -WarningAction SilentlyContinue; Write-Error e -ErrorAction "
                                    "SilentlyContinue; 'done'"))
    assert ctx.warnings == [] and ctx.errors == [] and ctx.output == ["done"]


def test_error_action_stop_fails_pipeline(engine, rs):
    ctx, failed = run(engine, rs, script("Write-Error 'boom' -ErrorAction Stop; 'not reached'"))
    assert failed is not None and str(failed) == "boom"
    assert ctx.output == []


def test_merged_error_stream_goes_to_output(engine, rs):
    c = PSCommand("Write-Error").add_parameter("Message", "merged")
    c.redirect_error(PipelineResultTypes.Output)
    ctx, failed = run(engine, rs, pipe(c))
    assert failed is None and ctx.errors == []
    [rec] = ctx.output
    assert rec.PSObject.type_names[0] == "System.Management.Automation.ErrorRecord"


def test_statement_terminating_error_continues_script(engine, rs):
    ctx, failed = run(engine, rs, script("Get-Service -Bogus; Get-Nope; 'after'"))
    assert failed is None
    assert ctx.output == ["after"]
    ids = [e.FullyQualifiedErrorId for e in ctx.errors]
    assert ids == ["NamedParameterNotFound,Microsoft.PowerShell.Commands.GetServiceCommand",
                   "CommandNotFoundException"]


def test_throw_fails_pipeline(engine, rs):
    ctx, failed = run(engine, rs, script("'before'; throw 'custom failure'; 'after'"))
    assert ctx.output == ["before"]
    assert failed.FullyQualifiedErrorId == "custom failure"
    assert failed.CategoryInfo.Category == ErrorCategory.OperationStopped
    assert failed.Exception.PSObject.type_names[0] == "System.Management.Automation.RuntimeException"


# --- parse errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,error_id", [
    ("1 +", "ExpectedValueExpression"),
    ("Get-Service | ", "EmptyPipeElement"),
    ("'unterminated", "TerminatorExpectedAtEndOfString"),
    ("\"unterminated", "TerminatorExpectedAtEndOfString"),
    ("if ($true) { 'x' ", "MissingEndCurlyBrace"),
    ("(1 + 2", "MissingEndParenthesisInExpression"),
    ("while ($true) { }", "UnsupportedStatement"),
    ("$x = ", "ExpectedExpression"),
    ("Get-Service > out.txt", "UnsupportedRedirection"),
])
def test_parse_errors(engine, rs, text, error_id):
    ctx, failed = run(engine, rs, script("'not run'; " + text))
    assert ctx.output == [], "a script that does not parse runs nothing"
    assert failed is not None
    assert failed.FullyQualifiedErrorId == error_id
    assert failed.CategoryInfo.Category == ErrorCategory.ParserError
    assert failed.CategoryInfo.Reason in ("ParseException", "IncompleteParseException")
    assert str(failed).startswith("At line:1 char:")


def test_parse_error_message_points_at_the_column(engine, rs):
    _, failed = run(engine, rs, script("1 +"))
    assert str(failed) == ("At line:1 char:4\r\n+ 1 +\r\n+    ~\r\n"
                           "You must provide a value expression following the '+' operator.")


def test_unknown_command(engine, rs):
    _, failed = run(engine, rs, command("Get-Nothing"))
    assert failed.FullyQualifiedErrorId == "CommandNotFoundException"
    assert failed.CategoryInfo.Category == ErrorCategory.ObjectNotFound
    assert failed.TargetObject == "Get-Nothing"


# --- host calls, stop, large output -------------------------------------------------------------------


def test_read_host_is_a_host_call(engine, rs):
    ctx, failed = run(engine, rs, command("Read-Host"), host_responses=["typed"])
    assert failed is None and ctx.output == ["typed"]
    assert [m for m, _ in ctx.host_calls] == [HostMethodIdentifier.ReadLine]
    ctx, _ = run(engine, rs, command("Read-Host", AsSecureString=True), host_responses=["secret"])
    assert [m for m, _ in ctx.host_calls] == [HostMethodIdentifier.ReadLineAsSecureString]


def test_read_host_with_prompt_uses_prompt(engine, rs):
    """ReadHostCommand with -Prompt calls PSHostUserInterface.Prompt with one FieldDescription."""
    answer = PSDict()
    answer["Your name"] = "world"
    ctx, failed = run(engine, rs, script("$name = Read-Host 'Your name'; \"hello $name\""),
                      host_responses=[answer])
    assert failed is None
    assert ctx.output == ["hello world"]
    [(method, args)] = ctx.host_calls
    assert method == HostMethodIdentifier.Prompt
    assert args[:2] == ["", ""]
    [field] = args[2]
    assert field.PSObject.type_names == []
    assert [p.name for p in field.PSObject.extended_properties] == [
        "name", "label", "parameterTypeName", "parameterTypeFullName", "parameterAssemblyFullName", "helpMessage",
        "isMandatory", "metadata", "modifiedByRemotingProtocol", "isFromRemoteHost"]
    assert (o.get_property(field, "name"), o.get_property(field, "parameterTypeFullName")) == \
        ("Your name", "System.String")
    ctx, _ = run(engine, rs, command("Read-Host", Prompt="pw", AsSecureString=True), host_responses=[answer])
    assert o.get_property(ctx.host_calls[0][1][2][0], "parameterTypeName") == "SecureString"


def test_start_sleep_honours_stop(engine, rs):
    ctx = RecordingContext()
    done = threading.Event()

    def go():
        engine.invoke(rs, script("Start-Sleep -Seconds 30"), ctx)
        done.set()

    th = threading.Thread(target=go, daemon=True)
    start = time.monotonic()
    th.start()
    time.sleep(0.2)
    ctx._stopping = True
    assert done.wait(5)
    assert time.monotonic() - start < 5


def test_large_output_is_lazy(engine, rs):
    """100 million objects would never fit: the command must produce them one at a time."""
    ctx = RecordingContext()
    ctx.stop_after_outputs = 5
    start = time.process_time()
    engine.invoke(rs, command("Get-PSRemoteLargeOutput", Count=100_000_000), ctx)
    assert len(ctx.output) == 5
    assert time.process_time() - start < 2
    assert prop(ctx.output[4], "Index") == 4
    ctx, _ = run(engine, rs, script("Get-PSRemoteLargeOutput -Megabytes 1 | Measure-Object"))
    assert prop(ctx.output[0], "Count") == 128


def test_select_first_stops_upstream(engine, rs):
    start = time.process_time()
    assert out(engine, rs, "Get-PSRemoteLargeOutput -Count 50000000 | Select-Object -First 2 -ExpandProperty Index") \
        == [0, 1]
    assert time.process_time() - start < 2


def test_get_date_and_uiculture_shapes(engine, rs):
    [d] = out(engine, rs, "Get-Date")
    import datetime

    assert isinstance(d, datetime.datetime)
    assert [p.name for p in d.PSObject.extended_properties] == ["DisplayHint"]
    [c] = out(engine, rs, "get-UICulture")
    assert c.PSObject.type_names == ["System.Globalization.CultureInfo", "System.Object"]
    assert (prop(c, "Name"), prop(c, "LCID"), str(c)) == ("en-US", 1033, "en-US")
    assert out(engine, rs, "Get-Date -Year 2020 -Month 2 -Day 3 -Format 'yyyy-MM-dd'") == ["2020-02-03"]


def test_service_objects_carry_windows_type_names_and_enums(engine, rs):
    [svc] = out(engine, rs, "Get-Service WinRM")
    assert svc.PSObject.type_names == ["System.ServiceProcess.ServiceController", "System.ComponentModel.Component",
                                       "System.MarshalByRefObject", "System.Object"]
    status = prop(svc, "Status")
    assert status.PSObject.type_names[:2] == ["System.ServiceProcess.ServiceControllerStatus", "System.Enum"]
    assert (str(o.to_string(status)), int(status)) == ("Running", 4)
    from psrpcore.types._serializer import serialize
    from xml.etree import ElementTree as ET

    xml = ET.tostring(serialize(svc, None)).decode()
    assert '<ToString>Running</ToString>' in xml and '<I32>4</I32>' in xml
    assert '<S N="Name">WinRM</S>' in xml


def test_set_service_changes_host_state(engine, rs):
    out(engine, rs, "Set-Service -Name W32Time -StartupType Automatic")
    [svc] = out(engine, rs, "Get-Service W32Time")
    assert o.to_string(prop(svc, "StartType")) == "Automatic"
    _, failed = run(engine, rs, command("Set-Service", Name="W32Time", StartupType="Sometimes"))
    assert failed.FullyQualifiedErrorId == "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.SetServiceCommand"
    out(engine, rs, "Set-Service W32Time -StartupType Manual")


def test_restart_computer_is_simulated(engine, rs):
    before = len(engine.events)
    ctx, _ = run(engine, rs, script("Restart-Computer -ComputerName Server01 -WhatIf"))
    assert len(engine.events) == before
    [(method, args)] = ctx.host_calls
    assert method == HostMethodIdentifier.WriteLine2
    assert args == ['What if: Performing the operation "Enable the Remote shutdown access rights and restart the '
                    'computer." on target "Server01 (PSREMOTE-PEER)".']
    out(engine, rs, "Restart-Computer -ComputerName Server01 -Force")
    assert engine.events[-1] == ("restart", "Server01")


def test_confirm_asks_the_host(engine, rs):
    ctx, _ = run(engine, rs, script("Restart-Computer -ComputerName Server02 -Confirm"), host_responses=[2])
    [(method, args)] = ctx.host_calls
    assert method == HostMethodIdentifier.PromptForChoice
    assert args[0] == "Confirm" and [o.get_property(c, "label") for c in args[2]][:3] == ["&Yes", "Yes to &All", "&No"]
    assert ("restart", "Server02") not in engine.events  # the host answered No
    run(engine, rs, script("Restart-Computer -ComputerName Server03 -Confirm"), host_responses=[0])
    assert engine.events[-1] == ("restart", "Server03")


def test_test_connection_objects(engine, rs):
    pings = out(engine, rs, "Test-Connection -ComputerName localhost -Count 2")
    assert len(pings) == 2
    assert pings[0].PSObject.type_names[0] == "System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus"
    assert out(engine, rs, "Test-Connection nohost.invalid -Quiet -Count 1") == [False]


def test_event_logs(engine, rs):
    entries = out(engine, rs, "Get-EventLog -LogName System -Newest 3")
    assert len(entries) == 3 and entries[0].PSObject.type_names[0] == "System.Diagnostics.EventLogEntry"
    assert out(engine, rs, "Get-WinEvent -LogName Application -MaxEvents 2 | Measure-Object | "
                           "Select-Object -ExpandProperty Count") == [2]
    errors = out(engine, rs, "Get-WinEvent -FilterHashtable @{LogName='System'; Level=2}")
    assert errors and all(prop(e, "LevelDisplayName") == "Error" for e in errors)
    assert out(engine, rs, "Get-WinEvent -FilterHashtable @{LogName='System'; Id=7036} -MaxEvents 2 | "
                           "ForEach-Object Id") == [7036, 7036]
    assert out(engine, rs, "@(Get-EventLog -LogName System -After (Get-Date -Year 2026 -Month 11 -Day 23 -Hour 7 "
                           "-Minute 0 -Second 0)).Count") == [8]
    out(engine, rs, "Clear-EventLog -LogName 'Windows PowerShell'")
    assert out(engine, rs, "@(Get-EventLog -LogName 'Windows PowerShell').Count") == [0]


def test_widget_values_serialize_with_their_types(engine, rs):
    """Typed outputs for the generator: every primitive kind, enums and flags, a TimeSpan whose
    whole seconds end in 0 (psrpcore 0.3.1 would write 90 s as PT1M3S; the engine corrects it)."""
    from xml.etree import ElementTree as ET

    from psrpcore.types._serializer import serialize

    [w0, w1] = out(engine, rs, "Get-PSRemoteWidget -Count 2")
    xml = ET.tostring(serialize(w0, None)).decode()
    for fragment in ('<I64 N="Size">10000000000</I64>', '<Db N="Ratio">0.0</Db>', '<B N="Enabled">true</B>',
                     '<G N="Guid">00000000-0000-0000-0000-000000000001</G>', '<TS N="Elapsed">PT1M30S</TS>',
                     '<D N="Price">19.99</D>', '<Version N="Version">1.2.0</Version>', '<Nil N="Parent" />',
                     "<ToString>Red</ToString>", '<S N="Extra">not in the type</S>'):
        assert fragment in xml, fragment
    assert "<ToString>Read, Write</ToString>" in ET.tostring(serialize(w1, None)).decode()


@pytest.mark.skipif(shared_dir() is None, reason="shared/ cmdlet metadata (the 7.6 catalog) is absent")
def test_pwsh_76_catalog_behaviour():
    eng = create_engine("pwsh-7.6")
    rs = eng.new_runspace("Microsoft.PowerShell", None)
    pings = out(eng, rs, "Test-Connection -TargetName localhost -Count 2")
    assert [prop(p, "Ping") for p in pings] == [1, 2]
    assert pings[0].PSObject.type_names[0] == "Microsoft.PowerShell.Commands.TestConnectionCommand+PingStatus"
    assert o.to_string(prop(pings[0], "Status")) == "Success"
    assert out(eng, rs, "Get-Service WinRM | ForEach-Object { $_.Status.ToString() }") == ["Running"]
    ctx, failed = run(eng, rs, command("Get-EventLog", LogName="System"))
    assert failed.FullyQualifiedErrorId == "CommandNotFoundException", "PowerShell 7 has no Get-EventLog"


def test_disk_collect_style_script(engine, rs):
    """What a DiskCollect.ps1 (about_Remote's -FilePath example) does: WMI/CIM disks, env vars."""
    text = ("$disks = Get-CimInstance -ClassName Win32_LogicalDisk\n"
            "foreach ($d in $disks) {\n"
            "  [pscustomobject]@{ Computer = $env:COMPUTERNAME; Drive = $d.DeviceID;\n"
            "                     FreeGB = [math]::Round($d.FreeSpace / 1GB, 1) }\n"
            "}\n"
            "Get-WmiObject -Class Win32_LogicalDisk | Measure-Object -Property Size -Sum | "
            "Select-Object -ExpandProperty Sum")
    result = out(engine, rs, text)
    assert [(prop(r, "Computer"), prop(r, "Drive"), prop(r, "FreeGB")) for r in result[:2]] == \
        [("PSREMOTE-PEER", "C:", 57.0), ("PSREMOTE-PEER", "D:", 46.9)]
    assert result[2] == 136_363_487_232 + 53_684_989_952
    [disk] = out(engine, rs, "Get-CimInstance Win32_LogicalDisk | Select-Object -First 1")
    assert disk.PSObject.type_names[0] == "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_LogicalDisk"


def test_hostile_scripts_fail_cleanly(engine, rs):
    """Deep nesting and odd bytes end as ErrorRecords, never as an exception out of the engine."""
    _, failed = run(engine, rs, script("(" * 5000 + "1" + ")" * 5000))
    assert failed.CategoryInfo.Category == ErrorCategory.ParserError
    _, failed = run(engine, rs, script("$a = @{}; " + "$a." * 3000 + "x"))
    assert failed is not None
    ctx, failed = run(engine, rs, script("$big = 1..1000000000; 'after'"))
    assert ctx.errors[0].FullyQualifiedErrorId == "EndpointLimitExceeded" and ctx.output == ["after"]
    ctx, failed = run(engine, rs, script("'x' * 1e12"))
    assert ctx.errors[0].FullyQualifiedErrorId == "EndpointLimitExceeded"
    for text in ("\x00\x01\x02", "'\udcff'", "@{", "[", "$", "-", "& ", "{{{{", "}", ")", "|", "1 |", "@(", "$(",
                 "\"$(\"", "[int", "param(", "if", "foreach ($x", "1..", "-not", "'a' -", "Get-Service -Name:",
                 "%", "?", "$x.", "$x[", "1,", ",", "[pscustomobject]@{a=", "\"`", "<#", "`"):
        ctx, failed = run(engine, rs, script(text))
        assert failed is None or failed.FullyQualifiedErrorId, text


def test_random_token_soup_never_escapes(engine):
    """A bounded, seeded fuzz over PowerShell-ish tokens: every script either runs or fails with an
    ErrorRecord (PipelineFailed); no Python exception leaves the engine."""
    import random

    rng = random.Random(1234)
    tokens = ["$x", "$_", "=", "|", ";", "\n", "(", ")", "{", "}", "@(", "@{", "[", "]", ",", ".", "..", "+", "-",
              "*", "/", "%", "-eq", "-like", "-not", "-and", "'s'", '"d$x"', "1", "2.5", "0x1f", "Get-Service",
              "Where-Object", "ForEach-Object", "Select-Object", "-First", "-Property", "Name", "Status", "if",
              "else", "foreach", "in", "param", "throw", "return", "[int]", "[pscustomobject]", "Write-Output",
              "-Name", ":", "`", "#", "&", "?", "Sort-Object", "Measure-Object", "-Sum", "$true", "$null", "::"]
    rs = engine.new_runspace("Microsoft.PowerShell", None)
    for _ in range(1500):
        text = " ".join(rng.choice(tokens) for _ in range(rng.randint(1, 12)))
        ctx, failed = run(engine, rs, script(text))
        assert failed is None or isinstance(failed.FullyQualifiedErrorId, str), text


def test_service_control_through_the_pipeline(engine, rs):
    """`Get-Service … | Stop-Service` in one remote pipeline (what chained stubs send)."""
    ps = pipe(PSCommand("Get-Service").add_parameter("Name", "W32T*"),
              PSCommand("Start-Service").add_parameter("PassThru", True))
    ctx, failed = run(engine, rs, ps)
    assert failed is None and [o.to_string(prop(s, "Status")) for s in ctx.output] == ["Running"]
    ctx, failed = run(engine, rs, script("'W32Time' | Stop-Service -PassThru | ForEach-Object { $_.Status.ToString() }"))
    assert ctx.output == ["Stopped"]
    ctx, failed = run(engine, rs, script("Stop-Service MpsSvc; Start-Service RemoteRegistry; 'done'"))
    assert ctx.output == ["done"]
    assert [e.FullyQualifiedErrorId for e in ctx.errors] == [
        "CouldNotStopService,Microsoft.PowerShell.Commands.StopServiceCommand",
        "CouldNotStartService,Microsoft.PowerShell.Commands.StartServiceCommand"]
    # deserialized ServiceControllers sent back as input bind to -InputObject as well
    [svc] = out(engine, rs, "Get-Service W32Time")
    o.mark_deserialized(svc)
    ctx, failed = run(engine, rs, command("Restart-Service", PassThru=True), inputs=[svc])
    assert failed is None and o.to_string(prop(ctx.output[0], "Status")) == "Running"
    out(engine, rs, "Stop-Service W32Time")


def test_interactive_session_helpers(engine):
    """What Enter-PSSession needs: the remote `prompt` function and a location that persists."""
    rs = engine.new_runspace("Microsoft.PowerShell", None)
    ctx, failed = run(engine, rs, command("prompt"))
    assert failed is None and ctx.output == ["PS C:\\Users\\psremote\\Documents> "]
    assert out(engine, rs, "cd ..; (Get-Location).Path") == ["C:\\Users\\psremote"]
    ctx, _ = run(engine, rs, command("prompt"))
    assert ctx.output == ["PS C:\\Users\\psremote> "]
    engine.reset_runspace(rs)
    assert out(engine, rs, "pwd | ForEach-Object Path") == ["C:\\Users\\psremote\\Documents"]
    members = out(engine, rs, "Get-Service WinRM | Get-Member")
    assert members[0].PSObject.type_names[0] == "Microsoft.PowerShell.Commands.MemberDefinition"
    status = next(m for m in members if prop(m, "Name") == "Status")
    assert prop(status, "TypeName") == "System.ServiceProcess.ServiceController"
    assert o.to_string(prop(status, "MemberType")) == "Property"
    assert prop(status, "Definition") == "ServiceControllerStatus Status {get;set;}"


def test_object_helpers(engine, rs):
    assert out(engine, rs, "New-Object PSObject -Property @{a=1} | ForEach-Object a") == [1]
    assert out(engine, rs, "$o = [pscustomobject]@{a=1}; $o | Add-Member -MemberType NoteProperty -Name b "
                           "-Value 2; $o.b; ($o | Add-Member -NotePropertyName c -NotePropertyValue 3 -PassThru).c") \
        == [2, 3]
    groups = out(engine, rs, "Get-Service | Group-Object Status")
    assert [(prop(g, "Name"), prop(g, "Count")) for g in groups] == [("Running", 11), ("Stopped", 4)]
    assert groups[0].PSObject.type_names[0] == "Microsoft.PowerShell.Commands.GroupInfo"
    assert out(engine, rs, "Get-Service WinRM | Select-Object Name, Status | ConvertTo-Json -Compress") == \
        ['{"Name":"WinRM","Status":4}']
    assert out(engine, rs, "'{\"a\": [1, 2], \"b\": {\"c\": \"d\"}}' | ConvertFrom-Json | ForEach-Object { $_.b.c }") \
        == ["d"]
    ctx, _ = run(engine, rs, script("New-Object System.Nope"))
    assert ctx.errors[0].FullyQualifiedErrorId == "TypeNotFound,Microsoft.PowerShell.Commands.NewObjectCommand"


def test_concurrent_pipelines_on_one_runspace(engine):
    """Pipelines of one pool may run at once: each keeps its own $_ and $input; variables are shared."""
    rs = engine.new_runspace("Microsoft.PowerShell", None)
    results: dict[int, list] = {}

    def worker(n: int) -> None:
        ctx, failed = run(engine, rs, script(
            f"1..300 | ForEach-Object {{ $_ * {n} }} | Where-Object {{ $_ % {n} -eq 0 }} | "
            f"ForEach-Object {{ \"{n}:$_\" }}; $shared{n} = {n}"))
        results[n] = [failed] + ctx.output

    threads = [threading.Thread(target=worker, args=(n,)) for n in (2, 3, 5, 7)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    for n in (2, 3, 5, 7):
        assert results[n][0] is None
        assert results[n][1:] == [f"{n}:{i * n}" for i in range(1, 301)]
    assert out(engine, rs, "$shared2 + $shared3 + $shared5 + $shared7") == [17]


def test_host_object_forwards_to_the_client(engine, rs):
    """$host.UI / RawUI calls become host calls with host-encoded arguments, as in the pshost
    recordings (colours as integers, PromptForCredential as PromptForCredential2 with 3, 1)."""
    text = ("$host.CurrentCulture; $host.SetShouldExit(1); $name = $host.UI.ReadLine(); \"got $name\"\n"
            "$host.UI.Write('Write1'); $host.UI.Write([System.ConsoleColor]::Blue, [System.ConsoleColor]::White, "
            "'Write2'); $host.UI.WriteLine(); $host.UI.WriteLine('WriteLine2'); $host.UI.WriteErrorLine('err')\n"
            "$host.UI.PromptForCredential('c', 'm', 'u', 't') | Out-Null\n"
            "$host.UI.PromptForChoice('c', 'm', @('&Yes', '&No'), 0)\n"
            "$host.UI.RawUI.ForegroundColor; $host.UI.RawUI.WindowTitle = 'new'; $host.Name")
    ctx, failed = run(engine, rs, script(text), host_responses=["typed", None, 1, 7])
    assert failed is None
    assert [str(v) for v in ctx.output] == ["en-US", "got typed", "1", "7", "ServerRemoteHost"]
    calls = [(m.name, [o.plain(a) if not isinstance(a, list) else len(a) for a in args])
             for m, args in ctx.host_calls]
    assert calls == [
        ("SetShouldExit", [1]), ("ReadLine", []), ("Write1", ["Write1"]), ("Write2", [9, 15, "Write2"]),
        ("WriteLine1", []), ("WriteLine2", ["WriteLine2"]), ("WriteErrorLine", ["err"]),
        ("PromptForCredential2", ["c", "m", "u", "t", 3, 1]), ("PromptForChoice", ["c", "m", 2, 0]),
        ("GetForegroundColor", []), ("SetWindowTitle", ["new"])]
    assert out(engine, rs, "$h = @{}; $h.Add('k', 1); [void]$h.Count; $h.k") == [1]
