#Requires -Version 7.4
# Pester 5: the nupkg from ./build.ps1 -Package installs as a user installs it (Install-PSResource from a
# repository) into a clean module path, imports from there and works. No network: the repository is a folder.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $package = Get-PureBootPackagePath
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('pureboot-package-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $repo = Join-Path $work 'repo'
    $fakeHome = Join-Path $work 'home'
    New-Item -ItemType Directory -Path $repo, $fakeHome | Out-Null
    Copy-Item $package $repo

    # Runs in a child pwsh whose HOME and XDG folders are under $work: the repository registration
    # (PSResourceGet/PSResourceRepository.xml), the CurrentUser module path, PureBoot's inventory and key all land
    # there, and PSModulePath holds only that module path and pwsh's own modules.
    $childScript = Join-Path $work 'install.ps1'
    Set-Content -Path $childScript -Value @'
param([string] $Repo, [string] $Work)
$ErrorActionPreference = 'Stop'
$modules = Join-Path $env:XDG_DATA_HOME 'powershell/Modules'
$env:PSModulePath = $modules + [System.IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')
Register-PSResourceRepository -Name PureBootLocal -Uri $Repo -Trusted
$installed = Install-PSResource -Name PureBoot -Repository PureBootLocal -Scope CurrentUser -TrustRepository -PassThru
$module = Import-Module PureBoot -PassThru
New-IscsiBackend -Name pkg -Transport Simulated -SimulationStatePath (Join-Path $Work 'sim.json') | Out-Null
$backend = Get-IscsiBackend pkg
[pscustomobject]@{
    Installed       = $installed.Name + ' ' + $installed.Version
    InstalledLocation = $installed.InstalledLocation
    ModuleBase      = $module.ModuleBase
    ModuleVersion   = $module.Version.ToString()
    Cmdlets         = $module.ExportedCmdlets.Count
    ModulePath      = $env:PSModulePath
    RepositoryStore = (Get-ChildItem -Recurse -Path $env:XDG_DATA_HOME -Filter 'PSResourceRepository.xml').FullName
    Backend         = $backend.Name
    Transport       = $backend.Transport.ToString()
    Database        = $env:PUREBOOT_DB
} | ConvertTo-Json -Compress
'@

    $saved = @{}
    $childEnv = @{
        HOME                = $fakeHome
        XDG_DATA_HOME       = Join-Path $fakeHome '.local/share'
        XDG_CONFIG_HOME     = Join-Path $fakeHome '.config'
        XDG_CACHE_HOME      = Join-Path $fakeHome '.cache'
        PSModulePath        = ''
        PUREBOOT_DB         = Join-Path $work 'pureboot.db'
        PUREBOOT_SECRET_KEY = [Convert]::ToBase64String([byte[]] (1..32))
    }
    # .NET reports a special folder that does not exist as "" and PSResourceGet then writes its settings relative to
    # the current directory: create the folders, and start the child in $work.
    New-Item -ItemType Directory -Path $childEnv.XDG_DATA_HOME, $childEnv.XDG_CONFIG_HOME, $childEnv.XDG_CACHE_HOME | Out-Null
    foreach ($name in $childEnv.Keys) {
        $saved[$name] = [System.Environment]::GetEnvironmentVariable($name)
        [System.Environment]::SetEnvironmentVariable($name, $childEnv[$name])
    }
    Push-Location $work
    try {
        $pwsh = Get-PwshCommandLine
        $exe, $pre = $pwsh[0], @($pwsh | Select-Object -Skip 1)
        $lines = & $exe @pre -NoProfile -NonInteractive -File $childScript -Repo $repo -Work $work 2>&1
        $exitCode = $LASTEXITCODE
    }
    finally {
        Pop-Location
        foreach ($name in $saved.Keys) { [System.Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
    $output = ($lines | ForEach-Object ToString) -join "`n"
    $json = @($lines | ForEach-Object ToString | Where-Object { $_ -like '{*}' })
    $result = if ($json.Count -eq 1) { $json[0] | ConvertFrom-Json } else { $null }
    $modulesDir = Join-Path $fakeHome '.local/share/powershell/Modules'
}

AfterAll {
    if ($work) { Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue }
}

Describe 'The PureBoot nupkg' {
    It 'is named after the manifest version' {
        $version = (Import-PowerShellDataFile (Get-PureBootModulePath)).ModuleVersion
        Split-Path -Leaf $package | Should -Be "PureBoot.$version.nupkg"
    }

    It 'holds the module folder: manifest, views, help, LICENSE, assemblies and native SQLite, and no System.Management.Automation' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($package)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        foreach ($file in 'PureBoot.psd1', 'PureBoot.Format.ps1xml', 'LICENSE', 'en-US/PureBoot.dll-Help.xml', 'PureBoot.dll',
            'PureBoot.Core.dll', 'Microsoft.Data.Sqlite.dll', 'libe_sqlite3.so', 'PureBoot.nuspec') {
            $entries | Should -Contain $file
        }
        $entries | Where-Object { $_ -like 'System.Management.Automation*' } | Should -BeNullOrEmpty
    }

    It 'installs with Install-PSResource from a local file repository into a clean user module path (exit code 0)' {
        $exitCode | Should -Be 0 -Because $output
        $result | Should -Not -BeNullOrEmpty -Because $output
        $result.Installed | Should -Be "PureBoot $((Import-PowerShellDataFile (Get-PureBootModulePath)).ModuleVersion)"
        $result.InstalledLocation | Should -BeLike "$modulesDir*"
        Test-Path (Join-Path $modulesDir "PureBoot/$($result.ModuleVersion)/PureBoot.psd1") | Should -BeTrue
    }

    It 'registered its repository and installed under the temporary HOME, not the real one' {
        $result.RepositoryStore | Should -Be (Join-Path $fakeHome '.local/share/PSResourceGet/PSResourceRepository.xml')
    Test-Path (Join-Path $work 'PSResourceGet') | Should -BeFalse   # not beside the current directory
        ($result.ModulePath -split [System.IO.Path]::PathSeparator) | Should -Be @($modulesDir, (Join-Path $PSHOME 'Modules'))
    }

    It 'imports from the installed folder and runs cmdlets there' {
        $result.ModuleBase | Should -Be (Join-Path $modulesDir "PureBoot/$($result.ModuleVersion)")
        $result.Cmdlets | Should -Be (Import-PowerShellDataFile (Get-PureBootModulePath)).CmdletsToExport.Count
        $result.Backend | Should -Be 'pkg'
        $result.Transport | Should -Be 'Simulated'
        $result.Database | Should -Be (Join-Path $work 'pureboot.db')
        Test-Path (Join-Path $work 'pureboot.db') | Should -BeTrue
    }
}
