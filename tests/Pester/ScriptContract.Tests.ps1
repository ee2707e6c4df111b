#Requires -Version 7.4
# Pester 5: issue 11, section 2, "the scheduled-script contract": points 1-5, one Describe per point
# (6-14 are in ScriptContract.Output.Tests.ps1),
# each against a simulated backend of its own. The helpers are in ScriptContractSetup.ps1. Each It failed on the module as
# it was when the issue was filed (commit ac8d504), except point 10's -HostName check, which already held there.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $ctx = New-PureBootTestContext
    $script:setups = 0
    . (Join-Path $PSScriptRoot 'ScriptContractSetup.ps1')
}

AfterAll {
    Remove-PureBootTestContext $ctx
}

Describe 'Point 1: every piped item is checked before anything is sent; successes before errors; a summary' {
    BeforeAll { $s = New-Setup -Prefix p1 -Nodes 0 }

    It 'one bad item under -ErrorAction Stop: nothing is sent or written' {
        $before = Get-StateHash $s.State
        { 'p1-a', 'P1 bad!', 'p1-b' | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
            New-IscsiLun -SizeGB 0.02 -Backend $s.Backend -ErrorAction Stop } | Should -Throw -ErrorId 'PureBoot.InvalidArgument,*'
        Get-IscsiLun 'p1-*' | Should -BeNullOrEmpty
        Get-StateHash $s.State | Should -Be $before
        # Fixed, the same script runs clean: nothing half-made is in the way.
        @('p1-a', 'p1-b' | ForEach-Object { [pscustomobject]@{ Name = $_ } } | New-IscsiLun -SizeGB 0.02 -Backend $s.Backend -ErrorAction Stop).Count | Should -Be 2
    }

    It 'a target failure under -ErrorAction Stop: the LUNs that were made are written before the error' {
        Add-SimulatedFault -StatePath $s.State -Pattern 'name=p1-bad1 '
        $seen = [System.Collections.Generic.List[string]]::new()
        { 'p1-bad1', 'p1-c', 'p1-d' | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
            New-IscsiLun -SizeGB 0.02 -Backend $s.Backend -ErrorAction Stop | ForEach-Object { $seen.Add($_.Name) } } | Should -Throw -ErrorId 'PureBoot.LunCreateFailed,*'
        @($seen | Sort-Object) | Should -Be @('p1-c', 'p1-d')
        (Get-IscsiLun p1-bad1).Status | Should -Be 'Error'
    }

    It '-SummaryVariable gives ok/failed counts and each item''s result' {
        $err = $null
        'p1-e', 'P1 bad!', 'p1-a' | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
            New-IscsiLun -SizeGB 0.02 -Backend $s.Backend -SummaryVariable sum -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
        $sum.Total | Should -Be 3
        $sum.Ok | Should -Be 1
        $sum.Failed | Should -Be 2
        ($sum.Items | Where-Object State -eq 'Failed').Name | Should -Be @('P1 bad!', 'p1-a')
        ($sum.Items | Where-Object Name -eq 'p1-a').ErrorId | Should -Be 'PureBoot.Conflict'
        $err.Count | Should -Be 2
    }
}

Describe 'Point 2: running the README quick start twice converges' {
    It 'gives no error and no duplicates the second time, and a conflicting object is still an error that says what differs' {
        $state = Join-Path $ctx.Dir 'p2.json'
        # The README quick start, with -IfNotExists as it documents for scripts that run again.
        $quickStart = {
            New-IscsiBackend -Name p2-lab -Transport Simulated -SimulationStatePath $state -IfNotExists | Out-Null
            New-IscsiNode -Name p2-web01 -MacAddress 52:54:00:12:34:56 -IfNotExists | Out-Null
            New-IscsiNode -Name p2-web02 -MacAddress 52:54:00:12:34:57 -IfNotExists | Out-Null
            Get-IscsiNode p2-web* | New-IscsiLun -SizeGB 0.02 -Backend p2-lab -IfNotExists | Set-IscsiLunAssignment
            Get-IscsiTargetStatus p2-lab | Out-Null
            Get-IscsiLunChapCredential p2-web01 | Out-Null
        }
        foreach ($run in 1, 2) {
            $errors = @(& $quickStart 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            $errors | Should -BeNullOrEmpty -Because "run $run of the quick start wrote no error"
            @(Get-IscsiBackend p2-*).Count | Should -Be 1
            @(Get-IscsiNode p2-*).Count | Should -Be 2
            @(Get-IscsiLun p2-*).Count | Should -Be 2
            (Get-IscsiLun p2-*).Status | Should -Be @('Active', 'Active')
        }
        $err = $null
        New-IscsiNode -Name p2-web01 -MacAddress 52:54:00:12:34:99 -IfNotExists -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*'
        $err[0].ToString() | Should -Match 'MAC address is 52:54:00:12:34:56, not 52:54:00:12:34:99'
    }
}

Describe 'Point 3: -WhatIf runs the real checks and tells the truth; the plan as objects' {
    BeforeAll { $s = New-Setup -Prefix p3 -Nodes 1 -Luns }

    It 'an unknown backend, node or LUN and an existing name fail under -WhatIf' {
        $err = $null
        New-IscsiLun -Name p3-x -SizeGB 1 -Backend nosuch -WhatIf -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
        $err = $null
        New-IscsiLun -Name p3-web1 -SizeGB 1 -Backend $s.Backend -WhatIf -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*'
        $err = $null
        Set-IscsiLunAssignment -Name p3-web1 -Node nosuch -WhatIf -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
        $err = $null
        Remove-IscsiLun -Name nosuch -WhatIf -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
    }

    It 'a shrink fails under -WhatIf and no "Grow" is printed; a grow says from and to' {
        $t = Invoke-Transcribed { Resize-IscsiLun p3-web1 -SizeGB 0.01 -WhatIf 2>&1 }
        $err = @($t.Output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.InvalidArgument,*'
        $err[0].ToString() | Should -Match 'shrinking'
        $t.Text | Should -Not -Match 'What if:.*Grow'
        (Invoke-Transcribed { Resize-IscsiLun p3-web1 -SizeGB 1 -WhatIf }).Text | Should -Match 'What if:.*Grow from 0\.02 GB to 1 GB'
        (Get-IscsiLun p3-web1).SizeGB | Should -Be 0.02
    }

    It 'an assigned LUN without -Force and a node or backend that still has LUNs fail under -WhatIf' {
        foreach ($cmd in { Remove-IscsiLun p3-web1 -WhatIf }, { Remove-IscsiNode p3-web1 -WhatIf }, { Remove-IscsiBackend p3-san -WhatIf }) {
            $err = Get-ErrorOf $cmd
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*' -Because "$cmd"
        }
        Get-IscsiLun p3-web1 | Should -Not -BeNullOrEmpty
    }

    It 'Sync-IscsiTarget -WhatIf -Report writes the plan as a SyncReport and changes nothing' {
        $lun = Get-IscsiLun p3-web1
        Invoke-SimulatedTargetcli -StatePath $s.State -Lines "/iscsi/$($lun.TargetIqn)/tpg1/acls delete $($lun.InitiatorIqn)"
        $before = Get-SimulatedTargetConfig $s.State
        $plan = @(Sync-IscsiTarget $s.Backend -WhatIf -Report)
        $plan.Count | Should -Be 1
        $plan[0].Applied | Should -BeFalse
        @($plan[0].Actions | Where-Object { $_.Kind -eq 'Repair' -and $_.Lun -eq 'p3-web1' }).Count | Should -Be 1
        Get-SimulatedTargetConfig $s.State | Should -Be $before
    }

    It 'a batch''s plan is an object too (-SummaryVariable under -WhatIf)' {
        'p3-new1', 'p3-web1' | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
            New-IscsiLun -SizeGB 0.02 -Backend $s.Backend -WhatIf -SummaryVariable plan -ErrorAction SilentlyContinue
        $plan.WhatIf | Should -BeTrue
        ($plan.Items | Where-Object Name -eq 'p3-new1').State | Should -Be 'Planned'
        ($plan.Items | Where-Object Name -eq 'p3-web1').State | Should -Be 'Failed'
        Get-IscsiLun p3-new1 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Point 4: Set-IscsiNode swaps a node''s NIC, its ACL follows, CHAP kept' {
    BeforeAll { $s = New-Setup -Prefix p4 -Nodes 1 -Luns }

    It 'moves the node''s ACL to the new IQN in one batch and keeps its CHAP credential' {
        $old = Get-IscsiNode p4-web1
        $chap = (Get-IscsiLunChapCredential p4-web1).GetNetworkCredential().Password
        $node = Set-IscsiNode p4-web1 -MacAddress 52:54:00:44:44:44 -Description 'new NIC' -PassThru
        $node.MacAddress | Should -Be '52:54:00:44:44:44'
        $node.InitiatorIqn | Should -Be 'iqn.2026-01.local.pureboot:node:525400444444'
        $node.Description | Should -Be 'new NIC'
        $lun = Get-IscsiLun p4-web1
        $lun.Status | Should -Be 'Active'
        $lun.InitiatorIqn | Should -Be $node.InitiatorIqn
        $config = Get-SimulatedTargetConfig $s.State
        $config | Should -Match ([regex]::Escape($node.InitiatorIqn))
        $config | Should -Not -Match ([regex]::Escape($old.InitiatorIqn))
        (Get-IscsiLunChapCredential p4-web1).GetNetworkCredential().Password | Should -Be $chap
        @(Get-IscsiTargetStatus $s.Backend -Drift).Count | Should -Be 0
        @(Get-PureBootAuditLog -Operation move-node-acl -ObjectName p4-web1).Count | Should -Be 1
    }
}

Describe 'Point 5: -Name takes many names; nodes and backends pipe into Get-IscsiLun; unknown filters are errors' {
    BeforeAll { $s = New-Setup -Prefix p5 -Nodes 2 -Luns }

    It '-Name is string[] on every cmdlet that acts on names' {
        foreach ($cmd in Get-Command -Module PureBoot | Where-Object { $_.Parameters.ContainsKey('Name') -and $_.Name -notin 'New-IscsiBackend', 'New-IscsiNode', 'New-IscsiImage' }) {
            $cmd.Parameters['Name'].ParameterType | Should -Be ([string[]]) -Because $cmd.Name
        }
        @(Remove-IscsiLunAssignment -Name p5-web1, p5-web2 -Confirm:$false -PassThru).Count | Should -Be 2
        Set-IscsiLunAssignment -Name p5-web1, p5-web2 -Confirm:$false
    }

    It 'Get-IscsiNode web01 | Get-IscsiLun and Get-IscsiBackend lab | Get-IscsiLun list their LUNs' {
        (Get-IscsiNode p5-web1 | Get-IscsiLun).Name | Should -Be 'p5-web1'
        (Get-IscsiBackend $s.Backend | Get-IscsiLun).Name | Should -Be @('p5-web1', 'p5-web2')
    }

    It 'a -Backend or -Node filter naming nothing is an error, not an empty result' {
        foreach ($cmd in { Get-IscsiLun -Backend nosuch }, { Get-IscsiLun -Node nosuch }) {
            $err = Get-ErrorOf $cmd
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*' -Because "$cmd"
        }
        Get-IscsiLun -Backend 'nosuch*' -ErrorAction Stop | Should -BeNullOrEmpty   # a wildcard may match nothing
    }
}
