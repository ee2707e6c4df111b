#Requires -Version 7.4
# Pester 5: issue 11, section 2, "the scheduled-script contract": one Describe per point, each against a simulated
# backend of its own. Every It here failed on the module as it was when the issue was filed (commit ac8d504); the
# report in the branch's history lists which, and what each failed on.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $ctx = New-PureBootTestContext
    $script:setups = 0

    # A backend with its own state file, and nodes; names are made unique per Describe by $Prefix.
    function New-Setup {
        param([string] $Prefix, [int] $Nodes = 2, [switch] $Luns)
        $state = Join-Path $ctx.Dir "$Prefix.json"
        $b = New-IscsiBackend -Name "$Prefix-san" -Transport Simulated -SimulationStatePath $state
        $script:setups++
        $n = if ($Nodes -gt 0) { foreach ($i in 1..$Nodes) { New-IscsiNode -Name "$Prefix-web$i" -MacAddress ('52:54:00:{0:x2}:00:{1:x2}' -f $script:setups, $i) } }
        if ($Luns) { $n | New-IscsiLun -SizeGB 0.02 -Backend $b.Name | Set-IscsiLunAssignment -ErrorAction Stop | Out-Null }
        else { Test-IscsiBackend $b.Name -Quiet | Out-Null }   # opens a session: the state file exists
        [pscustomobject]@{ Backend = $b.Name; State = $state; Nodes = @($n.Name) }
    }

    # The error records a command wrote (non-terminating or terminating), whatever the caller's preference.
    function Get-ErrorOf {
        param([scriptblock] $Script)
        $ErrorActionPreference = 'Continue'
        try { @(& $Script 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) }
        catch { @($_) }
    }

    # What -WhatIf printed (the host's "What if:" lines), and what the command wrote.
    function Invoke-Transcribed {
        param([scriptblock] $Script)
        $ErrorActionPreference = 'Continue'
        $file = Join-Path $ctx.Dir ("transcript-{0}.txt" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
        Start-Transcript -Path $file | Out-Null
        try { $out = & $Script } finally { Stop-Transcript | Out-Null }
        [pscustomobject]@{ Output = $out; Text = Get-Content -Raw $file }
    }
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
        foreach ($cmd in Get-Command -Module PureBoot | Where-Object { $_.Parameters.ContainsKey('Name') -and $_.Name -notin 'New-IscsiBackend', 'New-IscsiNode' }) {
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

Describe 'Point 6: default views fit 80 columns with Status, Drift/InSync, Node and Chap; IQNs are not cut' {
    BeforeAll {
        $s = New-Setup -Prefix p6 -Nodes 1 -Luns
        $long = 'iqn.2026-01.com.example.datacenter-one:rack-04:node-web07-a1b2c3'
        New-IscsiNode -Name p6-longiqn-node -MacAddress 52:54:00:66:00:07 -InitiatorIqn $long | Out-Null
    }

    It 'the LUN view shows Name, Status, Node and Chap in 80 columns' {
        $lines = Get-IscsiLun p6-web1 | Get-FormattedLine
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        $lines[0] | Should -Match 'Status\s+Node\s+Chap'
        $lines[2] | Should -Match 'Active\s+p6-web1\s+OneWay'
    }

    It 'the target status view shows Status, Node and InSync/Drift in 80 columns' {
        $lines = Get-IscsiTargetStatus $s.Backend -NoSessions | Get-FormattedLine
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        $lines[0] | Should -Match 'Status\s+Node\s+InSync\s+Drift'
        $lines[2] | Should -Match 'Active\s+p6-web1\s+True'
    }

    It 'the node view shows a long IQN whole, up to its distinguishing tail' {
        $text = (Get-IscsiNode p6-* | Get-FormattedLine)
        $text | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        ($text -join "`n") | Should -Not -Match '…'
        ($text -join '') -replace '\s' | Should -Match ([regex]::Escape($long))
        ($text -join "`n") | Should -Match 'node:525400'
    }
}

Describe 'Point 7: enums are strings in JSON; one output rule; a file-writing verb' {
    BeforeAll { $s = New-Setup -Prefix p7 -Nodes 1 -Luns }

    It 'Get-IscsiLun | ConvertTo-Json shows "Status": "Active"' {
        $json = Get-IscsiLun p7-web1 | ConvertTo-Json
        $json | Should -Match '"Status":\s*"Active"'
        $json | Should -Match '"Purpose":\s*"BootFromSan"'
        Get-IscsiBackend $s.Backend | ConvertTo-Json | Should -Match '"Transport":\s*"Simulated"'
    }

    It 'Set-, Remove-, Resize-, Restart- and Save- write nothing unless -PassThru; the others always write' {
        foreach ($cmd in Get-Command -Module PureBoot) {
            $has = $cmd.Parameters.ContainsKey('PassThru')
            if ($cmd.Verb -in 'Set', 'Remove', 'Resize', 'Restart', 'Save') { $has | Should -BeTrue -Because "$($cmd.Name) changes something" }
            else { $has | Should -BeFalse -Because "$($cmd.Name) always writes its result" }
        }
        Set-IscsiLunAssignment p7-web1 -Confirm:$false | Should -BeNullOrEmpty
        (Set-IscsiLunAssignment p7-web1 -PassThru).Name | Should -Be 'p7-web1'
    }

    It 'Save-IscsiBootScript writes the file (0600); Get-IscsiBootScript -Path still works' {
        $file = Join-Path $ctx.Dir 'p7.ipxe'
        Save-IscsiBootScript -Node p7-web1 -Path $file -PortalAddress 192.0.2.7 | Should -BeNullOrEmpty
        [int] [System.IO.File]::GetUnixFileMode($file) | Should -Be 384
        (Get-Content -Raw $file) | Should -Match 'sanboot iscsi:'
        (Save-IscsiBootScript -Node p7-web1 -Path $file -PortalAddress 192.0.2.7 -Force -PassThru).Path | Should -Be $file
        (Get-IscsiBootScript p7-web1 -Path $file -PortalAddress 192.0.2.7 -Force).Path | Should -Be $file
    }
}

Describe 'Point 8: an explicit -MutualChap that cannot be honoured is an error' {
    BeforeAll { $s = New-Setup -Prefix p8 -Nodes 1 -Luns }

    It 'refuses it (PureBoot.Conflict, nothing made) and takes the shared credential only with -Force' {
        $err = $null
        New-IscsiLun -Name p8-data -SizeGB 0.02 -Backend $s.Backend -Node p8-web1 -MutualChap -ErrorAction SilentlyContinue -ErrorVariable err -WarningVariable warn | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*'
        $err[0].ToString() | Should -Match 'mutual CHAP'
        Get-IscsiLun p8-data -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $lun = New-IscsiLun -Name p8-data -SizeGB 0.02 -Backend $s.Backend -Node p8-web1 -MutualChap -Force -WarningAction SilentlyContinue
        $lun.Chap | Should -Be 'OneWay'
    }
}

Describe 'Point 9: the secret key is read again when it changes' {
    BeforeAll { $s = New-Setup -Prefix p9 -Nodes 1 -Luns }

    It 'a new PUREBOOT_SECRET_KEY is used at once (and refused for secrets sealed with the old one)' {
        $key = $env:PUREBOOT_SECRET_KEY
        try {
            $env:PUREBOOT_SECRET_KEY = [Convert]::ToBase64String([byte[]] (1..32))
            $err = $null
            Get-IscsiLunChapCredential p9-web1 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.SecretUnavailable,*'
        }
        finally { $env:PUREBOOT_SECRET_KEY = $key }
        (Get-IscsiLunChapCredential p9-web1).UserName | Should -Be 'p9-web1'
    }
}

Describe 'Point 10: an Error row says how to clear it; Get-Help shows types; a bad -HostName under that name' {
    BeforeAll { $s = New-Setup -Prefix p10 -Nodes 0 }

    It 'a failed create leaves an Error row, and the next New-IscsiLun of that name says so and how to clear it' {
        Add-SimulatedFault -StatePath $s.State -Pattern 'name=p10-bad '
        New-IscsiLun -Name p10-bad -SizeGB 0.02 -Backend $s.Backend -ErrorAction SilentlyContinue | Out-Null
        (Get-IscsiLun p10-bad).Status | Should -Be 'Error'
        $err = $null
        New-IscsiLun -Name p10-bad -SizeGB 0.02 -Backend $s.Backend -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*'
        $err[0].ToString() | Should -Match 'in Error'
        $err[0].ToString() | Should -Match 'Remove-IscsiLun p10-bad'
    }

    It 'Get-Help shows every parameter''s type' {
        foreach ($cmd in Get-Command -Module PureBoot) {
            $syntax = (Get-Help $cmd.Name).Syntax | Out-String -Width 1000
            foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.Cmdlet]::CommonParameters -and $_.Name -notin 'WhatIf', 'Confirm' }) {
                if ($p.ParameterType -eq [switch] -or ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow })) { continue }
                $help = Get-Help $cmd.Name -Parameter $p.Name | Out-String -Width 1000
                $help | Should -Match ("-{0} <{1}>" -f $p.Name, [regex]::Escape($p.ParameterType.Name)) -Because "$($cmd.Name) -$($p.Name)"
                $syntax | Should -Match ("-{0}\]? (<|\{{)" -f $p.Name) -Because "the syntax of $($cmd.Name) shows -$($p.Name)'s type"
            }
        }
    }

    It 'a bad -HostName is reported under that name' {
        foreach ($cmd in { New-IscsiBackend -Name p10-ssh -Transport Ssh -HostName 'bad host!' }, { New-IscsiNode -Name p10-n -MacAddress 52:54:00:10:00:01 -HostName 'bad host!' }) {
            $err = Get-ErrorOf $cmd
            $err[0].CategoryInfo.TargetName | Should -Be 'HostName'
            $err[0].ToString() | Should -Match "^Parameter 'HostName':"
        }
    }
}

Describe 'Point 11: the simulator''s state file is 0600 and holds no CHAP secret in plain text' {
    BeforeAll { $s = New-Setup -Prefix p11 -Nodes 1 -Luns }

    It 'has mode 0600 and none of the secrets' {
        Set-IscsiLun p11-web1 -MutualChap -Confirm:$false
        [int] [System.IO.File]::GetUnixFileMode($s.State) | Should -Be 384
        $text = Get-Content -Raw $s.State
        $text | Should -Not -Match ([regex]::Escape((Get-IscsiLunChapCredential p11-web1).GetNetworkCredential().Password))
        $text | Should -Not -Match ([regex]::Escape((Get-IscsiLunChapCredential p11-web1 -Mutual).GetNetworkCredential().Password))
        @(Get-IscsiTargetStatus $s.Backend -Drift).Count | Should -Be 0   # and the simulated target still has them
    }
}

Describe 'Point 12: completers resolve paths against the current location and complete values; one case rule for names' {
    BeforeAll {
        $s = New-Setup -Prefix p12 -Nodes 1 -Luns
        $other = Join-Path $ctx.Dir 'p12-elsewhere'
        New-Item -ItemType Directory $other | Out-Null
        New-IscsiNode -Name p12-elsewhere -MacAddress 52:54:00:12:12:12 -Database (Join-Path $other 'inv.db') | Out-Null
    }

    It 'a relative -Database is taken against PowerShell''s current location' {
        Push-Location $other
        try {
            $line = 'Get-IscsiNode -Database ./inv.db -Name p12-'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'p12-elsewhere'
        }
        finally { Pop-Location }
    }

    It '-ObjectName and -Operation complete values from the audit log, not file names' {
        $line = 'Get-PureBootAuditLog -Operation create-'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'create-lun'
        $line = 'Get-PureBootAuditLog -ObjectName p12-we'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'p12-web1'
    }

    It 'names take any case, for create and lookup alike' {
        (New-IscsiNode -Name P12-Mixed -MacAddress 52:54:00:12:12:13).Name | Should -Be 'p12-mixed'
        (Get-IscsiNode P12-MIXED).Name | Should -Be 'p12-mixed'
        Remove-IscsiNode P12-MIXED -Confirm:$false -ErrorAction Stop
        Get-IscsiNode p12-mixed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Point 14: error records have consistent categories, TargetObject and message style' {
    BeforeAll { $s = New-Setup -Prefix p14 -Nodes 1 -Luns }

    It 'an existing name is ResourceExists; an in-use conflict is not; the id is PureBoot.Conflict for both' {
        $err = $null
        New-IscsiNode -Name p14-web1 -MacAddress 52:54:00:14:00:99 -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err = $null
        Remove-IscsiNode p14-web1 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PureBoot.Conflict,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err = $null
        Remove-IscsiLun p14-web1 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'TargetObject is the name the error is about and every message is a sentence' {
        $records = @(
            foreach ($cmd in { Remove-IscsiNode p14-web1 -Confirm:$false }, { Get-IscsiLun nosuch }, { Remove-IscsiLun nosuch -Confirm:$false },
                { New-IscsiNode -Name p14-web1 -MacAddress 52:54:00:14:00:99 }, { Resize-IscsiLun p14-web1 -SizeGB 0.01 },
                { Remove-IscsiBackend p14-san -Confirm:$false }, { Get-IscsiLunChapCredential nosuch }) {
                (Get-ErrorOf $cmd)[0]
            })
        $records.Count | Should -Be 7
        ($records | ForEach-Object TargetObject) | Should -Be @('p14-web1', 'nosuch', 'nosuch', 'p14-web1', 'p14-web1', 'p14-san', 'nosuch')
        foreach ($r in $records) {
            $r.ToString() | Should -Match '^[A-Z].*\.$' -Because $r.FullyQualifiedErrorId
            $r.Exception.Message | Should -Be $r.ToString()
        }
    }
}
