<#
.SYNOPSIS
    README's quick start as a script: three diskless nodes get a LUN each on a simulated storage host.

.DESCRIPTION
    Runs the main job end to end without a storage host: a simulated backend (-Transport Simulated, an in-process
    model of targetcli kept in a JSON file), a real SQLite inventory, three nodes, one 40 GB LUN per node with
    CHAP, each assigned to its node, then the target's status and the audit log.

    Everything lives in a new temporary folder that is removed at the end: the inventory (PUREBOOT_DB), a random
    secret key (PUREBOOT_SECRET_KEY) and the simulated host's state. Your own inventory
    (~/.local/share/PureBoot/pureboot.db) and key (~/.config/PureBoot/secret.key) are never read or written.
    With -StateDirectory the files are kept there (the folder must be new or empty) so you can look around after.

    ./build.sh (./build.ps1 -Demo) runs this after building the module.

.EXAMPLE
    dotnet pwsh ./examples/QuickStart.ps1

.EXAMPLE
    dotnet pwsh ./examples/QuickStart.ps1 -StateDirectory ~/pureboot-demo
#>
[CmdletBinding()]
param(
    # The module to import: the folder ./build.ps1 lays out by default.
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/PureBoot/PureBoot.psd1'),

    # Keep the demo's inventory, key and simulated host in this folder instead of a temporary one.
    [string] $StateDirectory
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$keep = [bool] $StateDirectory
$dir = if ($keep) { $StateDirectory } else { Join-Path ([System.IO.Path]::GetTempPath()) ('pureboot-quickstart-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) }
$dir = [System.IO.Path]::GetFullPath($dir, (Get-Location).ProviderPath)
if ((Test-Path $dir) -and (Get-ChildItem -Force $dir)) { throw "-StateDirectory $dir is not empty; give a new or empty folder." }
New-Item -ItemType Directory -Force -Path $dir | Out-Null
[System.IO.File]::SetUnixFileMode($dir, [System.IO.UnixFileMode] 'UserRead, UserWrite, UserExecute')

# This process's environment only: restored at the end, so a dot-sourced or interactive run leaves nothing behind.
$saved = @{ Db = $env:PUREBOOT_DB; Key = $env:PUREBOOT_SECRET_KEY }
$key = [byte[]]::new(32)
[System.Security.Cryptography.RandomNumberGenerator]::Fill($key)
$env:PUREBOOT_DB = Join-Path $dir 'pureboot.db'
$env:PUREBOOT_SECRET_KEY = [Convert]::ToBase64String($key)
try {
    Import-Module $ModulePath -Force
    Write-Host "PureBoot $((Get-Module PureBoot).Version) from $((Get-Module PureBoot).ModuleBase)"
    Write-Host "Inventory: $env:PUREBOOT_DB (a temporary key in PUREBOOT_SECRET_KEY)"

    # A simulated storage host. A real one: -Transport Ssh -HostName san1 -User root -IdentityFile ~/.ssh/id_ed25519.
    New-IscsiBackend -Name lab -Transport Simulated -SimulationStatePath (Join-Path $dir 'lab.json') -IfNotExists | Out-Host

    # The initiator IQN is derived from the MAC (iqn.2026-01.local.pureboot:node:<12 hex digits>). -IfNotExists: a script
    # that runs again finds them as it left them and goes on (docs/POWERSHELL.md).
    New-IscsiNode -Name web01 -MacAddress 52:54:00:12:34:56 -IfNotExists | Out-Null
    New-IscsiNode -Name web02 -MacAddress 52:54:00:12:34:57 -IfNotExists | Out-Null
    New-IscsiNode -Name db01 -MacAddress 52:54:00:12:34:58 -IfNotExists | Out-Null
    Get-IscsiNode | Out-Host

    # One LUN per node (named like the node), each with its own CHAP, mapped only to that node's ACL.
    # Set-IscsiLunAssignment writes nothing unless -PassThru.
    Get-IscsiNode | New-IscsiLun -SizeGB 40 -Backend lab -IfNotExists | Set-IscsiLunAssignment -PassThru | Out-Host

    # One line per LUN: status, node, drift between inventory and target.
    Get-IscsiTargetStatus lab | Out-Host

    # The only way to read a secret back is a PSCredential; its password is a SecureString, not shown here.
    $credential = Get-IscsiLunChapCredential web01
    Write-Host "web01's CHAP user: $($credential.UserName) (the secret stays sealed in the inventory)"

    Get-PureBootAuditLog -Last 10 | Out-Host
}
finally {
    Remove-Module PureBoot -ErrorAction SilentlyContinue   # closes the inventory
    $env:PUREBOOT_DB = $saved.Db
    $env:PUREBOOT_SECRET_KEY = $saved.Key
    if ($keep) {
        $keyFile = Join-Path $dir 'secret.key.base64'
        Set-Content -Path $keyFile -Value ([Convert]::ToBase64String($key)) -NoNewline
        [System.IO.File]::SetUnixFileMode($keyFile, [System.IO.UnixFileMode] 'UserRead, UserWrite')
        Write-Host "Kept in $dir. To continue there:"
        Write-Host "  `$env:PUREBOOT_DB = '$(Join-Path $dir 'pureboot.db')'; `$env:PUREBOOT_SECRET_KEY = Get-Content '$keyFile'"
    }
    else {
        Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
    }
}
