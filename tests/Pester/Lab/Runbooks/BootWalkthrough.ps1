#Requires -Version 7.4
<#
.SYNOPSIS
    The README's "Booting a diskless node" as a scheduled runbook: a node's LUN cloned from a golden image, assigned,
    and its iPXE script written where the TFTP server serves it.

.DESCRIPTION
    Against a real storage host over SSH as a non-root sudo user:

        New-IscsiBackend ... -Transport Ssh -UseSudo -Mode <Mode>   (strict host keys: -KnownHostsFile)
        Test-IscsiBackend <backend>                                 (stops here unless it passed)
        New-IscsiNode <node> -MacAddress <mac>
        New-IscsiLun -Name <node> -Backend <backend> -SourceImage <golden image> | Set-IscsiLunAssignment
        Get-IscsiBootScript -Node <node> -Path <ScriptPath> -PortalAddress <a> -PortalPort <p>   (file 0600)

    The golden image must already be in the backend's image directory (its storage directory for FileIO). The
    cmdlets' objects (backend test report, node, LUN, boot script info: none holds a secret) go to -ResultPath with
    Export-Clixml. Exit code: 0 when every step succeeded; 1 at the first error, with the error id and message on
    stderr.

.EXAMPLE
    pwsh -NoProfile -NonInteractive -File BootWalkthrough.ps1 -Backend san1 -HostName san1.example.net -User pbadmin `
        -IdentityFile ~/.ssh/pureboot_ed25519 -KnownHostsFile ~/.ssh/known_hosts -Node web01 -MacAddress 52:54:00:12:34:56 `
        -SourceImage golden/deb12.img -ScriptPath /srv/tftp/web01.ipxe -PortalAddress 192.0.2.10
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
    [ValidateSet('Shared', 'PerLun')] [string] $Mode = 'PerLun',
    [Parameter(Mandatory)] [string] $Node,
    [Parameter(Mandatory)] [string] $MacAddress,
    # The golden image, relative to the backend's image directory.
    [Parameter(Mandatory)] [string] $SourceImage,
    # The iPXE script to write (e.g. in the TFTP root); replaced if it exists.
    [Parameter(Mandatory)] [string] $ScriptPath,
    # The address and port nodes reach the portal at.
    [string] $PortalAddress,
    [int] $PortalPort,
    [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$PSStyle.OutputRendering = 'PlainText'   # cron mail and the journal get text, not ANSI colour codes
trap {
    [Console]::Error.WriteLine("BootWalkthrough failed: $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
    exit 1
}

Import-Module PureBoot

$backendArgs = @{
    Name = $Backend; Transport = 'Ssh'; HostName = $HostName; Port = $Port; User = $User; UseSudo = $true
    IdentityFile = $IdentityFile; KnownHostsFile = $KnownHostsFile; HostKeyPolicy = 'Strict'; IqnPrefix = $IqnPrefix; Mode = $Mode
}
if ($StoragePath) { $backendArgs.StoragePath = $StoragePath }
$be = New-IscsiBackend @backendArgs

# Test-IscsiBackend reports a failed check as an object (and a warning), not as an error: the script must look.
$test = Test-IscsiBackend -Name $Backend
if (-not $test.Passed) { throw "Backend '$Backend' ($($test.Endpoint)) did not pass Test-IscsiBackend: $($test.Error ?? $test.StorageDetail)" }

$n = New-IscsiNode -Name $Node -MacAddress $MacAddress
$lun = New-IscsiLun -Name $Node -Backend $Backend -SourceImage $SourceImage | Set-IscsiLunAssignment

$scriptArgs = @{ Node = $Node; Path = $ScriptPath; Force = $true }
if ($PortalAddress) { $scriptArgs.PortalAddress = $PortalAddress }
if ($PortalPort) { $scriptArgs.PortalPort = $PortalPort }
$boot = Get-IscsiBootScript @scriptArgs

if ($ResultPath) {
    [pscustomobject]@{
        Module     = (Get-Module PureBoot).ModuleBase
        Backend    = $be
        Test       = $test
        Node       = $n
        Lun        = $lun
        BootScript = $boot
    } | Export-Clixml -Path $ResultPath -Depth 3
}
"BootWalkthrough: node '$Node' boots from $($boot.RootPath) (script $ScriptPath)."
