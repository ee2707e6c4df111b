#Requires -Version 7.4
# Pester 5: the module as a user imports it (out/PureBoot): commands, manifest, help, completion.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $ctx = New-PureBootTestContext
    $expected = @(
        'New-IscsiBackend', 'Get-IscsiBackend', 'Set-IscsiBackend', 'Remove-IscsiBackend', 'Test-IscsiBackend',
        'New-IscsiNode', 'Get-IscsiNode', 'Set-IscsiNode', 'Remove-IscsiNode',
        'New-IscsiLun', 'Get-IscsiLun', 'Set-IscsiLun', 'Resize-IscsiLun', 'Remove-IscsiLun',
        'Set-IscsiLunAssignment', 'Remove-IscsiLunAssignment',
        'Get-IscsiTargetStatus', 'Get-IscsiLunChapCredential', 'Get-PureBootAuditLog',
        'Sync-IscsiTarget', 'Import-IscsiTargetConfig', 'Restart-IscsiTarget', 'Get-IscsiBootScript', 'Save-IscsiBootScript',
        'New-IscsiImage', 'Get-IscsiImage', 'Remove-IscsiImage', 'Checkpoint-IscsiLun', 'Get-IscsiLunSnapshot', 'Remove-IscsiLunSnapshot',
        'Restore-IscsiLun', 'Reset-IscsiLun', 'Update-IscsiLun', 'Get-IscsiBackendSpace'
    ) | Sort-Object
}

AfterAll {
    Remove-PureBootTestContext $ctx
}

Describe 'The PureBoot module' {
    It 'imports from the laid-out folder and exports every cmdlet' {
        $module = Get-Module PureBoot
        $module | Should -Not -BeNullOrEmpty
        $module.ModuleBase | Should -Be (Split-Path (Get-PureBootModulePath) -Parent)
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be $expected
        (Get-Command -Module PureBoot | Sort-Object Name).Name | Should -Be $expected
    }

    It 'does not ship System.Management.Automation' {
        Test-Path (Join-Path (Get-Module PureBoot).ModuleBase 'System.Management.Automation.dll') | Should -BeFalse
    }

    It 'supports -WhatIf and -Confirm on <_>' -ForEach @(
        'New-IscsiBackend', 'Set-IscsiBackend', 'Remove-IscsiBackend', 'New-IscsiNode', 'Remove-IscsiNode', 'New-IscsiLun',
        'Set-IscsiLun', 'Resize-IscsiLun', 'Remove-IscsiLun', 'Set-IscsiLunAssignment', 'Remove-IscsiLunAssignment',
        'Sync-IscsiTarget', 'Import-IscsiTargetConfig', 'Restart-IscsiTarget', 'Get-IscsiBootScript', 'Set-IscsiNode', 'Save-IscsiBootScript') {
        $cmd = Get-Command $_
        $cmd.Parameters.Keys | Should -Contain 'WhatIf'
        $cmd.Parameters.Keys | Should -Contain 'Confirm'
    }

    It 'asks before every Remove-*, Sync-IscsiTarget and Restart-IscsiTarget (ConfirmImpact High)' {
        foreach ($name in 'Remove-IscsiBackend', 'Remove-IscsiNode', 'Remove-IscsiLun', 'Remove-IscsiLunAssignment', 'Sync-IscsiTarget', 'Restart-IscsiTarget') {
            $type = (Get-Command $name).ImplementingType
            $attr = $type.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0]
            $attr.ConfirmImpact | Should -Be 'High'
        }
    }

    It 'takes CHAP secrets only as PSCredential' {
        foreach ($name in 'New-IscsiLun', 'Set-IscsiLun') {
            (Get-Command $name).Parameters['ChapCredential'].ParameterType | Should -Be ([pscredential])
            (Get-Command $name).Parameters['MutualChapCredential'].ParameterType | Should -Be ([pscredential])
        }
        foreach ($cmd in Get-Command -Module PureBoot) {
            foreach ($p in $cmd.Parameters.Values) {
                if ($p.Name -match 'secret|password') { $p.ParameterType | Should -Not -Be ([string]) }
            }
        }
    }

    It 'has help with a synopsis, a description and an example for <_>' -ForEach (
        'New-IscsiBackend', 'Get-IscsiBackend', 'Set-IscsiBackend', 'Remove-IscsiBackend', 'Test-IscsiBackend',
        'New-IscsiNode', 'Get-IscsiNode', 'Remove-IscsiNode', 'New-IscsiLun', 'Get-IscsiLun', 'Set-IscsiLun', 'Resize-IscsiLun',
        'Remove-IscsiLun', 'Set-IscsiLunAssignment', 'Remove-IscsiLunAssignment', 'Get-IscsiTargetStatus',
        'Get-IscsiLunChapCredential', 'Get-PureBootAuditLog', 'Sync-IscsiTarget', 'Import-IscsiTargetConfig',
        'Restart-IscsiTarget', 'Get-IscsiBootScript', 'Set-IscsiNode', 'Save-IscsiBootScript') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*\S+\s+\[' # not the auto-generated syntax line
        ($help.Description.Text -join ' ') | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        @($help.Examples.Example)[0].Code | Should -Match ([regex]::Escape($_))
    }

    It 'explains that Get-IscsiLunChapCredential reveals the secret on purpose' {
        $text = (Get-Help Get-IscsiLunChapCredential -Full | Out-String)
        $text | Should -Match 'reveal'
        $text | Should -Match 'on purpose'
        $text | Should -Match 'audit'
    }

    It 'says that a boot script holds the CHAP secret in plain text and must stay private' {
        $text = (Get-Help Get-IscsiBootScript -Full | Out-String)
        $text | Should -Match 'plain text'
        $text | Should -Match 'iPXE'
        $text | Should -Match '0600'
        $text | Should -Match 'private'
    }

    It 'documents the LUN-named-after-its-node convention' {
        (Get-Help Set-IscsiLunAssignment -Full | Out-String) | Should -Match 'named after its node'
    }

    It 'completes backend, node and LUN names from the inventory' {
        New-IscsiBackend -Name comp-san -Transport Simulated -SimulationStatePath $ctx.State | Out-Null
        New-IscsiNode -Name comp-node -MacAddress 52:54:00:aa:00:01 | Out-Null
        $backend = TabExpansion2 -inputScript 'Get-IscsiLun -Backend comp-' -cursorColumn 'Get-IscsiLun -Backend comp-'.Length
        $backend.CompletionMatches.CompletionText | Should -Contain 'comp-san'
        $node = TabExpansion2 -inputScript 'Set-IscsiLunAssignment -Name x -Node comp' -cursorColumn 'Set-IscsiLunAssignment -Name x -Node comp'.Length
        $node.CompletionMatches.CompletionText | Should -Contain 'comp-node'
    }
}
