#Requires -Version 7.4
# Pester 5: the module manifest tells the truth: it is valid, its license is the LICENSE file's, its copyright is
# honest, it names no URI that points nowhere, and it states the platforms PureBoot runs on.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $manifestPath = Get-PureBootModulePath
    $moduleBase = Split-Path $manifestPath -Parent
    $repoRoot = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $data = Import-PowerShellDataFile $manifestPath
    $psData = $data.PrivateData.PSData
    $license = Get-Content -Raw (Join-Path $repoRoot 'LICENSE')
}

Describe 'The PureBoot module manifest' {
    It 'passes Test-ModuleManifest in the built module folder' {
        $info = Test-ModuleManifest -Path $manifestPath -ErrorAction Stop
        $info.Name | Should -Be 'PureBoot'
        $info.Version | Should -Be ([version] $data.ModuleVersion)
    }

    It 'is the repository''s PureBoot.psd1, unchanged' {
        Get-Content -Raw $manifestPath | Should -BeExactly (Get-Content -Raw (Join-Path $repoRoot 'PureBoot.psd1'))
    }

    It 'has a LICENSE file with the MIT license text, in the repository and in the module folder' {
        $license | Should -Match '\AMIT License\r?\n'
        $license | Should -Match 'Permission is hereby granted, free of charge, to any person obtaining a copy'
        $license | Should -Match 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND'
        Get-Content -Raw (Join-Path $moduleBase 'LICENSE') | Should -BeExactly $license
    }

    It 'points LicenseUri at the MIT license, the license the LICENSE file holds' {
        $psData.LicenseUri | Should -Be 'https://opensource.org/license/mit'
        (Test-ModuleManifest -Path $manifestPath).LicenseUri.AbsoluteUri | Should -Be 'https://opensource.org/license/mit'
    }

    It 'states the copyright exactly as the LICENSE file does, with no "All rights reserved"' {
        $line = ($license -split '\r?\n' | Where-Object { $_ -like 'Copyright (c) *' })
        $line | Should -Be 'Copyright (c) 2026 PureBoot contributors'
        $data.Copyright | Should -Be $line
        $data.Copyright | Should -Not -Match 'All rights reserved'
    }

    It 'names no placeholder URI (ProjectUri, IconUri) that points nowhere' {
        $psData.Keys | Should -Not -Contain 'ProjectUri'
        $psData.Keys | Should -Not -Contain 'IconUri'
        (Get-Content -Raw (Join-Path $repoRoot 'PureBoot.psd1')) | Should -Not -Match 'github\.com/pureboot'
    }

    It 'supports PowerShell 7.4+ (Core edition) on Linux only, and says so' {
        $data.CompatiblePSEditions | Should -Be @('Core')
        [version] $data.PowerShellVersion | Should -Be ([version] '7.4')
        $psData.Tags | Should -Contain 'Linux'
        $psData.Tags | Should -Contain 'PSEdition_Core'
        $psData.Tags | Should -Not -Contain 'PSEdition_Desktop'
        $psData.Tags | Should -Not -Contain 'Windows'
        $psData.Tags | Should -Not -Contain 'MacOS'
        $data.Description | Should -Match 'PowerShell 7\.4\+ on Linux'
        $data.Description | Should -Match 'targetcli-fb'
        $data.Description | Should -Match 'rtslib-fb'
    }
}
