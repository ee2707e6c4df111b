<#
.SYNOPSIS
    Runs PureBoot Pester suites with the pinned Pester and writes an NUnit result file.

.DESCRIPTION
    Imports exactly the Pester version pinned in tools/TestDeps/TestDeps.csproj from the NuGet package folder
    (`dotnet restore tools/TestDeps` puts it there; $env:NUGET_PACKAGES is honoured), then runs the given paths
    against the module folder built by ./build.ps1. Exits 0 only when at least one test ran and nothing failed:
    no failed test, no failed block (BeforeAll/AfterAll) and no failed container (a file that did not load).
    Run it in a fresh process (test.sh and build.ps1 do):

        dotnet pwsh -NoProfile -NonInteractive -File tests/Pester/Invoke-PesterSuite.ps1 -ResultPath out/pester.xml

.EXAMPLE
    ./tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester -ExcludePath tests/Pester/Lab -ResultPath /tmp/pester-unit.xml
#>
[CmdletBinding()]
param(
    # Test files or folders.
    [string[]] $Path = @($PSScriptRoot),

    # Folders or files left out (a folder's whole tree is left out).
    [string[]] $ExcludePath = @(),

    # Where the NUnitXml result file goes.
    [Parameter(Mandatory)]
    [string] $ResultPath,

    # The PureBoot.psd1 under test (default: out/PureBoot/PureBoot.psd1, see TestSetup.ps1).
    [string] $ModulePath,

    # The nupkg under test (default: the one in out/packages, see TestSetup.ps1).
    [string] $PackagePath
)

$ErrorActionPreference = 'Stop'
# No Set-StrictMode here: the test files run in this script's scope and were written without it.
$root = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))

function Get-PinnedPesterManifest {
    $csproj = Join-Path $root 'tools/TestDeps/TestDeps.csproj'
    $download = ([xml] (Get-Content -Raw $csproj)).Project.ItemGroup.PackageDownload | Where-Object Include -eq 'Pester'
    if (-not $download) { throw "$csproj pins no Pester (PackageDownload Include=""Pester"")." }
    $version = $download.Version.Trim('[', ']')
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $manifest = Join-Path $packages "pester/$version/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) {
        throw "Pester $version is not restored ($manifest is missing): run 'dotnet restore tools/TestDeps' (test.sh and build.ps1 -Test do)."
    }
    [pscustomobject]@{ Version = [version] $version; Manifest = $manifest }
}

function Resolve-FullPath([string] $p) { [System.IO.Path]::GetFullPath($p, (Get-Location).ProviderPath) }

$pinned = Get-PinnedPesterManifest
Import-Module $pinned.Manifest -Force
$pester = Get-Module Pester
if ($pester.Version -ne $pinned.Version) { throw "Imported Pester $($pester.Version), expected the pinned $($pinned.Version)." }
Write-Host "Pester $($pester.Version) ($($pinned.Manifest)) on pwsh $($PSVersionTable.PSVersion) ($PSHOME)"

if ($ModulePath) { $env:PUREBOOT_MODULE_PATH = Resolve-FullPath $ModulePath }
if ($PackagePath) { $env:PUREBOOT_PACKAGE_PATH = Resolve-FullPath $PackagePath }
$ResultPath = Resolve-FullPath $ResultPath
New-Item -ItemType Directory -Force -Path (Split-Path $ResultPath) | Out-Null
Remove-Item -Force -ErrorAction SilentlyContinue $ResultPath   # a stale file must not be counted

$config = New-PesterConfiguration
$config.Run.Path = [string[]] @($Path | ForEach-Object { Resolve-FullPath $_ })
# Pester matches ExcludePath with -like against each file's full path.
$config.Run.ExcludePath = [string[]] @($ExcludePath | ForEach-Object { $full = Resolve-FullPath $_; $full; Join-Path $full '*' })
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultPath

$result = Invoke-Pester -Configuration $config
if (-not $result) { Write-Host 'Invoke-Pester returned no result: the run itself failed (see above).'; exit 1 }

# A test file that fails to load (a parse error, a throw during discovery) leaves no trace in the NUnit file, and
# neither does a failed AfterAll after passing tests: record each as a failed test case there, so whatever counts
# that file (test.sh's summary) counts it. (A failed BeforeAll already shows as its tests failing.)
function Get-BlockTest($Block) { @($Block.Tests) + @($Block.Blocks | ForEach-Object { Get-BlockTest $_ }) }
$unrecorded = @(
    foreach ($container in $result.FailedContainers) {
        [pscustomobject]@{ Name = "$($container.Item): the test file failed to load"; Errors = $container.ErrorRecord }
    }
    foreach ($block in $result.FailedBlocks) {
        if (@(Get-BlockTest $block | Where-Object Result -eq 'Failed').Count -eq 0) {
            [pscustomobject]@{ Name = "$($block.ScriptBlock.File): '$($block.ExpandedPath)': BeforeAll/AfterAll failed"; Errors = $block.ErrorRecord }
        }
    }
)
if ($unrecorded.Count -gt 0 -and (Test-Path $ResultPath)) {
    $xml = [xml] (Get-Content -Raw $ResultPath)
    $results = $xml.SelectSingleNode('/test-results/test-suite/results')
    foreach ($item in $unrecorded) {
        $case = $xml.CreateElement('test-case')
        foreach ($a in @{ name = $item.Name; description = $item.Name; executed = 'True'; result = 'Failure'; success = 'False'; time = '0'; asserts = '0' }.GetEnumerator()) {
            $case.SetAttribute($a.Key, $a.Value)
        }
        $message = $case.AppendChild($xml.CreateElement('failure')).AppendChild($xml.CreateElement('message'))
        $message.InnerText = (@($item.Errors) | ForEach-Object { "$_" }) -join "`n"
        $results.AppendChild($case) | Out-Null
    }
    $xml.Save($ResultPath)
}

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host ("Pester: {0} passed, {1} failed, {2} skipped, {3} not run; failed blocks {4}, failed containers {5}; results in {6}" -f
    $result.PassedCount, $result.FailedCount, $result.SkippedCount, $result.NotRunCount,
    $result.FailedBlocksCount, $result.FailedContainersCount, $ResultPath)
if (-not (Test-Path $ResultPath)) { Write-Host "Pester wrote no result file ($ResultPath)."; exit 1 }
if ($result.TotalCount -eq 0) { Write-Host "Pester found no tests in $($Path -join ', '): that is a failure, not a pass."; exit 1 }
exit ([Math]::Min($failed, 255))
