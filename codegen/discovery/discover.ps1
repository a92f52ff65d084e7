# psremote-discovery v1
#
# Rich command discovery for psremote's typed implicit-remoting stubs.
#
# Writes one compressed JSON string per command, then one final
# {"kind":"types",...} string with the properties of output types and the
# names of enum types. Every value is a flat JSON string, so PowerShell's
# serialization depth (MS-PSRP 2.2.5) can never truncate anything.
#
# Each property read below names the documented .NET member it uses
# (System.Management.Automation namespace unless said otherwise).
# Runs on Windows PowerShell 5.1 and PowerShell 7.x; needs FullLanguage.

[CmdletBinding()]
param(
    # Command names, wildcards allowed (Import-PSSession -CommandName).
    [string[]] $Name = @('*'),
    # Module names (Import-PSSession -Module).
    [string[]] $Module,
    # Command types (Import-PSSession -CommandType). The default is Import-PSSession's:
    # every type but Application, Script and ExternalScript.
    [string[]] $CommandType = @('Alias', 'Function', 'Filter', 'Cmdlet'),
    # Exact names to leave out (the CommandsToSkip list).
    [string[]] $Skip = @()
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# Cmdlet.CommonParameters (static HashSet<string>): Verbose, Debug, ErrorAction...
$common = [System.Management.Automation.Cmdlet]::CommonParameters
# Types whose members we describe in the final "types" record.
$typesToDescribe = [System.Collections.Generic.Dictionary[string, type]]::new()

function Get-ElementType([type] $t) {
    # Type.IsArray / Type.GetElementType(); Nullable.GetUnderlyingType(Type)
    while ($null -ne $t) {
        if ($t.IsArray) { $t = $t.GetElementType(); continue }
        $under = [System.Nullable]::GetUnderlyingType($t)
        if ($null -ne $under) { $t = $under; continue }
        return $t
    }
    return $null
}

function Add-TypeToDescribe([type] $t) {
    $e = Get-ElementType $t
    # Type.FullName; Type.IsEnum; Type.IsPrimitive
    if ($null -eq $e -or $null -eq $e.FullName) { return }
    if ($e.IsPrimitive -or $e -eq [string] -or $e -eq [object]) { return }
    if (-not $typesToDescribe.ContainsKey($e.FullName)) {
        $typesToDescribe[$e.FullName] = $e
    }
}

function ConvertTo-Bound($v) {
    # Numbers stay numbers; anything else (an enum bound, a string) becomes its text.
    if ($null -eq $v) { return $null }
    if ($v -is [int] -or $v -is [long] -or $v -is [double] -or $v -is [decimal] -or
        $v -is [single] -or $v -is [byte] -or $v -is [int16] -or $v -is [uint32] -or $v -is [uint64]) {
        return $v
    }
    return $v.ToString()
}

function Get-ParameterRecord($command, $p) {
    # $p is a CommandParameterInfo.
    $record = [ordered]@{
        name = $p.Name                                   # CommandParameterInfo.Name
        type = $p.ParameterType.FullName                 # CommandParameterInfo.ParameterType (System.Type.FullName)
        is_mandatory = $p.IsMandatory                    # CommandParameterInfo.IsMandatory
        position = $null
        value_from_pipeline = $p.ValueFromPipeline       # CommandParameterInfo.ValueFromPipeline
        value_from_pipeline_by_property_name = $p.ValueFromPipelineByPropertyName  # CommandParameterInfo.ValueFromPipelineByPropertyName
        value_from_remaining_arguments = $p.ValueFromRemainingArguments            # CommandParameterInfo.ValueFromRemainingArguments
        help_message = $p.HelpMessage                    # CommandParameterInfo.HelpMessage
        aliases = @($p.Aliases)                          # CommandParameterInfo.Aliases (ReadOnlyCollection<string>)
        is_dynamic = $false
        is_switch = ($p.ParameterType -eq [System.Management.Automation.SwitchParameter])
        validate_set = $null
        validate_range = $null
        validate_length = $null
        validate_count = $null
        validate_pattern = $null
    }
    # CommandParameterInfo.Position is int.MinValue for named-only parameters.
    if ($p.Position -ne [int]::MinValue) { $record.position = $p.Position }
    # CommandInfo.Parameters (Dictionary<string, ParameterMetadata>); ParameterMetadata.IsDynamic
    $meta = $null
    if ($command.Parameters -and $command.Parameters.TryGetValue($p.Name, [ref] $meta)) {
        $record.is_dynamic = [bool] $meta.IsDynamic
    }
    # CommandParameterInfo.Attributes (ReadOnlyCollection<Attribute>)
    foreach ($a in $p.Attributes) {
        if ($a -is [System.Management.Automation.ValidateSetAttribute]) {
            # ValidateSetAttribute.ValidValues (IList<string>)
            $record.validate_set = @($a.ValidValues | ForEach-Object { [string] $_ })
        }
        elseif ($a -is [System.Management.Automation.ValidateRangeAttribute]) {
            # ValidateRangeAttribute.MinRange / MaxRange (object)
            $record.validate_range = [ordered]@{ min = (ConvertTo-Bound $a.MinRange); max = (ConvertTo-Bound $a.MaxRange) }
        }
        elseif ($a -is [System.Management.Automation.ValidateLengthAttribute]) {
            # ValidateLengthAttribute.MinLength / MaxLength (int)
            $record.validate_length = [ordered]@{ min = $a.MinLength; max = $a.MaxLength }
        }
        elseif ($a -is [System.Management.Automation.ValidateCountAttribute]) {
            # ValidateCountAttribute.MinLength / MaxLength (int)
            $record.validate_count = [ordered]@{ min = $a.MinLength; max = $a.MaxLength }
        }
        elseif ($a -is [System.Management.Automation.ValidatePatternAttribute]) {
            # ValidatePatternAttribute.RegexPattern (string)
            $record.validate_pattern = $a.RegexPattern
        }
    }
    $element = Get-ElementType $p.ParameterType
    if ($null -ne $element -and $element.IsEnum) { Add-TypeToDescribe $element }
    return $record
}

$getCommand = @{ Name = $Name; ErrorAction = 'SilentlyContinue' }
if ($Module) { $getCommand.Module = $Module }
if ($CommandType) { $getCommand.CommandType = $CommandType }

foreach ($c in (Get-Command @getCommand)) {
    # CommandInfo.Name
    if ($Skip -contains $c.Name) { continue }
    try {
        $sets = @()
        # CommandInfo.ParameterSets (ReadOnlyCollection<CommandParameterSetInfo>); resolving it
        # can fail for commands whose dynamic parameters throw: such commands are reported
        # with no sets rather than stopping the discovery.
        $parameterSets = @()
        try { $parameterSets = @($c.ParameterSets) } catch { $parameterSets = @() }
        foreach ($s in $parameterSets) {
            $params = @()
            # CommandParameterSetInfo.Parameters (ReadOnlyCollection<CommandParameterInfo>)
            foreach ($p in $s.Parameters) {
                if ($common.Contains($p.Name)) { continue }
                $params += , (Get-ParameterRecord $c $p)
            }
            $sets += , ([ordered]@{
                name = $s.Name                 # CommandParameterSetInfo.Name
                is_default = $s.IsDefault      # CommandParameterSetInfo.IsDefault
                parameters = $params
            })
        }

        $outputs = @()
        # CommandInfo.OutputType (ReadOnlyCollection<PSTypeName>); PSTypeName.Name / .Type
        foreach ($o in $c.OutputType) {
            $outputs += $o.Name
            if ($null -ne $o.Type) { Add-TypeToDescribe $o.Type }
        }

        $synopsis = $null
        try {
            # Get-Help's MamlCommandHelpInfo.Synopsis (a generated syntax line when no help is installed)
            $help = Get-Help -Name $c.Name -ErrorAction SilentlyContinue | Select-Object -First 1
            if ($null -ne $help -and $help.PSObject.Properties['Synopsis']) {
                $synopsis = ([string] $help.Synopsis).Trim()
            }
        } catch { $synopsis = $null }

        $moduleVersion = $null
        # CommandInfo.Version (System.Version) — the module's version for module commands
        if ($null -ne $c.Version) { $moduleVersion = $c.Version.ToString() }

        $resolved = $null
        # AliasInfo.ResolvedCommandName
        if ($c.CommandType -eq [System.Management.Automation.CommandTypes]::Alias) {
            $resolved = $c.ResolvedCommandName
        }

        $helpUri = $null
        # CmdletInfo.HelpUri / FunctionInfo.HelpUri (not every CommandInfo has one)
        if ($c.PSObject.Properties['HelpUri']) { $helpUri = $c.HelpUri }

        $defaultSet = $null
        # CmdletInfo.DefaultParameterSet / FunctionInfo.DefaultParameterSet
        if ($c.PSObject.Properties['DefaultParameterSet']) { $defaultSet = $c.DefaultParameterSet }

        $record = [ordered]@{
            kind = 'command'
            name = $c.Name                                  # CommandInfo.Name
            command_type = $c.CommandType.ToString()        # CommandInfo.CommandType (CommandTypes)
            module = $c.ModuleName                          # CommandInfo.ModuleName
            module_version = $moduleVersion
            help_uri = $helpUri
            synopsis = $synopsis
            default_parameter_set = $defaultSet
            output_types = $outputs
            resolved_command_name = $resolved
            # CommandInfo.Parameters holds the common parameters exactly when the command
            # is a cmdlet or an advanced function (CmdletBinding).
            supports_common_parameters = [bool] ($c.Parameters -and $c.Parameters.ContainsKey('Verbose'))
            parameter_sets = $sets
        }
        $record | ConvertTo-Json -Compress -Depth 10
    }
    catch {
        Write-Warning ("psremote discovery skipped {0}: {1}" -f $c.Name, $_.Exception.Message)
    }
}

# The types: public instance properties of classes, names of enums.
$described = [ordered]@{}
$queue = [System.Collections.Generic.Queue[type]]::new()
foreach ($t in $typesToDescribe.Values) { $queue.Enqueue($t) }
while ($queue.Count -gt 0) {
    $t = $queue.Dequeue()
    if ($described.Contains($t.FullName)) { continue }
    if ($t.IsEnum) {
        $described[$t.FullName] = [ordered]@{
            enum_values = @([System.Enum]::GetNames($t))                                   # Enum.GetNames(Type)
            flags = [bool] $t.IsDefined([System.FlagsAttribute], $false)                    # MemberInfo.IsDefined(FlagsAttribute)
        }
        continue
    }
    $props = @()
    # Type.GetProperties(BindingFlags.Public | BindingFlags.Instance); PropertyInfo.Name / .PropertyType
    foreach ($pi in $t.GetProperties([System.Reflection.BindingFlags]'Public, Instance')) {
        if ($pi.GetIndexParameters().Length -gt 0) { continue }   # PropertyInfo.GetIndexParameters(): skip indexers
        $props += , ([ordered]@{ name = $pi.Name; type = $pi.PropertyType.FullName })
        $e = Get-ElementType $pi.PropertyType
        # Enums of properties are described too; classes one level deep only, to stay small.
        if ($null -ne $e -and $null -ne $e.FullName -and -not $described.Contains($e.FullName)) {
            if ($e.IsEnum) { $queue.Enqueue($e) }
        }
    }
    $described[$t.FullName] = [ordered]@{ properties = $props }
}
([ordered]@{ kind = 'types'; types = $described }) | ConvertTo-Json -Compress -Depth 10
