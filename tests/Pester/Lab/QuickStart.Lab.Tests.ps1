#Requires -Version 7.4
# Pester 5, lab: the README quick start run as a scheduled runbook (Runbooks/QuickStart.ps1, then
# Runbooks/Decommission.ps1) by `pwsh -NonInteractive -File`, over real SSH as the lab's non-root sudo user, against
# the real LIO target; a real initiator (libiscsi) checks who can log in. Needs $env:PUREBOOT_LAB_ENV.

Describe 'The README quick start as a scheduled runbook, on the lab VM as the sudo user' -Tag 'Lab' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'LabSetup.ps1')
        $lab = Get-PureBootLab
        $run = New-LabRun -Lab $lab
        $backend = "qs-$($run.Id)"
        $web01 = "web01-$($run.Id)"
        $web02 = "web02-$($run.Id)"
        $nodeList = Join-Path $run.Dir 'nodes.csv'
        @([pscustomobject]@{ Name = $web01; MacAddress = (New-RandomMac) }, [pscustomobject]@{ Name = $web02; MacAddress = (New-RandomMac) }) |
            Export-Csv -Path $nodeList
        $resultPath = Join-Path $run.Dir 'quickstart.clixml'
        $sizeBytes = 1GB

        $quickStart = Invoke-Runbook -Run $run -Path 'QuickStart.ps1' -Arguments (
            (Get-LabConnectionArgs -Run $run -Backend $backend) + @('-NodeList', $nodeList, '-SizeGB', 1, '-ResultPath', $resultPath))
        if ($quickStart.ExitCode -ne 0) { throw "QuickStart.ps1 failed (exit $($quickStart.ExitCode)): $($quickStart.Stderr)" }
        $out = Import-RunbookResult -Run $run -Path $resultPath
        $lun1 = $out.Luns | Where-Object Name -eq $web01
        $lun2 = $out.Luns | Where-Object Name -eq $web02
        $node1 = $out.Nodes | Where-Object Name -eq $web01
        $node2 = $out.Nodes | Where-Object Name -eq $web02
        $cred1 = Get-RunChapCredential -Run $run -Lun $web01
        $cred2 = Get-RunChapCredential -Run $run -Lun $web02
    }

    AfterAll {
        if ($run) {
            $left = Remove-LabRun -Run $run
            if ($left) { Write-Warning "The lab run $($run.Id) left (removed now by the safety net): $($left -join '; ')" }
        }
    }

    It 'exits 0 and prints the target status (one Active line per LUN) and a summary' {
        $quickStart.ExitCode | Should -Be 0
        $quickStart.Stdout | Should -Match "(?m)^$web01\s+$backend\s+Active\s+$web01\b"
        $quickStart.Stdout | Should -Match "(?m)^$web02\s+$backend\s+Active\s+$web02\b"
        $quickStart.Stdout | Should -Match "QuickStart: 2 nodes, 2 LUNs assigned on backend '$backend'"
        $quickStart.Stderr | Should -BeNullOrEmpty
        $quickStart.RawOutput | Should -Not -Match '\x1b' -Because 'cron mails plain text'
    }

    It 'ran the module under test' {
        $out.Module | Should -Be (Split-Path (Get-LabModulePath))
    }

    It 'returns the backend as recorded: SSH as the sudo user, strict host keys, the lab port' {
        $out.Backend.PSObject.TypeNames[0] | Should -Be 'Deserialized.PureBoot.Core.Model.Backend'
        $out.Backend.Name | Should -Be $backend
        $out.Backend.Transport.ToString() | Should -Be 'Ssh'
        $out.Backend.User | Should -Be $lab.User
        $out.Backend.User | Should -Not -Be 'root'
        $out.Backend.UseSudo | Should -BeTrue
        $out.Backend.HostKeyPolicy.ToString() | Should -Be 'Strict'
        $out.Backend.Port | Should -Be $lab.SshPort
    }

    It 'returns the nodes and their Active LUNs, each assigned to its node with one-way CHAP' {
        @($out.Nodes).Count | Should -Be 2
        $node1.PSObject.TypeNames[0] | Should -Be 'Deserialized.PureBoot.Core.Model.Node'
        @($out.Luns).Count | Should -Be 2
        foreach ($pair in @(@($lun1, $node1), @($lun2, $node2))) {
            $lun, $node = $pair
            $lun.PSObject.TypeNames[0] | Should -Be 'Deserialized.PureBoot.Core.Model.Lun'
            $lun.Status.ToString() | Should -Be 'Active'
            $lun.NodeName | Should -Be $node.Name
            $lun.InitiatorIqn | Should -Be $node.InitiatorIqn
            $lun.Chap | Should -Be 'OneWay'
            $lun.ChapUser | Should -Not -BeNullOrEmpty
            $lun.MappedLunIndex | Should -Be 0
            $lun.TargetIqn | Should -Be "$($run.IqnPrefix):$backend"
            $lun.SizeBytes | Should -Be $sizeBytes
            $lun.BackingPath | Should -BeLike "$($run.StoragePath)/*"
        }
    }

    It 'returns the live status: every LUN Active, exported, mapped, in sync' {
        @($out.Status).Count | Should -Be 2
        foreach ($s in $out.Status) {
            $s.PSObject.TypeNames[0] | Should -Be 'Deserialized.PureBoot.Core.Operations.LunTargetStatus'
            $s.Status.ToString() | Should -Be 'Active'
            $s.Exported | Should -BeTrue
            $s.Mapped | Should -BeTrue
            $s.InSync | Should -BeTrue
        }
        ($out.Status | Sort-Object Name).Node | Should -Be @($web01, $web02)
    }

    It 'read each CHAP credential as a PSCredential whose user is the LUN''s CHAP user, and audited it' {
        foreach ($c in $out.Credentials) {
            $c.Type | Should -Be 'System.Management.Automation.PSCredential'
            $c.UserName | Should -Be ($out.Luns | Where-Object Name -eq $c.Lun).ChapUser
        }
        $cred1.UserName | Should -Be $lun1.ChapUser
        $cred1.GetNetworkCredential().Password | Should -Not -Be $cred2.GetNetworkCredential().Password
        $ops = $out.Audit | ForEach-Object { "$($_.Operation) $($_.ObjectName)" }
        $ops | Should -Contain "read-chap-credential $web01"
        $ops | Should -Contain "assign-lun $web02"
    }

    It 'lets each node log in to its disk with the credential Get-IscsiLunChapCredential returned' {
        foreach ($pair in @(@($lun1, $node1, $cred1), @($lun2, $node2, $cred2))) {
            $lun, $node, $cred = $pair
            $r = Invoke-Initiator -Lab $lab -InitiatorIqn $node.InitiatorIqn -Target $lun.TargetIqn -Lun 0 -User $cred.UserName -Secret $cred.GetNetworkCredential().Password
            $r.CapacityBytes | Should -Be $sizeBytes -Because $r.Output
        }
    }

    It 'refuses a wrong secret, a stranger, and a node using the other node''s credential' {
        $t = $lun1.TargetIqn
        (Invoke-Initiator -Lab $lab -InitiatorIqn $node1.InitiatorIqn -Target $t -Lun 0 -User $cred1.UserName -Secret 'WrongSecret1234').Output |
            Should -Match 'Authentication failure\(513\)'
        (Invoke-Initiator -Lab $lab -InitiatorIqn $node2.InitiatorIqn -Target $t -Lun 0 -User $cred1.UserName -Secret $cred1.GetNetworkCredential().Password).Output |
            Should -Match 'Authentication failure\(513\)'
        (Invoke-Initiator -Lab $lab -InitiatorIqn "iqn.2026-01.test.$($run.Id):stranger" -Target $t -Lun 0).Output |
            Should -Match 'Authorization failure\(514\)'
    }

    It 'does not let the second node see the first node''s disk' {
        $t = $lun1.TargetIqn
        $s1 = $cred1.GetNetworkCredential().Password
        $s2 = $cred2.GetNetworkCredential().Password
        # web01 writes a pattern to its disk and reads it back.
        (Invoke-QemuIo -Lab $lab -InitiatorIqn $node1.InitiatorIqn -Target $t -Lun 0 -User $cred1.UserName -Secret $s1 -Command 'write -P 0x5a 1048576 65536').Ok | Should -BeTrue
        (Invoke-QemuIo -Lab $lab -InitiatorIqn $node1.InitiatorIqn -Target $t -Lun 0 -User $cred1.UserName -Secret $s1 -Command 'read -P 0x5a 1048576 65536').Ok | Should -BeTrue
        # web02's LUN 0 is its own disk (zeros there), and it has no other LUN to reach web01's through.
        $r2 = Invoke-QemuIo -Lab $lab -InitiatorIqn $node2.InitiatorIqn -Target $t -Lun 0 -User $cred2.UserName -Secret $s2 -Command 'read -P 0x00 1048576 65536'
        $r2.Ok | Should -BeTrue -Because $r2.Output
        foreach ($other in 1, 2) {
            $r = Invoke-Initiator -Lab $lab -InitiatorIqn $node2.InitiatorIqn -Target $t -Lun $other -User $cred2.UserName -Secret $s2
            $r.CapacityBytes | Should -BeNullOrEmpty -Because "web02 must not reach LUN $other"
        }
        $cross = Invoke-QemuIo -Lab $lab -InitiatorIqn $node2.InitiatorIqn -Target $t -Lun 1 -User $cred2.UserName -Secret $s2 -Command 'read 0 512'
        $cross.Ok | Should -BeFalse
    }

    It 'wrote no CHAP secret to its output, its errors or its result file' {
        Assert-NoSecret -Run $run -Text ($quickStart.Stdout + $quickStart.Stderr) -What 'the runbook output'
        Assert-NoSecret -Run $run -Text (Get-Content -Raw $resultPath) -What $resultPath
        @($run.Secrets).Count | Should -Be 2
    }

    It 'is undone by the Decommission runbook (-Confirm:$false on every ConfirmImpact High cmdlet): nothing of the run is left' {
        $decommissionPath = Join-Path $run.Dir 'decommission.clixml'
        $d = Invoke-Runbook -Run $run -Path 'Decommission.ps1' -Arguments @('-Backend', $backend, '-Node', "web0?-$($run.Id)", '-ResultPath', $decommissionPath)
        $d.ExitCode | Should -Be 0 -Because $d.Stderr
        $d.Stderr | Should -BeNullOrEmpty
        $gone = Import-RunbookResult -Run $run -Path $decommissionPath
        ($gone.Luns.Name | Sort-Object) | Should -Be @($web01, $web02)
        ($gone.Nodes.Name | Sort-Object) | Should -Be @($web01, $web02)
        $gone.Backend.Name | Should -Be $backend
        Assert-NoSecret -Run $run -Text ($d.Stdout + $d.Stderr) -What 'the Decommission output'

        # The target has none of the run's ACLs, LUNs, storage objects or backing files any more.
        (Invoke-Initiator -Lab $lab -InitiatorIqn $node1.InitiatorIqn -Target $lun1.TargetIqn -Lun 0 -User $cred1.UserName -Secret $cred1.GetNetworkCredential().Password).CapacityBytes |
            Should -BeNullOrEmpty
        Get-LabRunObjects -Run $run | Should -BeNullOrEmpty
    }
}
