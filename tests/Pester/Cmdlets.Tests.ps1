#Requires -Version 7.4
# Pester 5 (issue 11, section 1): every cmdlet's parameter sets, pipeline binding between cmdlets, -WhatIf on every
# cmdlet that changes something, errors by id and category, every default view at 80 columns, JSON and CSV output,
# and the completers - as a user runs them, on a simulated backend.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $ctx = New-PureBootTestContext
    $portal = '192.0.2.9'
    New-IscsiBackend -Name cm-san -Transport Simulated -SimulationStatePath $ctx.State -PortalAddress $portal | Out-Null
    New-IscsiNode -Name cm-web1 -MacAddress 52:54:00:c0:00:01 | Out-Null
    New-IscsiNode -Name cm-web2 -MacAddress 52:54:00:c0:00:02 | Out-Null
    New-IscsiNode -Name cm-spare -MacAddress 52:54:00:c0:00:03 | Out-Null
    Get-IscsiNode cm-web* | New-IscsiLun -SizeGB 0.02 -Backend cm-san | Set-IscsiLunAssignment
    New-IscsiLun -Name cm-free -SizeGB 0.02 -Backend cm-san | Out-Null

    # Everything a -WhatIf must leave alone: the target, the inventory rows and the audit log.
    function Get-World {
        (Get-SimulatedTargetConfig $ctx.State) + (Get-IscsiLun | Select-Object Name, Status, SizeBytes, NodeName, Chap, Updated | ConvertTo-Json) +
        (Get-IscsiNode | ConvertTo-Json) + (Get-IscsiBackend | ConvertTo-Json) + @(Get-PureBootAuditLog).Count
    }

    function Get-ErrorOf {
        param([scriptblock] $Script)
        $ErrorActionPreference = 'Continue'
        try { @(& $Script 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) }
        catch { @($_) }
    }

    function Complete([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
}

AfterAll {
    Remove-PureBootTestContext $ctx
}

Describe 'Every parameter set of every cmdlet binds and does what the set is for' {
    BeforeAll {
        $file = Join-Path $ctx.Dir 'sets.ipxe'
        # Cmdlet, set, a call that must select that set, and a check of what only that set gives.
        $cases = @(
            @{ C = 'New-IscsiBackend'; S = '__AllParameterSets'; Run = { New-IscsiBackend -Name cm-san -Transport Simulated -SimulationStatePath $ctx.State -PortalAddress $portal -IfNotExists }; Check = { param($o) $o.Name -eq 'cm-san' } }
            @{ C = 'Get-IscsiBackend'; S = '__AllParameterSets'; Run = { Get-IscsiBackend cm-* }; Check = { param($o) $o.Name -eq 'cm-san' } }
            @{ C = 'Set-IscsiBackend'; S = '__AllParameterSets'; Run = { Set-IscsiBackend cm-san -Description sets -PassThru }; Check = { param($o) $o.Description -eq 'sets' } }
            @{ C = 'Remove-IscsiBackend'; S = '__AllParameterSets'; Run = { New-IscsiBackend -Name cm-gone -Transport Simulated -SimulationStatePath (Join-Path $ctx.Dir 'gone.json') | Remove-IscsiBackend -Confirm:$false -PassThru }; Check = { param($o) $o.Name -eq 'cm-gone' } }
            @{ C = 'Test-IscsiBackend'; S = '__AllParameterSets'; Run = { Test-IscsiBackend cm-san -Quiet }; Check = { param($o) $o -eq $true } }
            @{ C = 'New-IscsiNode'; S = '__AllParameterSets'; Run = { New-IscsiNode cm-web1 52:54:00:c0:00:01 -IfNotExists }; Check = { param($o) $o.Name -eq 'cm-web1' } }
            @{ C = 'Get-IscsiNode'; S = '__AllParameterSets'; Run = { Get-IscsiNode cm-web1 }; Check = { param($o) $o.MacAddress -eq '52:54:00:c0:00:01' } }
            @{ C = 'Set-IscsiNode'; S = '__AllParameterSets'; Run = { Set-IscsiNode cm-spare -Description sets -PassThru }; Check = { param($o) $o.Description -eq 'sets' } }
            @{ C = 'Remove-IscsiNode'; S = '__AllParameterSets'; Run = { New-IscsiNode cm-tmp 52:54:00:c0:00:0a | Remove-IscsiNode -Confirm:$false -PassThru }; Check = { param($o) $o.Name -eq 'cm-tmp' } }
            @{ C = 'New-IscsiLun'; S = 'SizeGB'; Run = { New-IscsiLun cm-gb 0.5 -Backend cm-san -NoChap }; Check = { param($o) $o.SizeBytes -eq 512MB } }
            @{ C = 'New-IscsiLun'; S = 'SizeBytes'; Run = { New-IscsiLun cm-bytes -SizeBytes 8MB -Backend cm-san -NoChap }; Check = { param($o) $o.SizeBytes -eq 8MB } }
            @{ C = 'Get-IscsiLun'; S = 'Name'; Run = { Get-IscsiLun cm-web1 }; Check = { param($o) $o.Name -eq 'cm-web1' } }
            @{ C = 'Get-IscsiLun'; S = 'NodeObject'; Run = { Get-IscsiNode cm-web2 | Get-IscsiLun }; Check = { param($o) $o.Name -eq 'cm-web2' } }
            @{ C = 'Get-IscsiLun'; S = 'BackendObject'; Run = { Get-IscsiBackend cm-san | Get-IscsiLun cm-web* }; Check = { param($o) @($o).Count -eq 2 } }
            @{ C = 'Set-IscsiLun'; S = '__AllParameterSets'; Run = { Set-IscsiLun cm-free -Description sets -PassThru }; Check = { param($o) $o.Description -eq 'sets' } }
            @{ C = 'Resize-IscsiLun'; S = 'SizeGB'; Run = { Resize-IscsiLun cm-gb 1 -PassThru }; Check = { param($o) $o.SizeBytes -eq 1GB } }
            @{ C = 'Resize-IscsiLun'; S = 'SizeBytes'; Run = { Resize-IscsiLun cm-bytes -SizeBytes 16MB -PassThru }; Check = { param($o) $o.SizeBytes -eq 16MB } }
            @{ C = 'Remove-IscsiLun'; S = '__AllParameterSets'; Run = { Remove-IscsiLun cm-gb, cm-bytes -Confirm:$false -PassThru }; Check = { param($o) @($o).Count -eq 2 } }
            @{ C = 'Set-IscsiLunAssignment'; S = '__AllParameterSets'; Run = { Set-IscsiLunAssignment cm-free -Node cm-spare -PassThru }; Check = { param($o) $o.NodeName -eq 'cm-spare' } }
            @{ C = 'Remove-IscsiLunAssignment'; S = '__AllParameterSets'; Run = { Remove-IscsiLunAssignment cm-free -Confirm:$false -PassThru }; Check = { param($o) $o.Status -eq 'Ready' } }
            @{ C = 'Get-IscsiTargetStatus'; S = 'Luns'; Run = { Get-IscsiTargetStatus cm-san -NoSessions }; Check = { param($o) @($o)[0] -is [PureBoot.Core.Operations.LunTargetStatus] } }
            @{ C = 'Get-IscsiTargetStatus'; S = 'Report'; Run = { Get-IscsiTargetStatus cm-san -Report }; Check = { param($o) $o -is [PureBoot.Core.Operations.TargetStatusReport] } }
            @{ C = 'Get-IscsiTargetStatus'; S = 'Drift'; Run = { @(Get-IscsiTargetStatus cm-san -Drift).Count }; Check = { param($o) $o -eq 0 } }
            @{ C = 'Get-IscsiLunChapCredential'; S = '__AllParameterSets'; Run = { Get-IscsiLunChapCredential cm-web1 }; Check = { param($o) $o -is [pscredential] } }
            @{ C = 'Get-PureBootAuditLog'; S = '__AllParameterSets'; Run = { Get-PureBootAuditLog -ObjectName cm-web1 -Operation create-lun }; Check = { param($o) @($o).Count -eq 1 } }
            @{ C = 'Sync-IscsiTarget'; S = 'Actions'; Run = { @(Sync-IscsiTarget cm-san -Confirm:$false).Count }; Check = { param($o) $o -eq 0 } }
            @{ C = 'Sync-IscsiTarget'; S = 'Report'; Run = { Sync-IscsiTarget cm-san -Report -Confirm:$false }; Check = { param($o) $o.Applied -eq $true } }
            @{ C = 'Import-IscsiTargetConfig'; S = '__AllParameterSets'; Run = { @(Import-IscsiTargetConfig cm-san).Count }; Check = { param($o) $o -eq 0 } }
            @{ C = 'Restart-IscsiTarget'; S = 'Lun'; Run = { Restart-IscsiTarget -Lun cm-web1 -Confirm:$false -PassThru }; Check = { param($o) $o.Name -eq 'cm-web1' } }
            @{ C = 'Restart-IscsiTarget'; S = 'Node'; Run = { Restart-IscsiTarget -Node cm-web2 -Confirm:$false -PassThru }; Check = { param($o) $o.Name -eq 'cm-web2' } }
            @{ C = 'Restart-IscsiTarget'; S = 'NodeObject'; Run = { Get-IscsiNode cm-web1 | Restart-IscsiTarget -Confirm:$false -PassThru }; Check = { param($o) $o.Name -eq 'cm-web1' } }
            @{ C = 'Get-IscsiBootScript'; S = 'Text'; Run = { Get-IscsiBootScript cm-web1 }; Check = { param($o) $o -match '^#!ipxe' } }
            @{ C = 'Get-IscsiBootScript'; S = 'File'; Run = { Get-IscsiBootScript cm-web1 -Path $file -Force }; Check = { param($o) $o.Path -eq $file } }
            @{ C = 'Save-IscsiBootScript'; S = '__AllParameterSets'; Run = { Save-IscsiBootScript cm-web2 -Path $file -Force -PassThru }; Check = { param($o) $o.Node -eq 'cm-web2' } }
            # The disk lifecycle, in the order a user goes through it (the simulated host holds golden/cm.img).
            @{ C = 'New-IscsiImage'; S = 'Path'; Run = { New-IscsiImage cm-img golden/cm.img -Backend cm-san }; Check = { param($o) $o.Version -eq 1 } }
            @{ C = 'New-IscsiImage'; S = 'Lun'; Run = { New-IscsiImage cm-img -Lun cm-free }; Check = { param($o) $o.Version -eq 2 } }
            @{ C = 'Get-IscsiImage'; S = '__AllParameterSets'; Run = { Get-IscsiImage cm-img -Latest }; Check = { param($o) @($o).Count -eq 1 -and $o.Version -eq 2 } }
            @{ C = 'Checkpoint-IscsiLun'; S = '__AllParameterSets'; Run = { New-IscsiLun cm-clone -Backend cm-san -Image cm-img -ImageVersion 1 -NoChap | Checkpoint-IscsiLun -Snapshot cp1 }; Check = { param($o) $o.SnapshotName -eq 'cp1' } }
            @{ C = 'Get-IscsiLunSnapshot'; S = '__AllParameterSets'; Run = { Get-IscsiLun cm-clone | Get-IscsiLunSnapshot }; Check = { param($o) @($o).SnapshotName -contains 'cp1' } }
            @{ C = 'Restore-IscsiLun'; S = '__AllParameterSets'; Run = { Get-IscsiLunSnapshot cm-clone cp1 | Restore-IscsiLun -Confirm:$false -PassThru }; Check = { param($o) $o.Name -eq 'cm-clone' } }
            @{ C = 'Remove-IscsiLunSnapshot'; S = '__AllParameterSets'; Run = { Remove-IscsiLunSnapshot cm-clone cp1 -Confirm:$false -PassThru }; Check = { param($o) $o.SnapshotName -eq 'cp1' } }
            @{ C = 'Reset-IscsiLun'; S = '__AllParameterSets'; Run = { Reset-IscsiLun cm-clone -Confirm:$false -PassThru }; Check = { param($o) $o.Image -eq 'cm-img:v1' } }
            @{ C = 'Update-IscsiLun'; S = 'Image'; Run = { Update-IscsiLun cm-clone -Image cm-img -Version 2 -Confirm:$false -PassThru }; Check = { param($o) $o.Image -eq 'cm-img:v2' } }
            @{ C = 'Update-IscsiLun'; S = 'Rollback'; Run = { Update-IscsiLun cm-clone -Rollback -Confirm:$false -PassThru }; Check = { param($o) $o.Image -eq 'cm-img:v1' } }
            @{ C = 'Remove-IscsiImage'; S = '__AllParameterSets'; Run = { New-IscsiImage cm-gone golden/cm.img -Backend cm-san | Remove-IscsiImage -Confirm:$false -PassThru }; Check = { param($o) $o.Name -eq 'cm-gone' } }
            @{ C = 'Get-IscsiBackendSpace'; S = '__AllParameterSets'; Run = { Get-IscsiBackend cm-san | Get-IscsiBackendSpace }; Check = { param($o) $o.Backend -eq 'cm-san' } }
        )
        $state = (Get-SimulationType SimulatedHostState)::Load($ctx.State)
        $state.AddFile('/var/lib/pureboot/luns/golden/cm.img', 64MB, 1MB, 'cm-v1')
        $state.Save($ctx.State)
    }

    It 'the table names every parameter set there is' {
        $expected = foreach ($cmd in Get-Command -Module PureBoot) { foreach ($set in $cmd.ParameterSets) { "$($cmd.Name)/$($set.Name)" } }
        ($cases | ForEach-Object { "$($_.C)/$($_.S)" } | Sort-Object) | Should -Be ($expected | Sort-Object)
    }

    It '<C> (<S>)' -ForEach @(
        # -ForEach needs the data at discovery: the names only; the calls are found in $cases at run time.
        foreach ($cmd in 'New-IscsiBackend', 'Get-IscsiBackend', 'Set-IscsiBackend', 'Remove-IscsiBackend', 'Test-IscsiBackend', 'New-IscsiNode',
            'Get-IscsiNode', 'Set-IscsiNode', 'Remove-IscsiNode', 'New-IscsiLun/SizeGB', 'New-IscsiLun/SizeBytes', 'Get-IscsiLun/Name',
            'Get-IscsiLun/NodeObject', 'Get-IscsiLun/BackendObject', 'Set-IscsiLun', 'Resize-IscsiLun/SizeGB', 'Resize-IscsiLun/SizeBytes',
            'Remove-IscsiLun', 'Set-IscsiLunAssignment', 'Remove-IscsiLunAssignment', 'Get-IscsiTargetStatus/Luns', 'Get-IscsiTargetStatus/Report',
            'Get-IscsiTargetStatus/Drift', 'Get-IscsiLunChapCredential', 'Get-PureBootAuditLog', 'Sync-IscsiTarget/Actions', 'Sync-IscsiTarget/Report',
            'Import-IscsiTargetConfig', 'Restart-IscsiTarget/Lun', 'Restart-IscsiTarget/Node', 'Restart-IscsiTarget/NodeObject',
            'Get-IscsiBootScript/Text', 'Get-IscsiBootScript/File', 'Save-IscsiBootScript',
            'New-IscsiImage/Path', 'New-IscsiImage/Lun', 'Get-IscsiImage', 'Checkpoint-IscsiLun', 'Get-IscsiLunSnapshot', 'Restore-IscsiLun',
            'Remove-IscsiLunSnapshot', 'Reset-IscsiLun', 'Update-IscsiLun/Image', 'Update-IscsiLun/Rollback', 'Remove-IscsiImage', 'Get-IscsiBackendSpace') {
            $c, $s = $cmd -split '/'
            @{ C = $c; S = if ($s) { $s } else { '__AllParameterSets' } }
        }) {
        $case = $cases | Where-Object { $_.C -eq $C -and $_.S -eq $S }
        $case | Should -Not -BeNullOrEmpty
        $out = & $case.Run
        (& $case.Check $out) | Should -BeTrue -Because "$C ($S) wrote $($out | Out-String)"
    }
}

Describe 'Pipeline binding between cmdlets' {
    It 'nodes -> New-IscsiLun -> Set-IscsiLunAssignment -> Get-IscsiLunChapCredential' {
        New-IscsiNode -Name cm-pipe -MacAddress 52:54:00:c0:00:09 | New-IscsiLun -SizeGB 0.02 -Backend cm-san |
            Set-IscsiLunAssignment -PassThru | Get-IscsiLunChapCredential | ForEach-Object UserName | Should -Be 'cm-pipe'
    }

    It 'LUNs -> Set-IscsiLun, Resize-IscsiLun, Remove-IscsiLunAssignment, Sync-IscsiTarget, Get-PureBootAuditLog, Get-IscsiBootScript' {
        (Get-IscsiLun cm-pipe | Set-IscsiLun -Description piped -PassThru).Description | Should -Be 'piped'
        (Get-IscsiLun cm-pipe | Resize-IscsiLun -SizeGB 0.05 -PassThru).SizeGB | Should -Be 0.05
        Get-IscsiLun cm-pipe | Get-IscsiBootScript | Should -Match 'boots LUN cm-pipe'
        @(Get-IscsiLun cm-pipe | Get-PureBootAuditLog).Operation | Should -Contain 'resize-lun'
        @(Get-IscsiLun cm-* | Sync-IscsiTarget -Report -Confirm:$false).Count | Should -Be 1   # one backend, synced once
        (Get-IscsiLun cm-pipe | Remove-IscsiLunAssignment -Confirm:$false -PassThru).Status | Should -Be 'Ready'
    }

    It 'target status -> Restart-IscsiTarget; backends -> Test-IscsiBackend, Get-IscsiTargetStatus, Get-IscsiLun; nodes -> Set-IscsiNode, Save-IscsiBootScript' {
        (Get-IscsiTargetStatus cm-san -NoSessions | Where-Object Name -eq cm-web1 | Restart-IscsiTarget -Confirm:$false -PassThru).Name | Should -Be 'cm-web1'
        Get-IscsiBackend cm-san | Test-IscsiBackend -Quiet | Should -BeTrue
        @(Get-IscsiBackend cm-san | Get-IscsiTargetStatus -NoSessions).Count | Should -BeGreaterThan 1
        (Get-IscsiNode cm-web2 | Set-IscsiNode -Description piped -PassThru).Description | Should -Be 'piped'
        Get-IscsiNode cm-web* | Save-IscsiBootScript -Path { Join-Path $ctx.Dir "$($_.Name).ipxe" } -PortalAddress $portal -Force
        Test-Path (Join-Path $ctx.Dir 'cm-web1.ipxe'), (Join-Path $ctx.Dir 'cm-web2.ipxe') | Should -Be @($true, $true)
    }

    It 'CSV rows -> New-IscsiNode, with every row checked before any is written' {
        $csv = Join-Path $ctx.Dir 'nodes.csv'
        "Name,MacAddress`ncm-csv1,52:54:00:c0:01:01`ncm-csv2,not-a-mac`n" | Set-Content $csv
        { Import-Csv $csv | New-IscsiNode -ErrorAction Stop } | Should -Throw -ErrorId 'PureBoot.InvalidArgument,*'
        Get-IscsiNode cm-csv* | Should -BeNullOrEmpty
        "Name,MacAddress`ncm-csv1,52:54:00:c0:01:01`ncm-csv2,52:54:00:c0:01:02`n" | Set-Content $csv
        (Import-Csv $csv | New-IscsiNode -SummaryVariable sum).Name | Should -Be @('cm-csv1', 'cm-csv2')
        $sum.Ok | Should -Be 2
    }
}

Describe '-WhatIf on every cmdlet that changes something changes nothing' {
    It '<_> -WhatIf' -ForEach @(
        'New-IscsiBackend -Name cm-w -Transport Simulated'
        'Set-IscsiBackend cm-san -PortalPort 3261'
        'New-IscsiNode -Name cm-w -MacAddress 52:54:00:c0:0f:01'
        'Set-IscsiNode cm-web1 -MacAddress 52:54:00:c0:0f:02'
        'Remove-IscsiNode cm-csv1'
        'New-IscsiLun -Name cm-w -SizeGB 1 -Backend cm-san'
        'Set-IscsiLun cm-web1 -RotateChap'
        'Resize-IscsiLun cm-web1 -SizeGB 1'
        'Remove-IscsiLun cm-free'
        'Set-IscsiLunAssignment cm-free -Node cm-csv1'
        'Remove-IscsiLunAssignment cm-web1'
        'Sync-IscsiTarget cm-san -RemoveOrphans'
        'Import-IscsiTargetConfig cm-san'
        'Restart-IscsiTarget -Node cm-web1'
        'Save-IscsiBootScript cm-web1 -Path {dir}/w.ipxe -PortalAddress 192.0.2.9'
        'Get-IscsiBootScript cm-web1 -Path {dir}/w.ipxe -PortalAddress 192.0.2.9'
        'New-IscsiImage cm-img golden/cm.img -Backend cm-san'
        'Remove-IscsiImage cm-img -DetachLuns'
        'Checkpoint-IscsiLun cm-clone -Snapshot cp9'
        'Reset-IscsiLun cm-clone -Force'
        'Update-IscsiLun cm-clone -Image cm-img -Version 2'
    ) {
        $world = Get-World
        $err = Get-ErrorOf ([scriptblock]::Create(($_ -replace '\{dir\}', $ctx.Dir) + ' -WhatIf'))
        $err | Should -BeNullOrEmpty
        Get-World | Should -Be $world
        Test-Path (Join-Path $ctx.Dir 'w.ipxe') | Should -BeFalse
    }
}

Describe 'Errors carry a stable id, a category and the name they are about' {
    It '<Call> is <Id> (<Category>)' -ForEach @(
        @{ Call = 'Get-IscsiLun nosuch'; Id = 'PureBoot.NotFound'; Category = 'ObjectNotFound'; Target = 'nosuch' }
        @{ Call = 'Get-IscsiNode nosuch'; Id = 'PureBoot.NotFound'; Category = 'ObjectNotFound'; Target = 'nosuch' }
        @{ Call = 'Get-IscsiBackend nosuch'; Id = 'PureBoot.NotFound'; Category = 'ObjectNotFound'; Target = 'nosuch' }
        @{ Call = 'New-IscsiLun -Name Bad_Name -SizeGB 1 -Backend cm-san'; Id = 'PureBoot.InvalidArgument'; Category = 'InvalidArgument'; Target = 'Bad_Name' }
        @{ Call = 'New-IscsiLun -Name cm-web1 -SizeGB 1 -Backend cm-san'; Id = 'PureBoot.Conflict'; Category = 'ResourceExists'; Target = 'cm-web1' }
        @{ Call = 'New-IscsiNode -Name cm-web1 -MacAddress 52:54:00:c0:0e:01'; Id = 'PureBoot.Conflict'; Category = 'ResourceExists'; Target = 'cm-web1' }
        @{ Call = 'New-IscsiBackend -Name cm-san -Transport Local'; Id = 'PureBoot.Conflict'; Category = 'ResourceExists'; Target = 'cm-san' }
        @{ Call = 'Remove-IscsiLun cm-web1 -Confirm:$false'; Id = 'PureBoot.Conflict'; Category = 'InvalidOperation'; Target = 'cm-web1' }
        @{ Call = 'Remove-IscsiNode cm-web1 -Confirm:$false'; Id = 'PureBoot.Conflict'; Category = 'InvalidOperation'; Target = 'cm-web1' }
        @{ Call = 'Remove-IscsiBackend cm-san -Confirm:$false'; Id = 'PureBoot.Conflict'; Category = 'InvalidOperation'; Target = 'cm-san' }
        @{ Call = 'Set-IscsiLunAssignment cm-web1 -Node cm-web2'; Id = 'PureBoot.Conflict'; Category = 'InvalidOperation'; Target = 'cm-web1' }
        @{ Call = 'Resize-IscsiLun cm-web1 -SizeGB 0.01'; Id = 'PureBoot.InvalidArgument'; Category = 'InvalidArgument'; Target = 'cm-web1' }
        @{ Call = 'Set-IscsiLunAssignment cm-nonode'; Id = 'PureBoot.NodeRequired'; Category = 'InvalidArgument'; Target = 'cm-nonode' }
        @{ Call = 'Restart-IscsiTarget -Lun nosuch -Confirm:$false'; Id = 'PureBoot.NotFound'; Category = 'ObjectNotFound'; Target = 'nosuch' }
        @{ Call = 'Sync-IscsiTarget nosuch -Confirm:$false'; Id = 'PureBoot.NotFound'; Category = 'ObjectNotFound'; Target = 'nosuch' }
        @{ Call = 'Get-IscsiBootScript cm-csv2'; Id = 'PureBoot.NotFound'; Category = 'ObjectNotFound'; Target = 'cm-csv2' }
        @{ Call = 'Set-IscsiNode cm-web1 -MacAddress 52:54:00:c0:00:02'; Id = 'PureBoot.Conflict'; Category = 'ResourceExists'; Target = 'cm-web1' }
        @{ Call = 'New-IscsiBackend -Name cm-x -Transport Ssh -HostName "bad host"'; Id = 'PureBoot.InvalidArgument'; Category = 'InvalidArgument'; Target = 'cm-x' }
        @{ Call = 'New-IscsiBackend -Name cm-p -Transport Ssh -HostName h1 -Port 0'; Id = 'PureBoot.InvalidArgument'; Category = 'InvalidArgument'; Target = 'cm-p' }
        @{ Call = 'Set-IscsiBackend cm-san -PortalPort 70000'; Id = 'PureBoot.InvalidArgument'; Category = 'InvalidArgument'; Target = 'cm-san' }
    ) {
        $err = Get-ErrorOf ([scriptblock]::Create($Call))
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err[0].CategoryInfo.Category | Should -Be $Category
        $err[0].TargetObject | Should -Be $Target
        $err[0].Exception | Should -BeOfType ([PureBoot.PowerShell.PureBootOperationException])
    }

    It 'a bad parameter value names the cmdlet''s parameter, in TargetName and in the message' {
        $err = Get-ErrorOf { New-IscsiLun -Name cm-v -SizeBytes 1000 -Backend cm-san }
        $err[0].CategoryInfo.TargetName | Should -Be 'SizeBytes'
        $err[0].ToString() | Should -Match "^Parameter 'SizeBytes': 1000 bytes is out of range"
        $err = Get-ErrorOf { New-IscsiLun -Name cm-v -SizeGB 1 -Backend cm-san -ChapCredential ([pscredential]::new('bad user', (ConvertTo-SecureString 'Abcdefgh12345' -AsPlainText -Force))) }
        $err[0].CategoryInfo.TargetName | Should -Be 'ChapCredential'
        $err[0].ToString() | Should -Match "^Parameter 'ChapCredential':"
        $err = Get-ErrorOf { Set-IscsiLunAssignment -Name 'Bad_Lun' -Node cm-web1 }
        $err[0].CategoryInfo.TargetName | Should -Be 'Name'
    }
}

Describe 'Every default view fits 80 columns' {
    It 'the <Name> view' -ForEach @(
        @{ Name = 'Lun'; Get = { Get-IscsiLun cm-* }; Header = 'Name\s+Backend\s+SizeGB\s+Status\s+Node\s+Chap' }
        @{ Name = 'LunTargetStatus'; Get = { Get-IscsiTargetStatus cm-san -NoSessions }; Header = 'Name\s+Status\s+Node\s+InSync\s+Drift' }
        @{ Name = 'Node'; Get = { Get-IscsiNode cm-* }; Header = 'Name\s+MacAddress\s+InitiatorIqn' }
        @{ Name = 'Backend'; Get = { Get-IscsiBackend cm-san }; Header = 'Name\s+Transport\s+Endpoint\s+Storage\s+Mode\s+StoragePath' }
        @{ Name = 'AuditEntry'; Get = { Get-PureBootAuditLog -Last 20 }; Header = 'Time\s+Operation\s+ObjectType\s+ObjectName\s+Outcome' }
        @{ Name = 'BackendTestReport'; Get = { Test-IscsiBackend cm-san }; Header = 'Backend\s+Passed\s+Reachable\s+Configfs\s+DBus\s+Storage\s+Error' }
        @{ Name = 'BootScriptInfo'; Get = { Save-IscsiBootScript cm-web1 -Path (Join-Path $ctx.Dir 'v.ipxe') -PortalAddress 192.0.2.9 -Force -PassThru }; Header = 'Node\s+Lun\s+Chap\s+RootPath' }
        @{ Name = 'BatchSummary'; Get = { New-IscsiLun cm-web1 -SizeGB 0.02 -Backend cm-san -IfNotExists -SummaryVariable v | Out-Null; $v }; Header = 'Command\s+Total\s+Ok\s+Failed\s+Unchanged\s+Planned\s+WhatIf' }
        @{ Name = 'BatchItemResult'; Get = { New-IscsiLun cm-web1 -SizeGB 0.02 -Backend cm-san -IfNotExists -SummaryVariable v | Out-Null; $v.Items }; Header = 'Name\s+State\s+ErrorId\s+Message' }
    ) {
        $lines = & $Get | Get-FormattedLine -Width 80
        $lines.Count | Should -BeGreaterThan 2
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 -Because $_ }
        $lines[0] | Should -Match $Header
        ($lines -join "`n") | Should -Not -Match '…'
    }

    It 'the drift and sync views, and a target IQN, whole at 80 columns' {
        $lun = Get-IscsiLun cm-web2
        Invoke-SimulatedTargetcli -StatePath $ctx.State -Lines "/iscsi/$($lun.TargetIqn)/tpg1/acls delete $($lun.InitiatorIqn)"
        foreach ($view in (Get-IscsiTargetStatus cm-san -Drift), (Sync-IscsiTarget cm-san -Confirm:$false)) {
            $lines = $view | Get-FormattedLine -Width 80
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
            ($lines -join "`n") | Should -Not -Match '…'
        }
        (Save-IscsiBootScript cm-web2 -Path (Join-Path $ctx.Dir 'v2.ipxe') -PortalAddress 192.0.2.9 -Force -PassThru | Get-FormattedLine -Width 80) -join '' -replace '\s' |
            Should -Match ([regex]::Escape($lun.TargetIqn))
    }
}

Describe 'JSON and CSV output' {
    It 'ConvertTo-Json writes enums by name for every kind of object' {
        Get-IscsiLun cm-web1 | ConvertTo-Json | Should -Match '"Status":\s*"Active"'
        Get-IscsiBackend cm-san | ConvertTo-Json | Should -Match '"Storage":\s*"FileIO"'
        Get-PureBootAuditLog -Last 1 | ConvertTo-Json | Should -Match '"Outcome":\s*"(Success|Failure)"'
        Test-IscsiBackend cm-san | ConvertTo-Json | Should -Match '"Executor":\s*"Rtslib"'
        $report = Sync-IscsiTarget cm-san -Report -Confirm:$false
        $report | ConvertTo-Json -Depth 4 | Should -Not -Match '"Kind":\s*\d'
        (Get-IscsiLun cm-web1 | ConvertTo-Json | ConvertFrom-Json).Status | Should -Be 'Active'
    }

    It 'Export-Csv writes names, and a CSV of nodes round-trips into New-IscsiNode -IfNotExists' {
        $csv = Join-Path $ctx.Dir 'luns.csv'
        Get-IscsiLun cm-web* | Export-Csv $csv
        (Import-Csv $csv).Status | Should -Be @('Active', 'Active')
        (Import-Csv $csv).Purpose | Should -Be @('BootFromSan', 'BootFromSan')
        $nodes = Join-Path $ctx.Dir 'nodes-out.csv'
        Get-IscsiNode cm-web* | Select-Object Name, MacAddress | Export-Csv $nodes
        @(Import-Csv $nodes | New-IscsiNode -IfNotExists).Count | Should -Be 2
    }
}

Describe 'Completers' {
    It 'complete backend, node and LUN names from the inventory' {
        Complete 'Get-IscsiLun -Backend cm-' | Should -Contain 'cm-san'
        Complete 'Set-IscsiLunAssignment -Name cm-free -Node cm-sp' | Should -Be 'cm-spare'
        Complete 'Remove-IscsiLun -Name cm-fr' | Should -Be 'cm-free'
        Complete 'Set-IscsiNode -Name cm-web' | Should -Be @('cm-web1', 'cm-web2')
        Complete 'Save-IscsiBootScript -Node cm-web2' | Should -Be 'cm-web2'
    }

    It 'complete -ObjectName, -Operation and -ObjectType with values, not file names' {
        Complete 'Get-PureBootAuditLog -ObjectName cm-fr' | Should -Be 'cm-free'
        Complete 'Get-PureBootAuditLog -Operation assign' | Should -Be 'assign-lun'
        Complete 'Get-PureBootAuditLog -Operation ' | Should -Contain 'read-chap-credential'
        Complete 'Get-PureBootAuditLog -ObjectType l' | Should -Be 'lun'
    }

    It 'take -Database relative to PowerShell''s current location, and $env:PUREBOOT_DB too' {
        $dir = Join-Path $ctx.Dir 'completion'
        New-Item -ItemType Directory $dir | Out-Null
        New-IscsiNode -Name cm-far -MacAddress 52:54:00:c0:0a:01 -Database (Join-Path $dir 'far.db') | Out-Null
        Push-Location $dir
        $saved = $env:PUREBOOT_DB
        try {
            Complete 'Get-IscsiNode -Database ./far.db -Name cm-f' | Should -Be 'cm-far'
            Complete 'Get-IscsiNode -Database far.db -Name cm-f' | Should -Be 'cm-far'
            $env:PUREBOOT_DB = 'far.db'
            Complete 'Get-IscsiNode -Name cm-f' | Should -Be 'cm-far'
        }
        finally { $env:PUREBOOT_DB = $saved; Pop-Location }
    }
}
