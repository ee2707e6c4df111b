#Requires -Version 7.4
<#
.SYNOPSIS
    The README quick start as a scheduled runbook, against a real storage host over SSH as a non-root sudo user.

.DESCRIPTION
    What an administrator schedules (cron, a systemd timer) to give new diskless nodes their disks:

        New-IscsiBackend ... -Transport Ssh -UseSudo       (strict host keys: -KnownHostsFile)
        Import-Csv <NodeList> | New-IscsiNode              (columns Name, MacAddress)
        Get-IscsiNode <those nodes> | New-IscsiLun -SizeGB <n> -Backend <backend> | Set-IscsiLunAssignment
        Get-IscsiTargetStatus <backend>
        Get-IscsiLunChapCredential <each node's LUN>
        Get-PureBootAuditLog -Last 10

    The target status is printed (cron mails stdout). Everything the cmdlets returned is written to -ResultPath with
    Export-Clixml, except the CHAP secrets: of each PSCredential only its type and user name are kept (Export-Clixml
    on Linux stores a SecureString as plain UTF-16 hex, not encrypted).

    Exit code: 0 when every step succeeded; 1 at the first error, with the error id and message on stderr.
    The inventory and key come from $env:PUREBOOT_DB and $env:PUREBOOT_SECRET_KEY (or their defaults).

.EXAMPLE
    pwsh -NoProfile -NonInteractive -File QuickStart.ps1 -Backend san1 -HostName san1.example.net -User pbadmin `
        -IdentityFile ~/.ssh/pureboot_ed25519 -KnownHostsFile ~/.ssh/known_hosts -NodeList /etc/pureboot/new-nodes.csv `
        -SizeGB 40 -ResultPath /var/log/pureboot/quickstart.clixml
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Backend,
    [Parameter(Mandatory)] [string] $HostName,
    [int] $Port = 22,
    [Parameter(Mandatory)] [string] $User,
    [Parameter(Mandatory)] [string] $IdentityFile,
    [Parameter(Mandatory)] [string] $KnownHostsFile,
    [string] $IqnPrefix = 'iqn.2026-01.local.pureboot',
    [string] $StoragePath,
    # A CSV file with the columns Name and MacAddress: one line per node.
    [Parameter(Mandatory)] [string] $NodeList,
    [double] $SizeGB = 40,
    [string] $ResultPath
)

$ErrorActionPreference = 'Stop'     # every error ends the script: non-terminating ones too
Set-StrictMode -Version Latest
$PSStyle.OutputRendering = 'PlainText'   # cron mail and the journal get text, not ANSI colour codes
trap {
    # The error id is what a script (or the person reading cron's mail) can act on; messages never hold secrets.
    [Console]::Error.WriteLine("QuickStart failed: $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
    exit 1
}

Import-Module PureBoot

$backendArgs = @{
    Name = $Backend; Transport = 'Ssh'; HostName = $HostName; Port = $Port; User = $User; UseSudo = $true
    IdentityFile = $IdentityFile; KnownHostsFile = $KnownHostsFile; HostKeyPolicy = 'Strict'; IqnPrefix = $IqnPrefix
}
if ($StoragePath) { $backendArgs.StoragePath = $StoragePath }
$be = New-IscsiBackend @backendArgs

$nodes = @(Import-Csv -Path $NodeList | New-IscsiNode)
$luns = @(Get-IscsiNode -Name $nodes.Name | New-IscsiLun -SizeGB $SizeGB -Backend $Backend | Set-IscsiLunAssignment)

$status = @(Get-IscsiTargetStatus -Backend $Backend)
$status | Format-Table -AutoSize | Out-String -Width 120 | Write-Output

$credentials = foreach ($lun in $luns) {
    $c = Get-IscsiLunChapCredential -Name $lun.Name
    [pscustomobject]@{ Lun = $lun.Name; Type = $c.GetType().FullName; UserName = $c.UserName }
}
$audit = @(Get-PureBootAuditLog -Last 10)

if ($ResultPath) {
    [pscustomobject]@{
        Module      = (Get-Module PureBoot).ModuleBase
        Backend     = $be
        Nodes       = $nodes
        Luns        = $luns
        Status      = $status
        Credentials = @($credentials)
        Audit       = $audit
    } | Export-Clixml -Path $ResultPath -Depth 3
}
"QuickStart: $($nodes.Count) nodes, $($luns.Count) LUNs assigned on backend '$Backend'."
