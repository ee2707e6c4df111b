# Shared set-up for the PureBoot Pester suite (dot-source it in BeforeAll).
# Each test file gets its own inventory (PUREBOOT_DB), its own secret key (PUREBOOT_SECRET_KEY) and its own
# simulated storage host, in a temporary folder removed afterwards. The module under test is the laid-out folder
# built by ./build.ps1 (out/PureBoot), or $env:PUREBOOT_MODULE_PATH.

# The simulated targetcli's types, named in this one place (the simulator's assembly/namespace may move).
function Get-SimulationType {
    param([Parameter(Mandatory)] [string] $Name)
    # PureBoot.Core.Simulation before the simulator had its own project (modules built from older commits).
    $type = "PureBoot.Simulation.$Name", "PureBoot.Core.Simulation.$Name" | ForEach-Object { $_ -as [type] } | Select-Object -First 1
    if (-not $type) { throw "The simulator type $Name is not loaded." }
    $type
}

# The text of every line of a formatted view, for width checks (Out-String pads nothing past the width it is given).
function Get-FormattedLine {
    param([Parameter(Mandatory, ValueFromPipeline)] $InputObject, [int] $Width = 80)
    begin { $all = [System.Collections.Generic.List[object]]::new() }
    process { $all.Add($InputObject) }
    end { ($all | Out-String -Width $Width) -split "`r?`n" | Where-Object { $_.Trim() } }
}

function Get-PureBootModulePath {
    if ($env:PUREBOOT_MODULE_PATH) { return $env:PUREBOOT_MODULE_PATH }
    $path = Join-Path $PSScriptRoot '../../out/PureBoot/PureBoot.psd1'
    if (-not (Test-Path $path)) { throw "The module is not built: run ./build.ps1 first ($path is missing)." }
    (Resolve-Path $path).Path
}

# The nupkg built by ./build.ps1 -Package (out/packages/PureBoot.<version>.nupkg), or $env:PUREBOOT_PACKAGE_PATH.
function Get-PureBootPackagePath {
    if ($env:PUREBOOT_PACKAGE_PATH) { return $env:PUREBOOT_PACKAGE_PATH }
    $found = @(Get-ChildItem -Path (Join-Path $PSScriptRoot '../../out/packages') -Filter 'PureBoot.*.nupkg' -ErrorAction SilentlyContinue)
    if ($found.Count -ne 1) { throw "Expected one PureBoot nupkg in out/packages (run ./build.ps1 -Package); found $($found.Count)." }
    $found[0].FullName
}

# How to start a child pwsh that is this same pwsh: under `dotnet pwsh` the process is dotnet running pwsh.dll.
# Returns the executable followed by the arguments that must come first.
function Get-PwshCommandLine {
    $exe = [System.Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    @($exe)
}

function New-PureBootTestContext {
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('pureboot-pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $saved = @{ Db = $env:PUREBOOT_DB; Key = $env:PUREBOOT_SECRET_KEY }
    $env:PUREBOOT_DB = Join-Path $dir 'pureboot.db'
    $key = [byte[]]::new(32)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($key)
    $env:PUREBOOT_SECRET_KEY = [Convert]::ToBase64String($key)
    Import-Module (Get-PureBootModulePath) -Force -ErrorAction Stop
    [pscustomobject]@{
        Dir   = $dir
        Db    = $env:PUREBOOT_DB
        State = Join-Path $dir 'sim1.json'
        Saved = $saved
    }
}

function Remove-PureBootTestContext {
    param($Context)
    if (-not $Context) { return }
    Remove-Module PureBoot -ErrorAction SilentlyContinue   # closes the inventory
    $env:PUREBOOT_DB = $Context.Saved.Db
    $env:PUREBOOT_SECRET_KEY = $Context.Saved.Key
    Remove-Item -Recurse -Force $Context.Dir -ErrorAction SilentlyContinue
}

# Makes the simulated host fail the targetcli lines matching a regular expression, once.
function Add-SimulatedFault {
    param([string] $StatePath, [string] $Pattern, [string] $Message = 'injected by the test')
    $text = Get-Content -Raw $StatePath
    $fault = @{ pattern = $Pattern; message = $Message; times = 1; hits = 0 } | ConvertTo-Json -Compress
    if ($text -notmatch '"faults": \[\]') { throw "The simulated state has faults already; the test expects none." }
    $text = $text -replace '"faults": \[\]', ('"faults": [' + $fault.Replace('$', '$$') + ']')
    Set-Content -Path $StatePath -Value $text -NoNewline
}

function Get-StateHash {
    param([string] $StatePath)
    if (-not (Test-Path $StatePath)) { return '<none>' }
    (Get-FileHash -Algorithm SHA256 -Path $StatePath).Hash
}

# Runs targetcli lines on the simulated host directly, as an administrator editing the target by hand would
# (no PureBoot session: the inventory does not know). Throws if targetcli refused a line.
function Invoke-SimulatedTargetcli {
    param([string] $StatePath, [string[]] $Lines)
    $state = (Get-SimulationType SimulatedHostState)::Load($StatePath)
    $result = (Get-SimulationType TargetcliSimulator)::new($state).Run([string[]] ($Lines + 'saveconfig'))
    if ($result.ExitCode -ne 0 -or $result.Stderr) { throw "simulated targetcli failed (exit $($result.ExitCode)): $($result.Stderr)" }
    $state.Save($StatePath)
}

# The simulated host's live and saved LIO configuration, as text: equal before and after means the target did not change.
function Get-SimulatedTargetConfig {
    param([string] $StatePath)
    $state = (Get-SimulationType SimulatedHostState)::Load($StatePath)
    $state.LiveText() + "`n-- saved --`n" + $state.Saved
}

# What -WhatIf printed (the host's "What if:" lines), and what the command wrote.
function Invoke-Transcribed {
    param([scriptblock] $Script)
    $ErrorActionPreference = 'Continue'
    $file = Join-Path $ctx.Dir ("transcript-{0}.txt" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
    Start-Transcript -Path $file | Out-Null
    try { $out = & $Script } finally { Stop-Transcript | Out-Null }
    [pscustomobject]@{ Output = $out; Text = Get-Content -Raw $file }
}
