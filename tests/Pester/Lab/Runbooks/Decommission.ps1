#Requires -Version 7.4
<#
.SYNOPSIS
    Undoes QuickStart.ps1 and BootWalkthrough.ps1: unassigns and removes a backend's LUNs, forgets the nodes and the
    backend. A scheduled script, so every ConfirmImpact High cmdlet gets -Confirm:$false.

.DESCRIPTION
    Remove-IscsiLunAssignment, Remove-IscsiLun, Remove-IscsiNode and Remove-IscsiBackend are ConfirmImpact High.
    With $ConfirmPreference at its default (High) PowerShell asks before each of them; under
    `pwsh -NonInteractive` it cannot ask, and the command fails without doing anything (see
    README.md, "Running from cron or a systemd timer"). A script that means it says so with -Confirm:$false on each call.

        Get-IscsiLun -Backend <backend> -Status Active | Remove-IscsiLunAssignment -Confirm:$false
        Get-IscsiLun -Backend <backend> | Remove-IscsiLun -Confirm:$false -PassThru
        Get-IscsiNode <nodes> | Remove-IscsiNode -Confirm:$false -PassThru
        Remove-IscsiBackend <backend> -Confirm:$false

    Writes what it removed to -ResultPath (Export-Clixml). Exit code: 0 when everything was removed; 1 at the first
    error (the error id and message on stderr), e.g. PureBoot.NotFound for a backend that does not exist.

.EXAMPLE
    pwsh -NoProfile -NonInteractive -File Decommission.ps1 -Backend san1 -Node 'web*'
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Backend,
    # The nodes to forget (wildcards allowed). Default: none.
    [string[]] $Node = @(),
    [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$PSStyle.OutputRendering = 'PlainText'   # cron mail and the journal get text, not ANSI colour codes
trap {
    [Console]::Error.WriteLine("Decommission failed: $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
    exit 1
}

Import-Module PureBoot

# Get-IscsiLun -Backend does not check that the backend exists (an unknown name gives no LUNs): ask first.
$null = Get-IscsiBackend -Name $Backend

$unassigned = @(Get-IscsiLun -Backend $Backend -Status Active | Remove-IscsiLunAssignment -Confirm:$false -PassThru)
$luns = @(Get-IscsiLun -Backend $Backend | Remove-IscsiLun -Confirm:$false -PassThru)
$nodes = @(if ($Node.Count) { Get-IscsiNode -Name $Node | Remove-IscsiNode -Confirm:$false -PassThru })
$be = Remove-IscsiBackend -Name $Backend -Confirm:$false -PassThru

if ($ResultPath) {
    [pscustomobject]@{ Backend = $be; Unassigned = $unassigned; Luns = $luns; Nodes = $nodes } | Export-Clixml -Path $ResultPath -Depth 3
}
"Decommission: $($luns.Count) LUNs and $($nodes.Count) nodes removed, backend '$Backend' forgotten."
