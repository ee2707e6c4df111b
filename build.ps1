<#
.SYNOPSIS
    Builds the PureBoot PowerShell module folder and, with -Test, runs the tests.

.DESCRIPTION
    Publishes src/PureBoot.PowerShell for linux-x64 (framework-dependent) and lays out the importable module in
    <OutputPath>/PureBoot: PureBoot.psd1, PureBoot.Format.ps1xml, en-US/PureBoot.dll-Help.xml, PureBoot.dll,
    PureBoot.Core.dll, Microsoft.Data.Sqlite.dll, SQLitePCLRaw*.dll and libe_sqlite3.so (never
    System.Management.Automation.dll: pwsh brings its own). The layout itself is the LayoutModule MSBuild target of
    the PowerShell project, so this is the same as:

        dotnet publish src/PureBoot.PowerShell -c Release -r linux-x64 --self-contained false -p:ModuleOutDir=<abs>/out/PureBoot/

    -Test then runs 'dotnet test PureBoot.sln' (unless -SkipDotnetTests) and, when pwsh and Pester 5 are available,
    the Pester suite in tests/Pester against the folder just built, in a fresh pwsh process.

.EXAMPLE
    ./build.ps1
    Import-Module ./out/PureBoot/PureBoot.psd1

.EXAMPLE
    ./build.ps1 -Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Runs the xunit tests (dotnet test PureBoot.sln) and the Pester tests.
    [switch] $Test,

    # With -Test: only the Pester tests (test.sh runs dotnet test itself).
    [switch] $SkipDotnetTests,

    # Where the module folder goes: <OutputPath>/PureBoot.
    [string] $OutputPath = 'out',

    [string] $Runtime = 'linux-x64'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$out = if ([System.IO.Path]::IsPathRooted($OutputPath)) { $OutputPath } else { Join-Path $root $OutputPath }
$out = [System.IO.Path]::GetFullPath($out)
$moduleDir = Join-Path $out 'PureBoot'

function Assert-ExitCode([string] $What) {
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

# 1. Publish + lay out (LayoutModule runs after Publish).
$project = Join-Path $root 'src/PureBoot.PowerShell'
Write-Host "> dotnet publish $project -c $Configuration -r $Runtime --self-contained false -p:ModuleOutDir=$moduleDir/"
dotnet publish $project -c $Configuration -r $Runtime --self-contained false "-p:ModuleOutDir=$moduleDir/" -nologo
Assert-ExitCode 'dotnet publish'

foreach ($required in 'PureBoot.psd1', 'PureBoot.Format.ps1xml', 'en-US/PureBoot.dll-Help.xml', 'PureBoot.dll', 'PureBoot.Core.dll', 'Microsoft.Data.Sqlite.dll') {
    if (-not (Test-Path (Join-Path $moduleDir $required))) { throw "The module folder $moduleDir lacks $required." }
}
if (Test-Path (Join-Path $moduleDir 'System.Management.Automation.dll')) { throw "System.Management.Automation.dll must not ship in the module." }
Write-Host "Module: $moduleDir"

if (-not $Test) { return }

# 2. xunit.
if (-not $SkipDotnetTests) {
    dotnet test (Join-Path $root 'PureBoot.sln') -nologo
    Assert-ExitCode 'dotnet test'
}

# 3. Pester, in a fresh pwsh so the module loads as a user would load it (and is not left loaded here).
$pwsh = Get-Command pwsh -ErrorAction SilentlyContinue
if (-not $pwsh) {
    Write-Host 'Pester skipped: pwsh not found'
    return
}
$pester = & $pwsh.Source -NoProfile -NonInteractive -Command "Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0.0' | Sort-Object Version -Descending | Select-Object -First 1 | ForEach-Object { `$_.Version.ToString() }"
if (-not $pester) {
    Write-Host 'Pester skipped: Pester 5 not found (Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser)'
    return
}
Write-Host "Pester $pester on $($pwsh.Source)"
$results = Join-Path $out 'pester-results.xml'
$script = @"
`$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0
`$env:PUREBOOT_MODULE_PATH = '$($moduleDir -replace "'", "''")/PureBoot.psd1'
`$c = New-PesterConfiguration
`$c.Run.Path = '$((Join-Path $root 'tests/Pester') -replace "'", "''")'
`$c.Run.Exit = `$true
`$c.Output.Verbosity = 'Detailed'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'NUnitXml'
`$c.TestResult.OutputPath = '$($results -replace "'", "''")'
Invoke-Pester -Configuration `$c
"@
& $pwsh.Source -NoProfile -NonInteractive -Command $script
if ($LASTEXITCODE -ne 0) { throw "Pester failed ($LASTEXITCODE failed tests or a run error); see $results" }
