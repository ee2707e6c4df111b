#Requires -Version 7.4
# Pester 5, lab: what a scheduled script (`pwsh -NonInteractive -File`, as cron or a systemd timer runs it) sees when
# something fails, and when it calls a ConfirmImpact High cmdlet (Remove-IscsiLunAssignment, Remove-IscsiLun,
# Remove-IscsiNode) while $ConfirmPreference is at its default, High. README.md, "Running from cron or a systemd timer" explains the findings.
# Needs $env:PUREBOOT_LAB_ENV.

Describe 'Scheduled scripts: a failed runbook exits non-zero' -Tag 'Lab' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'LabSetup.ps1')
        $lab = Get-PureBootLab
        $run = New-LabRun -Lab $lab

        # A script as people first write it: no $ErrorActionPreference, no trap.
        function New-Script([string] $Name, [string] $Text) {
            $path = Join-Path $run.Dir $Name
            Set-Content -Path $path -Value $Text
            $path
        }
    }

    AfterAll { if ($run) { $null = Remove-LabRun -Run $run } }

    It 'QuickStart.ps1 against a closed SSH port: exit 1, PureBoot.HostUnavailable on stderr, nothing on the target' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $closedPort = $listener.LocalEndpoint.Port; $listener.Stop()
        $nodeList = Join-Path $run.Dir 'nodes.csv'
        @([pscustomobject]@{ Name = "web-$($run.Id)"; MacAddress = (New-RandomMac) }) | Export-Csv -Path $nodeList
        $connection = (Get-LabConnectionArgs -Run $run -Backend "closed-$($run.Id)") -replace "^$($lab.SshPort)$", $closedPort
        $connection | Should -Contain ([string] $closedPort)
        $r = Invoke-Runbook -Run $run -Path 'QuickStart.ps1' -Arguments ($connection + @('-NodeList', $nodeList, '-SizeGB', 1))
        $r.ExitCode | Should -Be 1
        $r.Stderr | Should -Match 'QuickStart failed: PureBoot\.HostUnavailable,PureBoot\.PowerShell\.NewIscsiLunCommand: '
        $r.Stderr | Should -Match "$closedPort"
        $r.Stdout | Should -Not -Match 'QuickStart: '
        Get-LabRunObjects -Run $run -Targets | Should -BeNullOrEmpty
    }

    It 'Decommission.ps1 for a backend that does not exist: exit 1, PureBoot.NotFound on stderr' {
        $r = Invoke-Runbook -Run $run -Path 'Decommission.ps1' -Arguments @('-Backend', "nosuch-$($run.Id)")
        $r.ExitCode | Should -Be 1
        $r.Stderr | Should -Match "Decommission failed: PureBoot\.NotFound,PureBoot\.PowerShell\.GetIscsiBackendCommand: No backend named 'nosuch-$($run.Id)'"
        $r.Stdout | Should -Not -Match 'Decommission: '
    }

    It 'a script without $ErrorActionPreference = ''Stop'' goes on after a cmdlet error and exits 0; with it, exits 1' {
        $body = "Import-Module PureBoot`nGet-IscsiBackend -Name 'nosuch-$($run.Id)'`n'after the error'"
        $naive = Invoke-Runbook -Run $run -Path (New-Script 'naive.ps1' $body)
        $naive.ExitCode | Should -Be 0
        $naive.Stderr | Should -Match "No backend named 'nosuch-$($run.Id)'"
        $naive.Stdout | Should -Match 'after the error'

        $strict = Invoke-Runbook -Run $run -Path (New-Script 'strict.ps1' ("`$ErrorActionPreference = 'Stop'`n" + $body))
        $strict.ExitCode | Should -Be 1
        $strict.Stderr | Should -Match "No backend named 'nosuch-$($run.Id)'"
        $strict.Stdout | Should -Not -Match 'after the error'
    }
}

Describe 'Scheduled scripts: ConfirmImpact High cmdlets under -NonInteractive with the default $ConfirmPreference' -Tag 'Lab' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'LabSetup.ps1')
        $lab = Get-PureBootLab
        $run = New-LabRun -Lab $lab
        $backend = "confirm-$($run.Id)"
        $web = "web-$($run.Id)"
        $nodeList = Join-Path $run.Dir 'nodes.csv'
        @([pscustomobject]@{ Name = $web; MacAddress = (New-RandomMac) }) | Export-Csv -Path $nodeList
        $resultPath = Join-Path $run.Dir 'quickstart.clixml'
        $qs = Invoke-Runbook -Run $run -Path 'QuickStart.ps1' -Arguments (
            (Get-LabConnectionArgs -Run $run -Backend $backend) + @('-NodeList', $nodeList, '-SizeGB', 1, '-ResultPath', $resultPath))
        if ($qs.ExitCode -ne 0) { throw "QuickStart.ps1 failed (exit $($qs.ExitCode)): $($qs.Stderr)" }
        $out = Import-RunbookResult -Run $run -Path $resultPath
        $lun = $out.Luns | Select-Object -First 1
        $cred = Get-RunChapCredential -Run $run -Lun $web

        function New-Script([string] $Name, [string] $Text) {
            $path = Join-Path $run.Dir $Name
            Set-Content -Path $path -Value ("Import-Module PureBoot`n" + $Text.Replace('LUN', $web).Replace('NODE', $web))
            $path
        }
        # The node still reaches its disk with its credential: its ACL and mapped LUN are there.
        function Get-NodeCapacity {
            (Invoke-Initiator -Lab $lab -InitiatorIqn $lun.InitiatorIqn -Target $lun.TargetIqn -Lun 0 -User $cred.UserName -Secret $cred.GetNetworkCredential().Password).CapacityBytes
        }
        function Get-LunStatus { (Get-IscsiLun -Name $web -Database $run.Db -ErrorAction Stop).Status.ToString() }
    }

    AfterAll {
        if ($run) {
            $left = Remove-LabRun -Run $run
            if ($left) { Write-Warning "The lab run $($run.Id) left (removed now by the safety net): $($left -join '; ')" }
        }
    }

    It 'fail at once without -Confirm:$false (no prompt, no hang), remove nothing, and the script goes on to exit 0' {
        $r = Invoke-Runbook -Run $run -TimeoutSeconds 120 -Path (New-Script 'no-confirm.ps1' @'
"ConfirmPreference=$ConfirmPreference"
Remove-IscsiLunAssignment -Name LUN
Remove-IscsiLun -Name LUN -Force
Remove-IscsiNode -Name NODE
try { Remove-IscsiLun -Name LUN -Force } catch { "caught: $($_.FullyQualifiedErrorId) ($($_.Exception.GetType().Name))" }
"still here: $((Get-IscsiLun -Name LUN).Status)"
'@)
        $r.ExitCode | Should -Be 0
        $r.Seconds | Should -BeLessThan 60
        $r.Stdout | Should -Match 'ConfirmPreference=High'
        # Two prompts fail; Remove-IscsiNode checks before it asks (as -WhatIf does), so it is refused for the LUN still assigned.
        ([regex]::Matches($r.Stderr, 'PowerShell is in NonInteractive mode\. Read and Prompt functionality is')).Count | Should -Be 2 -Because $r.Stderr
        $r.Stderr | Should -Match "Node '$web' cannot be removed: 1 LUN\(s\) are assigned to it"
        $r.Stdout | Should -Match 'caught: InvalidOperation,PureBoot\.PowerShell\.RemoveIscsiLunCommand \(PSInvalidOperationException\)'
        $r.Stdout | Should -Match 'still here: Active'
        Get-LunStatus | Should -Be 'Active'
        Get-NodeCapacity | Should -Be 1GB
    }

    It 'end the script with exit 1 under $ErrorActionPreference = ''Stop'', but not with -ErrorAction Stop alone' {
        $stop = Invoke-Runbook -Run $run -Path (New-Script 'eap-stop.ps1' "`$ErrorActionPreference = 'Stop'`nRemove-IscsiLun -Name LUN -Force`n'not reached'")
        $stop.ExitCode | Should -Be 1
        $stop.Stderr | Should -Match 'PowerShell is in NonInteractive mode'
        $stop.Stdout | Should -Not -Match 'not reached'

        # The failed prompt is a statement-terminating error: -ErrorAction Stop does not turn it into a script-terminating one.
        $ea = Invoke-Runbook -Run $run -Path (New-Script 'ea-stop.ps1' "Remove-IscsiLun -Name LUN -Force -ErrorAction Stop`n'reached'")
        $ea.ExitCode | Should -Be 0
        $ea.Stderr | Should -Match 'PowerShell is in NonInteractive mode'
        $ea.Stdout | Should -Match 'reached'
        Get-LunStatus | Should -Be 'Active'
    }

    It 'without -NonInteractive and stdin at EOF (cron), print the prompt, then fail: nothing removed, exit 0' {
        $r = Invoke-Runbook -Run $run -Interactive -TimeoutSeconds 120 -Path (New-Script 'cron-no-ni.ps1' "Remove-IscsiLun -Name LUN -Force`n'after'")
        $r.ExitCode | Should -Be 0
        $r.Seconds | Should -BeLessThan 60
        $r.Stdout | Should -Match 'Are you sure you want to perform this action\?'
        ($r.Stdout -replace '\s+', ' ') | Should -Match "Performing the operation `"Unexport and delete the backing file, even if assigned`" on target `"LUN '$web'`""
        $r.Stderr | Should -Match 'Remove-IscsiLun'
        $r.Stdout | Should -Match 'after'
        Get-LunStatus | Should -Be 'Active'
        Get-NodeCapacity | Should -Be 1GB
    }

    It 'run when the script sets $ConfirmPreference = ''None'' (Remove-IscsiLunAssignment: the node loses its disk)' {
        $r = Invoke-Runbook -Run $run -Path (New-Script 'confirm-none.ps1' "`$ErrorActionPreference = 'Stop'`n`$ConfirmPreference = 'None'`nRemove-IscsiLunAssignment -Name LUN`n'unassigned'")
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        $r.Stdout | Should -Match 'unassigned'
        Get-LunStatus | Should -Be 'Ready'
        Get-NodeCapacity | Should -BeNullOrEmpty
    }

    It 'run with -Confirm:$false (Decommission.ps1): exit 0, and the LUN, its backing file and the node are gone' {
        $d = Invoke-Runbook -Run $run -Path 'Decommission.ps1' -Arguments @('-Backend', $backend, '-Node', $web)
        $d.ExitCode | Should -Be 0 -Because $d.Stderr
        $d.Stdout | Should -Match "Decommission: 1 LUNs and 1 nodes removed, backend '$backend' forgotten"
        Get-LabRunObjects -Run $run | Should -BeNullOrEmpty
        { Get-IscsiLun -Name $web -Database $run.Db -ErrorAction Stop } | Should -Throw -ErrorId 'PureBoot.NotFound,*'
        { Get-IscsiNode -Name $web -Database $run.Db -ErrorAction Stop } | Should -Throw -ErrorId 'PureBoot.NotFound,*'
    }
}
