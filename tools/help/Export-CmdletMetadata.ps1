<#
.SYNOPSIS
    Writes the PureBoot cmdlets' parameter metadata (sets, types, positions, pipeline input, aliases) as JSON, for
    tools/help/sync_help.py, which rebuilds the syntax and parameter sections of en-US/PureBoot.dll-Help.xml from it.
.EXAMPLE
    dotnet pwsh ./build.ps1; dotnet pwsh -File tools/help/Export-CmdletMetadata.ps1 -Module out/PureBoot/PureBoot.psd1 -Out /tmp/meta.json
    python3 tools/help/sync_help.py /tmp/meta.json
#>
param($Module, $Out)
Import-Module $Module
$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
$res = foreach ($c in Get-Command -Module PureBoot | Sort-Object Name) {
  $params = foreach ($p in $c.Parameters.Values | Where-Object { $common -notcontains $_.Name }) {
    $attrs = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
    $t = $p.ParameterType
    $enum = if ($t.IsEnum) { [enum]::GetNames($t) } else { $null }
    $vs = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    [pscustomobject]@{
      Name = $p.Name; DontShow = (@($attrs | Where-Object DontShow).Count -eq @($attrs).Count); Type = $t.FullName; ShortType = $t.Name; IsSwitch = $t -eq [switch]
      Aliases = @($p.Aliases); Wildcards = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
      Enum = $enum; ValidateSet = if ($vs) { @($vs.ValidValues) } else { $null }
      Sets = @(foreach ($a in $attrs) { [pscustomobject]@{ Set = $a.ParameterSetName; Mandatory = $a.Mandatory; Position = $a.Position; Pipe = $a.ValueFromPipeline; PipeProp = $a.ValueFromPipelineByPropertyName; DontShow = $a.DontShow } })
    }
  }
  [pscustomobject]@{
    Name = $c.Name; Verb = $c.Verb; Noun = $c.Noun; DefaultSet = $c.DefaultParameterSet; ShouldProcess = $c.Parameters.ContainsKey('WhatIf')
    SetNames = @($c.ParameterSets.Name)
    SetParams = @(foreach ($s in $c.ParameterSets) { [pscustomobject]@{ Set = $s.Name; Params = @($s.Parameters | Where-Object { $common -notcontains $_.Name -and -not ($_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }) } | ForEach-Object Name) } })
    Params = @($params)
    OutputTypes = @($c.OutputType | ForEach-Object Name)
  }
}
$res | ConvertTo-Json -Depth 8 | Set-Content $Out
