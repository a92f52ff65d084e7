"""Parameter binding against the catalog's metadata, and the ErrorRecords PowerShell gives when it
fails (unit level, no network)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from psrpcore import Command as PSCommand  # noqa: E402
from psrpcore.types import ErrorCategory  # noqa: E402

from psremote_peer.engine import create_engine  # noqa: E402
from psremote_peer.engine import objects as o  # noqa: E402
from psremote_peer.engine.testing import command, pipe, run, script  # noqa: E402

SYN = "PSRemote.Synthetic"


@pytest.fixture(scope="module")
def engine():
    return create_engine("windows-5.1")


@pytest.fixture()
def rs(engine):
    return engine.new_runspace("Microsoft.PowerShell", None)


def binding(engine, rs, ps, inputs=None):
    ctx, failed = run(engine, rs, ps, inputs=inputs)
    assert failed is None, f"{failed.FullyQualifiedErrorId}: {failed}"
    result = []
    for b in ctx.output:
        assert b.PSObject.type_names[0] == "PSRemote.Synthetic.Binding"
        bound = o.get_property(b, "BoundParameters")
        result.append((o.get_property(b, "ParameterSetName"), {str(k): v for k, v in bound.items()}))
    return result, ctx


def failure(engine, rs, ps, inputs=None):
    """The error: the Failed pipeline's record for a Command; in a script a binding error is
    statement-terminating, so it arrives on the error stream and the pipeline completes."""
    ctx, failed = run(engine, rs, ps, inputs=inputs)
    if failed is not None:
        return failed
    assert ctx.output == [] and len(ctx.errors) == 1, f"expected one error, got {ctx.output} {ctx.errors}"
    return ctx.errors[0]


# --- sets, positions, names --------------------------------------------------------------------------


def test_default_set_and_positional(engine, rs):
    [(pset, bound)], _ = binding(engine, rs, command("Invoke-PSRemoteParameterSet", "alpha"))
    assert pset == "ByName" and bound == {"Name": "alpha"}


def test_set_chosen_by_named_parameter(engine, rs):
    [(pset, bound)], _ = binding(engine, rs, command("Invoke-PSRemoteParameterSet", Id="7"))
    assert pset == "ById" and bound == {"Id": 7}
    [(pset, bound)], _ = binding(engine, rs, command("Invoke-PSRemoteParameterSet", "a", "p1", Force=True))
    assert pset == "ByName" and list(bound["Path"]) == ["p1"] and bound["Force"] is True


def test_script_syntax_binding(engine, rs):
    [(pset, bound)], _ = binding(engine, rs, script("Invoke-PSRemoteParameterSet -Id:5 -Force:$false"))
    assert pset == "ById" and bound == {"Id": 5, "Force": False}
    [(_, bound)], _ = binding(engine, rs, script("Invoke-PSRemoteParameterSet -Na x -Pa a,b"))
    assert bound["Name"] == "x" and list(bound["Path"]) == ["a", "b"]


def test_alias_and_prefix(engine, rs):
    [(_, bound)], _ = binding(engine, rs, script("Get-PSRemoteAliased -HostName a,b -s -RunAs $null"))
    assert list(bound["ComputerName"]) == ["a", "b"] and bound["Recurse"] is True
    [(_, bound)], _ = binding(engine, rs, script("Get-PSRemoteAliased -Comp x"))
    assert list(bound["ComputerName"]) == ["x"]


def test_keyword_named_parameters(engine, rs):
    [(_, bound)], _ = binding(engine, rs, command("Get-PSRemoteKeyword", Type="t", Ref="r", Async=True,
                                                  Loop=3))
    assert bound == {"Type": "t", "Ref": "r", "Async": True, "Loop": 3}


def test_remaining_arguments(engine, rs):
    [(_, bound)], _ = binding(engine, rs, script("Invoke-PSRemoteRemaining one two three 4"))
    assert bound["First"] == "one" and list(bound["Rest"]) == ["two", "three", 4]


def test_dynamic_parameters(engine, rs):
    [(_, bound)], _ = binding(engine, rs, script("Get-PSRemoteDynamic -Mode Registry -Hive HKLM"))
    assert bound == {"Mode": "Registry", "Hive": "HKLM"}
    [(_, bound)], _ = binding(engine, rs, script("Get-PSRemoteDynamic Registry HKCU"))
    assert bound == {"Mode": "Registry", "Hive": "HKCU"}
    failed = failure(engine, rs, script("Get-PSRemoteDynamic -Mode File -Hive HKLM"))
    assert failed.FullyQualifiedErrorId == "NamedParameterNotFound,PSRemote.Synthetic.GetPSRemoteDynamicCommand"


def test_enum_parameters(engine, rs):
    [(_, bound)], _ = binding(engine, rs, script("Get-PSRemoteEnum manual -Status Running,stopped -Color 2"))
    assert o.to_string(bound["StartType"]) == "Manual" and int(bound["StartType"]) == 3
    assert [o.to_string(s) for s in bound["Status"]] == ["Running", "Stopped"]
    assert o.to_string(bound["Color"]) == "Blue"
    assert bound["StartType"].PSObject.type_names[0] == "System.ServiceProcess.ServiceStartMode"
    failed = failure(engine, rs, command("Get-PSRemoteEnum", StartType="Sometimes"))
    assert failed.FullyQualifiedErrorId == "CannotConvertArgumentNoMessage,PSRemote.Synthetic.GetPSRemoteEnumCommand"
    assert "Boot, System, Automatic, Manual, Disabled" in str(failed)


def test_type_conversion(engine, rs):
    [(_, bound)], _ = binding(engine, rs, script("Set-PSRemoteArray -Numbers 1,'2' -Ratio '1.5' -Limit 4 -Flag"))
    assert list(bound["Numbers"]) == [1, 2] and bound["Ratio"] == 1.5 and bound["Limit"] == 4
    assert bound["Flag"] is True
    failed = failure(engine, rs, command("Set-PSRemoteArray", Numbers=["x"]))
    assert failed.FullyQualifiedErrorId == \
        "ParameterArgumentTransformationError,PSRemote.Synthetic.SetPSRemoteArrayCommand"
    assert failed.CategoryInfo.Category == ErrorCategory.InvalidData
    assert 'Cannot convert value "x" to type "System.Int32"' in str(failed)


# --- errors PowerShell gives -------------------------------------------------------------------------


def test_named_parameter_not_found(engine, rs):
    failed = failure(engine, rs, command("Get-Service", Nme="WinRM"))
    assert failed.FullyQualifiedErrorId == "NamedParameterNotFound,Microsoft.PowerShell.Commands.GetServiceCommand"
    assert str(failed) == "A parameter cannot be found that matches parameter name 'Nme'."
    assert failed.CategoryInfo.Category == ErrorCategory.InvalidArgument
    assert failed.CategoryInfo.Reason == "ParameterBindingException"
    assert failed.CategoryInfo.Activity == "Get-Service"
    assert failed.Exception.PSObject.type_names[:2] == ["System.Management.Automation.ParameterBindingException",
                                                         "System.Management.Automation.RuntimeException"]


def test_ambiguous_parameter_name(engine, rs):
    failed = failure(engine, rs, script("Set-PSRemoteArray -N 1"))
    assert failed.FullyQualifiedErrorId.startswith("AmbiguousParameter,")
    assert "-Names -Numbers" in str(failed)


def test_ambiguous_parameter_set(engine, rs):
    failed = failure(engine, rs, command("Invoke-PSRemoteParameterSet", Name="a", Id=1))
    assert failed.FullyQualifiedErrorId == "AmbiguousParameterSet,PSRemote.Synthetic.InvokePSRemoteParameterSetCommand"
    assert str(failed) == "Parameter set cannot be resolved using the specified named parameters."


def test_missing_mandatory(engine, rs):
    failed = failure(engine, rs, command("Get-PSRemoteHelpMessage"))
    assert failed.FullyQualifiedErrorId == "MissingMandatoryParameter,PSRemote.Synthetic.GetPSRemoteHelpMessageCommand"
    assert str(failed).endswith("missing mandatory parameters: Reason.")
    failed = failure(engine, rs, command("Get-EventLog"))
    assert failed.FullyQualifiedErrorId == "MissingMandatoryParameter,Microsoft.PowerShell.Commands.GetEventLogCommand"


def test_positional_not_found_and_missing_argument(engine, rs):
    failed = failure(engine, rs, command("Get-UICulture", "extra"))
    assert failed.FullyQualifiedErrorId == "PositionalParameterNotFound,Microsoft.PowerShell.Commands.GetUICultureCommand"
    failed = failure(engine, rs, script("Get-Service -Name"))
    assert failed.FullyQualifiedErrorId == "MissingArgument,Microsoft.PowerShell.Commands.GetServiceCommand"


def test_parameter_bound_twice(engine, rs):
    failed = failure(engine, rs, script("Get-Service -Name a -ServiceName b"))
    assert failed.FullyQualifiedErrorId == "ParameterAlreadyBound,Microsoft.PowerShell.Commands.GetServiceCommand"


@pytest.mark.parametrize("params,fragment", [
    ({"Color": "Purple"}, 'does not belong to the set "Red,Green,Blue"'),
    ({"Color": "red", "Percent": 101}, "greater than the maximum allowed range of 100"),
    ({"Color": "red", "Percent": -1}, "less than the minimum allowed range of 0"),
    ({"Color": "red", "Code": "x"}, "is too small"),
    ({"Color": "red", "Code": "123456789"}, "is too long"),
    ({"Color": "red", "Tags": ["a", "b", "c", "d"]}, "no more than 3 value(s)"),
    ({"Color": "red", "Ticket": "abc"}, 'does not match the "^[A-Z]{3}-\\d+$" pattern'),
    ({"Color": "red", "Ratio": 3.0}, "maximum allowed range of 2.5"),
])
def test_validation_attributes(engine, rs, params, fragment):
    failed = failure(engine, rs, command("Test-PSRemoteValidation", **params))
    assert failed.FullyQualifiedErrorId == \
        "ParameterArgumentValidationError,PSRemote.Synthetic.TestPSRemoteValidationCommand"
    assert failed.CategoryInfo.Category == ErrorCategory.InvalidData
    assert failed.CategoryInfo.Reason == "ParameterBindingValidationException"
    assert fragment in str(failed)


def test_validation_passes(engine, rs):
    [(_, bound)], _ = binding(engine, rs, command("Test-PSRemoteValidation", "green", 50, Code="ab",
                                                  Tags=["x"], Ticket="ABC-12", Ratio=1.0))
    assert bound["Color"] == "green" and bound["Percent"] == 50


# --- pipeline input ---------------------------------------------------------------------------------


def test_pipeline_by_value(engine, rs):
    result, _ = binding(engine, rs, command("Receive-PSRemotePipeline"), inputs=[1, "2"])
    assert [p for p, _ in result] == ["ByValue", "ByValue"]
    assert [b["InputObject"] for _, b in result] == [1, 2]
    result, _ = binding(engine, rs, script("'a','b' | Receive-PSRemoteString"))
    assert [list(b["Value"]) for _, b in result] == [["a"], ["b"]]


def test_pipeline_by_property_name(engine, rs):
    result, _ = binding(engine, rs, script(
        "[pscustomobject]@{Name='n1'; Id='5'}, [pscustomobject]@{ServiceName='n2'} | Receive-PSRemotePipeline"))
    assert [p for p, _ in result] == ["ByProperty", "ByProperty"]
    assert result[0][1] == {"Name": "n1", "Id": 5}
    assert result[1][1] == {"Name": "n2"}


def test_pipeline_object_that_binds_nowhere(engine, rs):
    result, ctx = binding(engine, rs, script("'x', 3 | Receive-PSRemotePipeline"))
    assert [b for _, b in result] == [{"InputObject": 3}]
    assert [e.FullyQualifiedErrorId for e in ctx.errors] == \
        ["InputObjectNotBound,PSRemote.Synthetic.ReceivePSRemotePipelineCommand"]


def test_pipeline_input_by_property_name_into_real_cmdlet(engine, rs):
    """Get-Service -Name takes ValueFromPipelineByPropertyName: objects with a Name flow in."""
    ctx, failed = run(engine, rs, script("[pscustomobject]@{Name='WinRM'}, [pscustomobject]@{Name='BITS'} | "
                                         "Get-Service | ForEach-Object { $_.ServiceName }"))
    assert failed is None and ctx.output == ["WinRM", "BITS"]
    ctx, failed = run(engine, rs, script("'Spooler' | Get-Service | ForEach-Object DisplayName"))
    assert ctx.output == ["Print Spooler"]


def test_input_not_bound_is_non_terminating(engine, rs):
    ctx, failed = run(engine, rs, script("1, 2 | Get-UICulture; 'after'"))
    assert failed is None
    assert ctx.output[-1] == "after"
    assert [e.FullyQualifiedErrorId for e in ctx.errors] == \
        ["InputObjectNotBound,Microsoft.PowerShell.Commands.GetUICultureCommand"] * 2


def test_service_not_found_is_non_terminating(engine, rs):
    ctx, failed = run(engine, rs, command("Get-Service", Name=["WinRM", "NoSuchService"]))
    assert failed is None and len(ctx.output) == 1
    [err] = ctx.errors
    assert err.FullyQualifiedErrorId == "NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand"
    assert err.CategoryInfo.Category == ErrorCategory.ObjectNotFound
    # a cmdlet's error carries its InvocationInfo (SerializeExtendedInfo on the wire)
    assert err.InvocationInfo.MyCommand.Name == "Get-Service"
    assert [str(k) for k in err.InvocationInfo.BoundParameters] == ["Name"]
    from xml.etree import ElementTree as ET

    from psrpcore.types._serializer import serialize

    xml = ET.tostring(serialize(err, None)).decode()
    assert '<B N="SerializeExtendedInfo">true</B>' in xml
    assert '<S N="InvocationInfo_InvocationName">Get-Service</S>' in xml


def test_binding_error_carries_invocation_info(engine, rs):
    failed = failure(engine, rs, command("Get-Service", Nme="x"))
    assert failed.InvocationInfo.MyCommand.Name == "Get-Service"


def test_command_pipeline_of_named_commands(engine, rs):
    ps = pipe(PSCommand("Get-Service"), PSCommand("Where-Object").add_parameter("Property", "Status")
              .add_parameter("EQ", True).add_parameter("Value", "Running"),
              PSCommand("Select-Object").add_parameter("First", 2).add_parameter("ExpandProperty", "Name"))
    ctx, failed = run(engine, rs, ps)
    assert failed is None and ctx.output == ["BITS", "Dhcp"]


def test_alias_command_resolves(engine, rs):
    [(pset, bound)], _ = binding(engine, rs, command("psrset", "x"))
    assert pset == "ByName" and bound == {"Name": "x"}
    ctx, failed = run(engine, rs, script("gsv WinRM | select -ExpandProperty Status"))
    assert o.to_string(ctx.output[0]) == "Running"


# --- restricted configuration ---------------------------------------------------------------------


@pytest.fixture()
def restricted(engine):
    return engine.new_runspace("http://schemas.microsoft.com/powershell/Restricted", None)


def test_restricted_refuses_scripts(engine, restricted):
    failed = failure(engine, restricted, script("Get-Date"))
    assert failed.FullyQualifiedErrorId == "ScriptsNotAllowed"
    assert failed.CategoryInfo.Category == ErrorCategory.ParserError
    assert failed.CategoryInfo.Reason == "ParseException"
    assert str(failed) == ("The syntax is not supported by this runspace. This can occur if the runspace is in "
                           "no-language mode.")
    assert failed.TargetObject == "Get-Date"
    failed = failure(engine, restricted, script("# psremote-discovery v1\n"))
    assert failed.FullyQualifiedErrorId == "ScriptsNotAllowed"


def test_restricted_lists_only_its_commands(engine, restricted):
    ctx, failed = run(engine, restricted, command("Get-Date"))
    assert failed is None and len(ctx.output) == 1
    failed = failure(engine, restricted, command("Restart-Computer", Force=True))
    assert failed.FullyQualifiedErrorId == "CommandNotFoundException"
    ctx, failed = run(engine, restricted, command("Get-Command"))
    names = sorted(o.get_property(c, "Name") for c in ctx.output)
    assert "Get-Service" in names and "Restart-Computer" not in names and "Get-Process" not in names
    ps = pipe(PSCommand("Get-Service"), PSCommand("Measure-Object"))
    ctx, failed = run(engine, restricted, ps)
    assert failed is None and o.get_property(ctx.output[0], "Count") == 15
    reply = engine.command_metadata(restricted, ["*"], 511, [], [])
    listed = [o.get_property(c, "Name") for c in reply[1:]]
    assert "Get-Service" in listed and "Restart-Computer" not in listed
    assert o.get_property(reply[0], "Count") == len(listed)


def test_boolean_parameters_refuse_strings(engine, rs):
    [(_, bound)], _ = binding(engine, rs, command("Set-PSRemoteArray", Enabled=0, Flag=1))
    assert bound["Enabled"] is False and bound["Flag"] is True
    failed = failure(engine, rs, command("Set-PSRemoteArray", Enabled="false"))
    assert failed.FullyQualifiedErrorId.startswith("ParameterArgumentTransformationError,")
    assert "accept only Boolean values and numbers" in str(failed)
