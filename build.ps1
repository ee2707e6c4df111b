<#
.SYNOPSIS
    Builds the PureBoot PowerShell module folder; -Package makes its nupkg, -Demo runs the quick start, -Test the tests.

.DESCRIPTION
    Publishes src/PureBoot.PowerShell for linux-x64 (framework-dependent) and lays out the importable module in
    <OutputPath>/PureBoot: PureBoot.psd1, PureBoot.Format.ps1xml, LICENSE, en-US/PureBoot.dll-Help.xml, PureBoot.dll,
    PureBoot.Core.dll, Microsoft.Data.Sqlite.dll, SQLitePCLRaw*.dll and libe_sqlite3.so (never
    System.Management.Automation.dll: pwsh brings its own). The layout itself is the LayoutModule MSBuild target of
    the PowerShell project, so this is the same as:

        dotnet publish src/PureBoot.PowerShell -c Release -r linux-x64 --self-contained false -p:ModuleOutDir=<abs>/out/PureBoot/

    -Package packs that folder into <OutputPath>/packages/PureBoot.<version>.nupkg with PSResourceGet's
    Compress-PSResource (PSResourceGet ships with pwsh 7.4+; run by the pinned `dotnet pwsh`); Install-PSResource
    installs it from a file repository.

    -Demo runs examples/QuickStart.ps1 against the folder just built, in a fresh pwsh: a simulated backend and a
    SQLite inventory and key in a temporary folder (your own inventory and key are not touched).

    -Test restores the pinned test tools (`dotnet tool restore`: pwsh; `dotnet restore tools/TestDeps`: Pester),
    packs the nupkg, runs 'dotnet test PureBoot.sln' (unless -SkipDotnetTests) and then the Pester suites in
    tests/Pester (not tests/Pester/Lab, which needs the lab VM: test.sh runs it) in a fresh `dotnet pwsh` with the
    pinned Pester, against the folder and nupkg just built. A Pester failure, or a Pester run that fails to load a
    file, makes build.ps1 fail.

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Demo
    Builds the module and shows it working on a simulated backend (./build.sh does exactly this).

.EXAMPLE
    ./build.ps1; Import-Module ./out/PureBoot/PureBoot.psd1

.EXAMPLE
    ./build.ps1 -Package
    Writes out/packages/PureBoot.0.1.0.nupkg.

.EXAMPLE
    ./build.ps1 -Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Packs the module folder into <OutputPath>/packages/PureBoot.<version>.nupkg.
    [switch] $Package,

    # Runs examples/QuickStart.ps1 against the module just built (a simulated backend, temporary inventory and key).
    [switch] $Demo,

    # Packs the nupkg and runs the xunit tests (dotnet test PureBoot.sln) and the Pester tests.
    [switch] $Test,

    # With -Test: only the Pester tests (test.sh runs dotnet test itself).
    [switch] $SkipDotnetTests,

    # With -Test: where the Pester NUnitXml result file goes (default <OutputPath>/pester-results.xml).
    [string] $PesterResultPath,

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
$packageDir = Join-Path $out 'packages'

function Assert-ExitCode([string] $What) {
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

# The pinned pwsh (.config/dotnet-tools.json), as a fresh process; `dotnet` finds the tool manifest from the
# current directory, so run it from the repository.
function Invoke-PinnedPwsh([string[]] $Arguments) {
    Push-Location $root
    try { dotnet pwsh -NoProfile -NonInteractive @Arguments } finally { Pop-Location }
}

# 0. The pinned tools, when a step needs them (a fresh machine has only the .NET SDK).
if ($Test -or $Demo -or $Package) {
    Push-Location $root
    try {
        Write-Host '> dotnet tool restore'
        dotnet tool restore
        Assert-ExitCode 'dotnet tool restore'
        if ($Test) {
            Write-Host '> dotnet restore tools/TestDeps'
            dotnet restore tools/TestDeps -nologo -v quiet
            Assert-ExitCode 'dotnet restore tools/TestDeps'
        }
    } finally { Pop-Location }
}

# 1. Publish + lay out (LayoutModule runs after Publish).
$project = Join-Path $root 'src/PureBoot.PowerShell'
Write-Host "> dotnet publish $project -c $Configuration -r $Runtime --self-contained false -p:ModuleOutDir=$moduleDir/"
dotnet publish $project -c $Configuration -r $Runtime --self-contained false "-p:ModuleOutDir=$moduleDir/" -nologo
Assert-ExitCode 'dotnet publish'

foreach ($required in 'PureBoot.psd1', 'PureBoot.Format.ps1xml', 'LICENSE', 'en-US/PureBoot.dll-Help.xml', 'PureBoot.dll', 'PureBoot.Core.dll', 'Microsoft.Data.Sqlite.dll') {
    if (-not (Test-Path (Join-Path $moduleDir $required))) { throw "The module folder $moduleDir lacks $required." }
}
if (Test-Path (Join-Path $moduleDir 'System.Management.Automation.dll')) { throw "System.Management.Automation.dll must not ship in the module." }
Write-Host "Module: $moduleDir"

# 2. The nupkg. Compress-PSResource writes the same package Publish-PSResource would push, without a repository.
#    It also writes PSResourceGet's default repository list into the user's settings when there is none, so it
#    runs in a child pwsh whose XDG_DATA_HOME is a temporary folder: a build leaves ~/.local/share alone.
if ($Package -or $Test) {
    $version = (Import-PowerShellDataFile (Join-Path $moduleDir 'PureBoot.psd1')).ModuleVersion
    New-Item -ItemType Directory -Force -Path $packageDir | Out-Null
    Get-ChildItem $packageDir -Filter 'PureBoot.*.nupkg' | Remove-Item -Force
    $nupkg = Join-Path $packageDir "PureBoot.$version.nupkg"
    $dataHome = Join-Path ([System.IO.Path]::GetTempPath()) ('pureboot-pack-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $dataHome | Out-Null
    $savedDataHome = $env:XDG_DATA_HOME
    $env:XDG_DATA_HOME = $dataHome
    try {
        $pack = "Import-Module Microsoft.PowerShell.PSResourceGet -MinimumVersion 1.1.0; Compress-PSResource -Path '{0}' -DestinationPath '{1}'" -f
            ($moduleDir -replace "'", "''"), ($packageDir -replace "'", "''")
        Invoke-PinnedPwsh -Arguments @('-Command', $pack)
        Assert-ExitCode 'Compress-PSResource'
    }
    finally {
        $env:XDG_DATA_HOME = $savedDataHome
        Remove-Item -Recurse -Force $dataHome -ErrorAction SilentlyContinue
    }
    if (-not (Test-Path $nupkg)) { throw "Compress-PSResource did not write $nupkg." }
    Write-Host "Package: $nupkg"
}

# 3. The quick start, in a fresh pwsh so the module is not left loaded here.
if ($Demo) {
    Invoke-PinnedPwsh -Arguments @('-File', (Join-Path $root 'examples/QuickStart.ps1'), '-ModulePath', (Join-Path $moduleDir 'PureBoot.psd1'))
    Assert-ExitCode 'examples/QuickStart.ps1'
}

if (-not $Test) { return }

# 4. xunit.
if (-not $SkipDotnetTests) {
    dotnet test (Join-Path $root 'PureBoot.sln') -nologo
    Assert-ExitCode 'dotnet test'
}

# 5. Pester (unit phase: simulated backends), in a fresh pinned pwsh with the pinned Pester.
if (-not $PesterResultPath) { $PesterResultPath = Join-Path $out 'pester-results.xml' }
Invoke-PinnedPwsh -Arguments @(
    '-File', (Join-Path $root 'tests/Pester/Invoke-PesterSuite.ps1'),
    '-Path', (Join-Path $root 'tests/Pester'),
    '-ExcludePath', (Join-Path $root 'tests/Pester/Lab'),
    '-ResultPath', $PesterResultPath,
    '-ModulePath', (Join-Path $moduleDir 'PureBoot.psd1'),
    '-PackagePath', $nupkg)
if ($LASTEXITCODE -ne 0) { throw "Pester failed (exit code ${LASTEXITCODE}: failed tests, a failed file or block, or no tests); see $PesterResultPath" }
