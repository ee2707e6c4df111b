#Requires -Version 7.4
# Pester 5: converging, importing, booting and restarting against a Simulated backend:
# Sync-IscsiTarget (-WhatIf sends nothing; a deleted ACL is repaired), Import-IscsiTargetConfig, Get-IscsiBootScript
# (text and a 0600 file) and Restart-IscsiTarget (LUNs, nodes, the pipeline).

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $ctx = New-PureBootTestContext
}

AfterAll {
    Remove-PureBootTestContext $ctx
}

Describe 'The target workflow on a simulated backend' {
    BeforeAll {
        $backend = New-IscsiBackend -Name sim1 -Transport Simulated -SimulationStatePath $ctx.State -PortalAddress 192.0.2.10
        New-IscsiNode -Name pxe01 -MacAddress 52:54:00:00:05:01 | Out-Null
        New-IscsiNode -Name pxe02 -MacAddress 52:54:00:00:05:02 | Out-Null
        # pxe01's LUN has a name of its own, so a piped LUN's Name and NodeName differ.
        New-IscsiLun -Name pxe01-boot -SizeGB 0.02 -Backend sim1 | Set-IscsiLunAssignment -Node pxe01 | Out-Null
        New-IscsiLun -Name pxe02 -SizeGB 0.02 -Backend sim1 | Set-IscsiLunAssignment | Out-Null
    }

    Context 'Sync-IscsiTarget' {
        It 'finds nothing to do on a target that matches the inventory' {
            $err = $null
            $out = Sync-IscsiTarget sim1 -Confirm:$false -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 0
        }

        It '-WhatIf shows the repair of a deleted ACL and changes nothing' {
            $lun = Get-IscsiLun pxe01-boot
            Invoke-SimulatedTargetcli -StatePath $ctx.State -Lines "/iscsi/$($lun.TargetIqn)/tpg1/acls delete $($lun.InitiatorIqn)"
            @(Get-IscsiTargetStatus sim1 -Drift -NoSessions | Where-Object Lun -eq 'pxe01-boot').Count | Should -BeGreaterThan 0

            $config = Get-SimulatedTargetConfig $ctx.State
            $rows = Get-IscsiLun | Select-Object Name, Status, PendingOperation, Updated | ConvertTo-Json
            $audit = @(Get-PureBootAuditLog -Operation sync-target).Count
            $transcript = Join-Path $ctx.Dir 'sync-whatif.txt'
            Start-Transcript -Path $transcript | Out-Null
            try { $out = Sync-IscsiTarget sim1 -WhatIf }
            finally { Stop-Transcript | Out-Null }

            $out | Should -BeNullOrEmpty
            Get-SimulatedTargetConfig $ctx.State | Should -Be $config
            Get-IscsiLun | Select-Object Name, Status, PendingOperation, Updated | ConvertTo-Json | Should -Be $rows
            @(Get-PureBootAuditLog -Operation sync-target).Count | Should -Be $audit
            @(Get-IscsiTargetStatus sim1 -Drift -NoSessions | Where-Object Lun -eq 'pxe01-boot').Count | Should -BeGreaterThan 0
            # The plan, one "What if:" line per action.
            (Get-Content -Raw $transcript) | Should -Match "What if: Backend 'sim1': Repair pxe01-boot: re-create the node's ACL"
        }

        It 'repairs the deleted ACL, writes the action and leaves no drift' {
            $lun = Get-IscsiLun pxe01-boot
            $err = $null
            $actions = @(Sync-IscsiTarget sim1 -Confirm:$false -ErrorVariable err)
            $err.Count | Should -Be 0
            $actions.Count | Should -BeGreaterThan 0
            $actions | ForEach-Object { $_ | Should -BeOfType ([PureBoot.Core.Operations.SyncAction]) }
            @($actions | Where-Object { $_.Kind -eq 'Repair' -and $_.Lun -eq 'pxe01-boot' }).Count | Should -Be 1
            @(Get-IscsiTargetStatus sim1 -Drift -NoSessions).Count | Should -Be 0
            Get-SimulatedTargetConfig $ctx.State | Should -Match ([regex]::Escape($lun.InitiatorIqn))   # the ACL is back
            (Get-IscsiLun pxe01-boot).Status | Should -Be 'Active'
            @(Get-PureBootAuditLog -Operation sync-target -ObjectName pxe01-boot).Count | Should -BeGreaterThan 0
        }

        It 'shows actions as a table with the designed columns' {
            $lun = Get-IscsiLun pxe02
            Invoke-SimulatedTargetcli -StatePath $ctx.State -Lines "/iscsi/$($lun.TargetIqn)/tpg1/acls delete $($lun.InitiatorIqn)"
            $table = Sync-IscsiTarget sim1 -Confirm:$false | Format-Table | Out-String -Width 250
            $table | Should -Match 'Kind\s+Lun\s+Description\s+Object'
            $table | Should -Match 'Repair\s+pxe02\s'
        }

        It '-Report writes one SyncReport per backend, however many LUNs are piped' {
            $reports = @(Get-IscsiLun | Sync-IscsiTarget -Report -Confirm:$false)
            $reports.Count | Should -Be 1
            $reports[0] | Should -BeOfType ([PureBoot.Core.Operations.SyncReport])
            $reports[0].Backend | Should -Be 'sim1'
            $reports[0].Applied | Should -BeTrue
            $reports[0].RemainingDrift.Count | Should -Be 0
            @(Get-IscsiBackend sim1 | Sync-IscsiTarget -Report -Confirm:$false).Count | Should -Be 1
        }

        It 'an unknown backend is PureBoot.NotFound' {
            $err = $null
            Sync-IscsiTarget nosuch -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
        }
    }

    Context 'Import-IscsiTargetConfig' {
        BeforeAll {
            $shared = (Get-IscsiBackend sim1).SharedTargetIqn
            $initiator = 'iqn.2026-01.local.pureboot:node:525400000999'
            Invoke-SimulatedTargetcli -StatePath $ctx.State -Lines @(
                '/backstores/fileio create name=handmade file_or_dev=/var/lib/pureboot/luns/handmade.img size=16M'
                "/iscsi/$shared/tpg1/luns create /backstores/fileio/handmade lun=7 add_mapped_luns=false"
                "/iscsi/$shared/tpg1/acls create $initiator add_mapped_luns=false"
                "/iscsi/$shared/tpg1/acls/$initiator create mapped_lun=0 tpg_lun_or_backstore=7"
            )
        }

        It '-WhatIf and a -TargetIqn that matches nothing import nothing' {
            Import-IscsiTargetConfig sim1 -WhatIf | Should -BeNullOrEmpty
            Import-IscsiTargetConfig sim1 -TargetIqn 'iqn.nomatch.*' | Should -BeNullOrEmpty
            Get-IscsiLun handmade -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'adopts a LUN made by hand, with a node for its initiator' {
            $records = @(Get-IscsiBackend sim1 | Import-IscsiTargetConfig -TargetIqn 'iqn.2026-01.local.pureboot:*' -Verbose 4>&1)
            $luns = @($records | Where-Object { $_ -is [PureBoot.Core.Model.Lun] })
            $luns.Count | Should -Be 1
            $luns[0].Name | Should -Be 'handmade'
            $luns[0].Status | Should -Be 'Active'
            $luns[0].NodeName | Should -Be '525400000999'
            @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match "Imported node '525400000999'" }).Count | Should -Be 1
            (Get-IscsiNode '525400000999').MacAddress | Should -Be '52:54:00:00:09:99'
            Import-IscsiTargetConfig sim1 | Should -BeNullOrEmpty    # already known: nothing new
        }
    }

    Context 'Get-IscsiBootScript' {
        It 'returns the iPXE script text, CHAP secret included' {
            $text = Get-IscsiBootScript pxe01
            $text | Should -BeOfType ([string])
            $text | Should -Match '^#!ipxe'
            $text | Should -Match 'sanboot iscsi:192\.0\.2\.10::3260:0:iqn\.'
            $text | Should -Match ([regex]::Escape((Get-IscsiLunChapCredential pxe01-boot).GetNetworkCredential().Password))
            @(Get-PureBootAuditLog -Operation read-boot-script -ObjectName pxe01).Count | Should -BeGreaterThan 0
        }

        It 'takes another portal' {
            Get-IscsiBootScript pxe01 -PortalAddress 198.51.100.7 -PortalPort 3261 | Should -Match 'sanboot iscsi:198\.51\.100\.7::3261:'
        }

        It 'binds the node from piped nodes and from the NodeName of piped LUNs' {
            Get-IscsiNode pxe01 | Get-IscsiBootScript | Should -Match 'boots LUN pxe01-boot'
            Get-IscsiLun pxe01-boot | Get-IscsiBootScript | Should -Match 'boots LUN pxe01-boot'
        }

        It 'writes a 0600 file with -Path and returns its BootScriptInfo without the secret' {
            $file = Join-Path $ctx.Dir 'pxe01.ipxe'
            $info = Get-IscsiBootScript pxe01 -Path $file
            $info | Should -BeOfType ([PureBoot.Core.Operations.BootScriptInfo])
            $info.Path | Should -Be $file
            $info.Node | Should -Be 'pxe01'
            $info.Lun | Should -Be 'pxe01-boot'
            (Get-Content -Raw $file) | Should -Match 'sanboot iscsi:192\.0\.2\.10::3260:'
            [int] [System.IO.File]::GetUnixFileMode($file) | Should -Be 384   # 0600 (the flags' ToString order differs between .NET versions)
            $secret = (Get-IscsiLunChapCredential pxe01-boot).GetNetworkCredential().Password
            ($info | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($secret))
            @(Get-PureBootAuditLog -Operation write-boot-script -ObjectName pxe01).Count | Should -BeGreaterThan 0
        }

        It 'replaces a file only with -Force' {
            $file = Join-Path $ctx.Dir 'pxe01.ipxe'
            $err = $null
            Get-IscsiBootScript pxe01 -Path $file -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.InvalidArgument,*'
            $err[0].ToString() | Should -Match '-Force'
            (Get-IscsiBootScript pxe01 -Path $file -PortalAddress 198.51.100.7 -Force).Portal | Should -Be '198.51.100.7'
            (Get-Content -Raw $file) | Should -Match 'sanboot iscsi:198\.51\.100\.7::3260:'
            [int] [System.IO.File]::GetUnixFileMode($file) | Should -Be 384   # 0600 (the flags' ToString order differs between .NET versions)
        }

        It 'resolves a relative -Path against the current location, and -WhatIf writes nothing' {
            Push-Location $ctx.Dir
            try {
                Get-IscsiBootScript pxe02 -Path ./whatif.ipxe -WhatIf | Should -BeNullOrEmpty
                Test-Path (Join-Path $ctx.Dir 'whatif.ipxe') | Should -BeFalse
                (Get-IscsiBootScript pxe02 -Path ./pxe02.ipxe).Path | Should -Be (Join-Path $ctx.Dir 'pxe02.ipxe')
            }
            finally { Pop-Location }
        }

        It 'a node without a LUN is PureBoot.NotFound' {
            New-IscsiNode -Name bare01 -MacAddress 52:54:00:00:05:09 | Out-Null
            $err = $null
            Get-IscsiBootScript bare01 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
        }
    }

    Context 'Restart-IscsiTarget' {
        It 'restarts a LUN''s export and writes the LUN' {
            $before = @(Get-PureBootAuditLog -Operation restart-export -ObjectName pxe02).Count
            $luns = @(Restart-IscsiTarget -Lun pxe02 -Confirm:$false -PassThru)
            $luns.Count | Should -Be 1
            $luns[0] | Should -BeOfType ([PureBoot.Core.Model.Lun])
            $luns[0].Name | Should -Be 'pxe02'
            $luns[0].Status | Should -Be 'Active'
            @(Get-PureBootAuditLog -Operation restart-export -ObjectName pxe02).Count | Should -Be ($before + 1)
            @(Get-IscsiTargetStatus sim1 -Drift -NoSessions | Where-Object Lun -eq 'pxe02').Count | Should -Be 0
        }

        It 'restarts every LUN of a node, given by name or piped' {
            (Restart-IscsiTarget -Node pxe01 -Confirm:$false -PassThru).Name | Should -Be 'pxe01-boot'
            # A piped node binds by type, so its Name is taken as a node name, not a LUN name.
            (Get-IscsiNode pxe01 | Restart-IscsiTarget -Confirm:$false -PassThru).Name | Should -Be 'pxe01-boot'
        }

        It 'restarts piped LUNs' {
            (Get-IscsiLun pxe0* | Restart-IscsiTarget -Confirm:$false -PassThru | Sort-Object Name).Name | Should -Be @('pxe01-boot', 'pxe02')
        }

        It '-WhatIf sends nothing' {
            $config = Get-SimulatedTargetConfig $ctx.State
            $before = @(Get-PureBootAuditLog -Operation restart-export).Count
            Restart-IscsiTarget -Lun pxe02 -WhatIf | Should -BeNullOrEmpty
            Get-IscsiNode pxe01 | Restart-IscsiTarget -WhatIf | Should -BeNullOrEmpty
            Get-SimulatedTargetConfig $ctx.State | Should -Be $config
            @(Get-PureBootAuditLog -Operation restart-export).Count | Should -Be $before
        }

        It 'an unknown LUN is PureBoot.NotFound' {
            $err = $null
            Restart-IscsiTarget -Lun nosuch -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.NotFound,*'
        }

        It 'a LUN not exported as recorded is PureBoot.RestartFailed, and Sync-IscsiTarget repairs it' {
            $lun = Get-IscsiLun pxe02
            Invoke-SimulatedTargetcli -StatePath $ctx.State -Lines "/iscsi/$($lun.TargetIqn)/tpg1/acls delete $($lun.InitiatorIqn)"
            $err = $null
            Restart-IscsiTarget -Lun pxe02 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.RestartFailed,*'
            $err[0].TargetObject | Should -Be 'pxe02'
            $err[0].ToString() | Should -Match 'Sync-IscsiTarget'

            @(Sync-IscsiTarget sim1 -Confirm:$false | Where-Object { $_.Kind -eq 'Repair' -and $_.Lun -eq 'pxe02' }).Count | Should -Be 1
            (Restart-IscsiTarget -Lun pxe02 -Confirm:$false -PassThru).Status | Should -Be 'Active'
        }
    }

    Context 'Sync-IscsiTarget cannot bring data back' {
        It 'a LUN whose backing file is gone is a Fail action and PureBoot.SyncFailed' {
            $lun = New-IscsiLun -Name scratch01 -SizeGB 0.02 -Backend sim1 -NoChap
            Invoke-SimulatedTargetcli -StatePath $ctx.State -Lines "/backstores/fileio delete $($lun.StorageObjectName)"
            $state = [PureBoot.Simulation.SimulatedHostState]::Load($ctx.State)
            $state.Files.Remove($lun.BackingPath) | Should -BeTrue
            $state.Save($ctx.State)

            $err = $null
            $actions = @(Sync-IscsiTarget sim1 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err)
            @($actions | Where-Object { $_.Kind -eq 'Fail' -and $_.Lun -eq 'scratch01' }).Count | Should -Be 1
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.SyncFailed,*'
            $err[0].TargetObject | Should -Be 'scratch01'
            (Get-IscsiLun scratch01).Status | Should -Be 'Error'
        }
    }
}
