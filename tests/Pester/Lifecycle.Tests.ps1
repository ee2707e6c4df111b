#Requires -Version 7.4
# Pester 5: the disk lifecycle end to end on a simulated backend: images and their versions, clones, snapshots,
# restore (and who may be logged in), reset, rollout with a -WhatIf plan and rollback, space and its limit.
# The simulated host models reflinks (XFS) and thin pools: clones and snapshots share data, writes do not.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $ctx = New-PureBootTestContext

    # Puts a file on the simulated host (a golden image: SIZE bytes of which ALLOCATED hold data labelled CONTENT).
    function Add-SimulatedFile([string] $Path, [long] $Size, [long] $Allocated, [string] $Content) {
        $state = (Get-SimulationType SimulatedHostState)::Load($ctx.State)
        $state.AddFile($Path, $Size, $Allocated, $Content)
        $state.Save($ctx.State)
    }
    # What a LUN's disk holds now (the label of its data), and a node writing to it.
    function Get-DiskContent([string] $Lun) {
        $state = (Get-SimulationType SimulatedHostState)::Load($ctx.State)
        $state.Files[(Get-IscsiLun $Lun).BackingPath].Content
    }
    function Write-Disk([string] $Lun, [string] $Content) {
        $state = (Get-SimulationType SimulatedHostState)::Load($ctx.State)
        $state.WriteData((Get-IscsiLun $Lun).BackingPath, 4MB, $Content)
        $state.Save($ctx.State)
    }
    # The node of a LUN logs in with its CHAP secret and stays logged in.
    function Connect-Node([string] $Lun) {
        $l = Get-IscsiLun $Lun
        $c = Get-IscsiLunChapCredential $Lun
        # The state file keeps CHAP passwords sealed with the inventory's key: the initiator needs them open.
        $box = [PureBoot.Core.Secrets.SecretKeyProvider]::new().CreateBox()
        $state = (Get-SimulationType SimulatedHostState)::Load($ctx.State, $box)
        $r = (Get-SimulationType SimulatedInitiator)::Login($state, $l.InitiatorIqn, $l.TargetIqn, $l.MappedLunIndex, $c.UserName, $c.GetNetworkCredential().Password, [NullString]::Value, [NullString]::Value, $true)
        $state.Save($ctx.State, $box)
        $r
    }
}

AfterAll {
    Remove-PureBootTestContext $ctx
}

Describe 'The disk lifecycle on a simulated backend' {
    BeforeAll {
        New-IscsiBackend -Name sim1 -Transport Simulated -SimulationStatePath $ctx.State | Out-Null
        Test-IscsiBackend sim1 | Out-Null   # creates the simulated host
        Add-SimulatedFile /var/lib/pureboot/luns/golden/deb12.img 10GB 1MB 'deb12-v1'
        Add-SimulatedFile /var/lib/pureboot/luns/golden/deb12-v2.img 10GB 2MB 'deb12-v2'
        1..4 | ForEach-Object { New-IscsiNode -Name "seat0$_" -MacAddress "52:54:00:00:05:0$_" } | Out-Null
    }

    It 'Test-IscsiBackend and Get-IscsiBackendSpace say the backend clones by reflink' {
        (Test-IscsiBackend sim1).CloneMethod | Should -Be 'Reflink'
        $space = Get-IscsiBackendSpace sim1
        $space | Should -BeOfType ([PureBoot.Core.Operations.BackendSpace])
        $space.FilesystemType | Should -Be 'xfs'
        $space.OverLimit | Should -BeFalse
    }

    It 'New-IscsiImage registers versions of an image file; Get-IscsiImage lists them' {
        $v1 = New-IscsiImage -Name deb12 -Backend sim1 -Path golden/deb12.img -Description 'base'
        $v1 | Should -BeOfType ([PureBoot.Core.Model.DiskImage])
        $v1.Version | Should -Be 1
        $v1.Path | Should -Be '/var/lib/pureboot/luns/deb12/v1.img'
        (New-IscsiImage deb12 golden/deb12-v2.img -Backend sim1).Version | Should -Be 2
        (Get-IscsiImage deb12).Version | Should -Be @(1, 2)
        (Get-IscsiImage deb12 -Latest).Version | Should -Be 2
    }

    It 'refuses a path outside the image directory with PureBoot.InvalidArgument naming -Path, and writes nothing' {
        $before = Get-StateHash $ctx.State
        $err = $null
        New-IscsiImage -Name bad -Backend sim1 -Path /etc/shadow -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.InvalidArgument*'
        $err[0].CategoryInfo.TargetName | Should -Be 'Path'
        Get-StateHash $ctx.State | Should -Be $before
        Get-IscsiImage bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'Get-IscsiNode | New-IscsiLun -Image -Assign clones the image for every node in one batch' {
        $luns = @(Get-IscsiNode seat* | New-IscsiLun -Backend sim1 -Image deb12 -ImageVersion 1 -Assign)
        $luns.Count | Should -Be 4
        $luns | ForEach-Object { $_.Image | Should -Be 'deb12:v1'; $_.Status | Should -Be 'Active'; $_.SizeGB | Should -Be 10 }
        (Get-IscsiImage deb12 -Version 1).LunCount | Should -Be 4
        Get-DiskContent seat03 | Should -Be 'deb12-v1'
    }

    It 'Checkpoint-IscsiLun, then Get-IscsiLunSnapshot | Restore-IscsiLun brings the snapshot back' {
        Write-Disk seat01 'A'
        $snap = Checkpoint-IscsiLun seat01 after-a -Description 'A written'
        $snap | Should -BeOfType ([PureBoot.Core.Model.LunSnapshot])
        $snap.SnapshotName | Should -Be 'after-a'
        Write-Disk seat01 'B'
        Get-IscsiLunSnapshot seat01 | Restore-IscsiLun -Confirm:$false
        Get-DiskContent seat01 | Should -Be 'A'
        (Get-IscsiLun seat01).Status | Should -Be 'Active'
    }

    It 'refuses to restore a disk its node is logged in to (PureBoot.Conflict); -Force drops the session' {
        $login = Connect-Node seat01
        $login.Error | Should -BeNullOrEmpty
        $login.Ok | Should -BeTrue
        $err = $null
        Restore-IscsiLun seat01 after-a -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict*'
        $err[0].Exception.Message | Should -Match '-Force'
        Restore-IscsiLun seat01 after-a -Force -Confirm:$false -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -Match 'dropped the session'
        (Get-IscsiTargetStatus sim1 | Where-Object Name -eq seat01).Session | Should -BeNullOrEmpty
    }

    It 'Reset-IscsiLun discards the nodes'' writes' {
        Write-Disk seat02 'dirty'
        Get-IscsiLun seat02, seat03 | Reset-IscsiLun -Confirm:$false
        Get-DiskContent seat02 | Should -Be 'deb12-v1'
        Get-PureBootAuditLog -Operation reset-lun | Should -HaveCount 2
    }

    It 'Update-IscsiLun -WhatIf writes a plan a script can read, and changes nothing' {
        $before = Get-StateHash $ctx.State
        $plan = @(Get-IscsiLun seat* | Update-IscsiLun -Image deb12 -Version 2 -WhatIf)
        $plan.Count | Should -Be 4
        $plan | ForEach-Object { $_ | Should -BeOfType ([PureBoot.Core.Operations.LunRolloutPlan]); $_.Action | Should -Be 'Rollout'; $_.ToImage | Should -Be 'deb12:v2' }
        $plan[0].Snapshot | Should -Be 'before-deb12-v2'
        Get-StateHash $ctx.State | Should -Be $before
        (Get-IscsiLun seat04).Image | Should -Be 'deb12:v1'
    }

    It 'Update-IscsiLun moves LUNs to version 2 keeping their disks; -Rollback brings one back' {
        Write-Disk seat04 'seat04-work'
        Get-IscsiLun seat* | Update-IscsiLun -Image deb12 -Version 2 -Confirm:$false
        (Get-IscsiLun seat*).Image | Sort-Object -Unique | Should -Be 'deb12:v2'
        Get-DiskContent seat04 | Should -Be 'deb12-v2'
        (Get-IscsiLun seat04).PreviousSnapshot | Should -Be 'before-deb12-v2'
        Update-IscsiLun seat04 -Rollback -Confirm:$false
        Get-DiskContent seat04 | Should -Be 'seat04-work'
        (Get-IscsiLun seat04).Image | Should -Be 'deb12:v1'
    }

    It 'Remove-IscsiImage refuses a version in use (PureBoot.Conflict) and removes an unused one' {
        $err = $null
        Remove-IscsiImage deb12 -Version 2 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict*'
        New-IscsiImage deb12 golden/deb12-v2.img -Backend sim1 | Out-Null
        Get-IscsiImage deb12 -Version 3 | Remove-IscsiImage -Confirm:$false
        (Get-IscsiImage deb12).Version | Should -Be @(1, 2)
    }

    It 'Get-IscsiLunSnapshot | Remove-IscsiLunSnapshot removes snapshots' {
        Get-IscsiLunSnapshot seat01 | Remove-IscsiLunSnapshot -Confirm:$false
        Get-IscsiLunSnapshot seat01 | Should -BeNullOrEmpty
    }

    It 'refuses provisioning beyond the backend''s fill limit with PureBoot.InsufficientSpace naming -Backend' {
        Add-SimulatedFile /var/lib/pureboot/luns/golden/big.img 600GB 600GB 'filler'
        Set-IscsiBackend sim1 -MaxFillPercent 50
        $before = @(Get-IscsiLun).Count
        New-IscsiNode -Name seat05 -MacAddress 52:54:00:00:05:05 | Out-Null
        $err = $null
        New-IscsiLun -Name seat05 -Backend sim1 -Image deb12 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.InsufficientSpace*'
        $err[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $err[0].CategoryInfo.TargetName | Should -Be 'Backend'
        $err[0].Exception.Message | Should -Match 'MaxFillPercent'
        @(Get-IscsiLun).Count | Should -Be $before
        (Get-IscsiBackendSpace sim1 -WarningAction SilentlyContinue).OverLimit | Should -BeTrue
        Set-IscsiBackend sim1 -MaxFillPercent 90
    }

    It 'formats images, snapshots and space in 80 columns' {
        Checkpoint-IscsiLun seat02 a-rather-long-snapshot-name | Out-Null
        foreach ($text in @((Get-IscsiImage | Format-Table | Out-String -Width 80), (Get-IscsiLunSnapshot | Format-Table | Out-String -Width 80),
                            (Get-IscsiBackendSpace sim1 -WarningAction SilentlyContinue | Format-Table | Out-String -Width 80))) {
            $text -split "`n" | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        }
        (Get-IscsiImage | Format-Table | Out-String) | Should -Match 'AllocatedGB'
    }

    It 'runs the real checks under -WhatIf: unknown LUNs and snapshots, a taken snapshot name; nothing is written' {
        Checkpoint-IscsiLun seat03 kept | Out-Null
        $before = Get-StateHash $ctx.State
        $audit = @(Get-PureBootAuditLog).Count
        foreach ($case in @(
                @{ Run = { Checkpoint-IscsiLun nosuch -WhatIf }; Id = 'PureBoot.NotFound' }
                @{ Run = { Checkpoint-IscsiLun seat03 kept -WhatIf }; Id = 'PureBoot.Conflict' }
                @{ Run = { Restore-IscsiLun seat03 nosuch -WhatIf }; Id = 'PureBoot.NotFound' }
                @{ Run = { Remove-IscsiLunSnapshot seat03 nosuch -WhatIf }; Id = 'PureBoot.NotFound' }
                @{ Run = { Reset-IscsiLun nosuch -WhatIf }; Id = 'PureBoot.NotFound' }
                @{ Run = { Update-IscsiLun nosuch -Image deb12 -WhatIf }; Id = 'PureBoot.NotFound' }
                @{ Run = { Update-IscsiLun seat03 -Image nosuch -WhatIf }; Id = 'PureBoot.NotFound' }
                @{ Run = { Update-IscsiLun seat03 -Image 'bad name' -WhatIf }; Id = 'PureBoot.InvalidArgument' })) {
            $t = Invoke-Transcribed ([scriptblock]::Create("$($case.Run) 2>&1"))
            $err = @($t.Output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            $err.Count | Should -Be 1 -Because "$($case.Run)"
            $err[0].FullyQualifiedErrorId | Should -BeLike "$($case.Id),*"
            $t.Text | Should -Not -Match 'What if:' -Because 'a refused item is not described as if it would run'
        }
        # What passes the checks is still only described.
        (Invoke-Transcribed { Restore-IscsiLun seat03 kept -WhatIf }).Text | Should -Match "What if: .*snapshot 'kept'"
        Get-StateHash $ctx.State | Should -Be $before
        @(Get-PureBootAuditLog).Count | Should -Be $audit
    }
}
