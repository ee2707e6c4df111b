#Requires -Version 7.4
# Pester 5: PureBoot end to end against a Simulated backend (a JSON file standing in for a LIO host):
# pipelines, batching, -WhatIf, error ids, formatting and CHAP credentials.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $ctx = New-PureBootTestContext
}

AfterAll {
    Remove-PureBootTestContext $ctx
}

Describe 'PureBoot with a simulated backend' {
    BeforeAll {
        $backend = New-IscsiBackend -Name sim1 -Transport Simulated -SimulationStatePath $ctx.State -Description 'Pester'
        1..3 | ForEach-Object { New-IscsiNode -Name "web0$_" -MacAddress "52:54:00:00:01:0$_" } | Out-Null
        New-IscsiNode -Name db01 -MacAddress 52:54:00:00:02:01 | Out-Null
    }

    Context 'backends and nodes' {
        It 'creates a simulated backend' {
            $backend | Should -BeOfType ([PureBoot.Core.Model.Backend])
            $backend.Transport | Should -Be 'Simulated'
            (Get-IscsiBackend sim1).SimulationStatePath | Should -Be $ctx.State
        }

        It 'tests the backend' {
            $report = Test-IscsiBackend sim1
            $report | Should -BeOfType ([PureBoot.Core.Operations.BackendTestReport])
            $report.Passed | Should -BeTrue
            Get-IscsiBackend | Test-IscsiBackend -Quiet | Should -BeTrue
            Test-Path $ctx.State | Should -BeTrue
        }

        It 'lists nodes by wildcard' {
            (Get-IscsiNode web* | Sort-Object Name).Name | Should -Be @('web01', 'web02', 'web03')
            (Get-IscsiNode web01).InitiatorIqn | Should -Be 'iqn.2026-01.local.pureboot:node:525400000101'
        }

        It 'changes a backend with -PassThru and stays silent without it' {
            Set-IscsiBackend sim1 -Description 'changed' | Should -BeNullOrEmpty
            (Set-IscsiBackend sim1 -Description 'Pester again' -PassThru).Description | Should -Be 'Pester again'
        }
    }

    Context '-WhatIf sends nothing' {
        It 'New-IscsiLun -WhatIf leaves the target and the inventory alone' {
            $before = Get-StateHash $ctx.State
            Get-IscsiNode web* | New-IscsiLun -SizeGB 1 -Backend sim1 -WhatIf
            New-IscsiLun -Name whatif1 -SizeGB 1 -Backend sim1 -WhatIf
            Get-StateHash $ctx.State | Should -Be $before
            Get-IscsiLun | Should -BeNullOrEmpty
        }
    }

    Context 'the create-and-assign pipeline' {
        It 'Get-IscsiNode web* | New-IscsiLun -SizeGB 1 -Backend sim1 | Set-IscsiLunAssignment gives each node its LUN' {
            $luns = @(Get-IscsiNode web* | New-IscsiLun -SizeGB 1 -Backend sim1 | Set-IscsiLunAssignment)
            $luns.Count | Should -Be 3
            foreach ($lun in $luns) {
                $lun | Should -BeOfType ([PureBoot.Core.Model.Lun])
                $lun.Status | Should -Be 'Active'
                $lun.NodeName | Should -Be $lun.Name     # the LUN named after its node
                $lun.Chap | Should -Be 'OneWay'
                $lun.SizeGB | Should -Be 1
            }
            (Get-IscsiLun -Node web02).Name | Should -Be 'web02'
        }

        It 'reads the live target back in sync' {
            $status = @(Get-IscsiTargetStatus sim1)
            $status.Count | Should -Be 3
            $status | ForEach-Object { $_ | Should -BeOfType ([PureBoot.Core.Operations.LunTargetStatus]); $_.InSync | Should -BeTrue }
            @(Get-IscsiBackend sim1 | Get-IscsiTargetStatus -Drift).Count | Should -Be 0
            (Get-IscsiBackend sim1 | Get-IscsiTargetStatus -Report).Luns.Count | Should -Be 3
        }

        It 'reports PureBoot.NodeRequired for a LUN with no node of its name' {
            $err = $null
            $out = New-IscsiLun -Name spare01 -SizeGB 1 -Backend sim1 | Set-IscsiLunAssignment -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NodeRequired,*'
            (Get-IscsiLun spare01).Status | Should -Be 'Ready'
        }

        It 'assigns to an explicit -Node' {
            (Set-IscsiLunAssignment -Name spare01 -Node db01).NodeName | Should -Be 'db01'
        }

        It 'unassigns through the pipeline' {
            $lun = Get-IscsiLun spare01 | Remove-IscsiLunAssignment -Confirm:$false
            $lun.Status | Should -Be 'Ready'
            $lun.NodeName | Should -BeNullOrEmpty
        }
    }

    Context 'errors carry stable ids' {
        It 'a bad LUN name is PureBoot.InvalidArgument and the other items go on' {
            $err = $null
            $made = @('Bad_Name', 'fine01') | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
                New-IscsiLun -SizeGB 1 -Backend sim1 -ErrorAction SilentlyContinue -ErrorVariable err
            @($made).Name | Should -Be 'fine01'
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.InvalidArgument,*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be 'Bad_Name'
        }

        It 'a bad backend setting names the cmdlet parameter' {
            $err = $null
            New-IscsiBackend -Name ssh1 -Transport Ssh -HostName 'bad host!' -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.InvalidArgument,*'
            $err[0].CategoryInfo.TargetName | Should -Be 'HostName'
            $err[0].ToString() | Should -Match "Parameter 'HostName'"
        }

        It 'an unknown backend is PureBoot.NotFound' {
            $err = $null
            New-IscsiLun -Name nobackend -SizeGB 1 -Backend nosuch -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err = $null
            Get-IscsiLun nosuch -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
        }

        It 'a duplicate is PureBoot.Conflict' {
            $err = $null
            New-IscsiLun -Name web01 -SizeGB 1 -Backend sim1 -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*'
        }

        It 'a bad size stops the command with PureBoot.InvalidArgument' {
            { New-IscsiLun -Name toosmall -SizeGB -5 -Backend sim1 } | Should -Throw -ErrorId 'PureBoot.InvalidArgument,*'
            { Resize-IscsiLun web01 -SizeBytes 1000 } | Should -Throw -ErrorId 'PureBoot.InvalidArgument,*'
        }

        It 'a LUN the target refuses is PureBoot.LunCreateFailed, Status Error, and Get-IscsiLun -Status Error | Remove-IscsiLun cleans up' {
            Add-SimulatedFault -StatePath $ctx.State -Pattern 'fileio create name=bad1 '
            $err = $null
            $made = @('bad1', 'good1') | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
                New-IscsiLun -SizeGB 1 -Backend sim1 -ErrorAction SilentlyContinue -ErrorVariable err
            @($made).Name | Should -Be 'good1'
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.LunCreateFailed,*'
            $err[0].TargetObject | Should -Be 'bad1'
            (Get-IscsiLun -Status Error).Name | Should -Contain 'bad1'

            Get-IscsiLun -Status Error | Remove-IscsiLun -Confirm:$false
            Get-IscsiLun -Status Error | Should -BeNullOrEmpty
            Get-IscsiLun bad1 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
    }

    Context 'CHAP credentials' {
        It 'Get-IscsiLunChapCredential returns a PSCredential with the generated secret, and audits the read' {
            $c = Get-IscsiLunChapCredential web01
            $c | Should -BeOfType ([pscredential])
            $c.UserName | Should -Be 'web01'
            $c.GetNetworkCredential().Password.Length | Should -Be 16
            (Get-PureBootAuditLog -ObjectName web01 -Operation read-chap-credential).Count | Should -BeGreaterThan 0
        }

        It 'binds from New-IscsiLun output' {
            $c = New-IscsiLun -Name chaptest -SizeGB 1 -Backend sim1 | Get-IscsiLunChapCredential
            $c | Should -BeOfType ([pscredential])
            $c.UserName | Should -Be 'chaptest'
        }

        It 'takes a chosen secret as PSCredential and gives it back' {
            $secret = ConvertTo-SecureString 'Abcdefgh12345' -AsPlainText -Force
            New-IscsiLun -Name chosen1 -SizeGB 1 -Backend sim1 -ChapCredential ([pscredential]::new('chosen-user', $secret)) | Out-Null
            $c = Get-IscsiLunChapCredential chosen1
            $c.UserName | Should -Be 'chosen-user'
            $c.GetNetworkCredential().Password | Should -Be 'Abcdefgh12345'
        }

        It 'refuses a bad secret without repeating it' {
            $secret = ConvertTo-SecureString 'short-Xy7' -AsPlainText -Force
            $e = { New-IscsiLun -Name short1 -SizeGB 1 -Backend sim1 -ChapCredential ([pscredential]::new('u1', $secret)) } |
                Should -Throw -ErrorId 'PureBoot.InvalidArgument,*' -PassThru
            $e.ToString() | Should -Not -Match 'short-Xy7'
            Get-IscsiLun short1 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'rotates a secret' {
            $old = (Get-IscsiLunChapCredential web02).GetNetworkCredential().Password
            (Set-IscsiLun web02 -RotateChap -PassThru).Chap | Should -Be 'OneWay'
            (Get-IscsiLunChapCredential web02).GetNetworkCredential().Password | Should -Not -Be $old
        }

        It 'adds mutual CHAP' {
            (Get-IscsiLun web03 | Set-IscsiLun -MutualChap -PassThru).Chap | Should -Be 'Mutual'
            (Get-IscsiLunChapCredential web03 -Mutual).UserName | Should -Be 'sim1-target'
        }
    }

    Context 'formatting' {
        It 'shows LUNs as a table with the designed columns and no secret' {
            $secret = (Get-IscsiLunChapCredential web01).GetNetworkCredential().Password
            $table = Get-IscsiLun | Format-Table | Out-String -Width 250
            $table | Should -Match 'Name\s+Backend\s+SizeGB\s+Status\s+Node\s+Chap'
            $table | Should -Match 'web01\s+sim1\s+1\s+Active\s+web01\s+OneWay'
            $table | Should -Not -Match ([regex]::Escape($secret))
            (Get-IscsiLun web01 | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($secret))
            (Get-IscsiLun web01 | ConvertTo-Json -Depth 4) | Should -Not -Match ([regex]::Escape($secret))
        }

        It 'shows target status one line per LUN' {
            $table = Get-IscsiTargetStatus sim1 -NoSessions | Format-Table | Out-String -Width 250
            $table | Should -Match 'Name\s+Backend\s+Status\s+Node\s+Session\s+Drift'
        }

        It 'shows backends, nodes, test reports and the audit log as tables' {
            Get-IscsiBackend | Format-Table | Out-String -Width 250 | Should -Match 'Name\s+Transport\s+Endpoint\s+Storage'
            Get-IscsiNode | Format-Table | Out-String -Width 250 | Should -Match 'Name\s+MacAddress\s+InitiatorIqn'
            Test-IscsiBackend sim1 | Format-Table | Out-String -Width 250 | Should -Match 'Backend\s+Endpoint\s+Passed'
            Get-PureBootAuditLog -Last 3 | Format-Table | Out-String -Width 250 | Should -Match 'Time\s+User\s+Operation'
        }
    }

    Context 'batches and -Verbose' {
        It 'sends 260 piped LUNs in two batches (250 + 10), each LUN as its own object' {
            $records = 1..260 | ForEach-Object { [pscustomobject]@{ Name = 'bulk{0:d3}' -f $_ } } |
                New-IscsiLun -SizeGB 0.01 -Backend sim1 -NoChap -Verbose 4>&1
            $luns = @($records | Where-Object { $_ -is [PureBoot.Core.Model.Lun] })
            $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
            $luns.Count | Should -Be 260
            @($verbose -match 'sending batch \d+ of 250 items').Count | Should -Be 1
            @($verbose -match 'sending batch \d+ of 10 items').Count | Should -Be 1
            @($verbose -match 'applying \d+ changes').Count | Should -Be 2
            @($verbose -match 'done in').Count | Should -BeGreaterThan 1
        }

        It 'never shows a secret in -Verbose' {
            New-IscsiNode -Name vb01 -MacAddress 52:54:00:00:03:01 | Out-Null
            $records = New-IscsiLun -Name vb01 -SizeGB 1 -Backend sim1 | Set-IscsiLunAssignment -Verbose 4>&1
            $secret = (Get-IscsiLunChapCredential vb01).GetNetworkCredential().Password
            $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
            $verbose | Should -Match 'targetcli'
            $verbose | Should -Not -Match ([regex]::Escape($secret))
        }

        It 'removes them in batches too, and -WhatIf removes nothing' {
            $before = Get-StateHash $ctx.State
            Get-IscsiLun bulk* | Remove-IscsiLun -WhatIf
            Get-StateHash $ctx.State | Should -Be $before
            @(Get-IscsiLun bulk*).Count | Should -Be 260
            Get-IscsiLun bulk* | Remove-IscsiLun -Confirm:$false
            Get-IscsiLun bulk* | Should -BeNullOrEmpty
        }
    }

    Context 'resize and the audit log' {
        It 'grows a LUN and refuses to shrink it' {
            (Resize-IscsiLun web01 -SizeGB 2 -PassThru).SizeGB | Should -Be 2
            $err = $null
            Resize-IscsiLun web01 -SizeGB 1 -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.InvalidArgument,*'
        }

        It 'records every change' {
            $ops = (Get-IscsiLun web01 | Get-PureBootAuditLog).Operation
            $ops | Should -Contain 'create-lun'
            $ops | Should -Contain 'assign-lun'
            $ops | Should -Contain 'resize-lun'
            @(Get-PureBootAuditLog -Last 2).Count | Should -Be 2
            Get-PureBootAuditLog -Since (Get-Date).AddMinutes(-10) -ObjectType lun | Should -Not -BeNullOrEmpty
        }
    }
}
