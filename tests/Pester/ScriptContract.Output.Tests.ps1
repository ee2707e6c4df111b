#Requires -Version 7.4
# Pester 5: issue 11, section 2, "the scheduled-script contract": points 6-14, one Describe per point
# (1-5 are in ScriptContract.Tests.ps1),
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

    It 'Set-, Remove-, Resize-, Restart-, Save-, Reset-, Restore- and Update- write nothing unless -PassThru; the others always write' {
        foreach ($cmd in Get-Command -Module PureBoot) {
            $has = $cmd.Parameters.ContainsKey('PassThru')
            if ($cmd.Verb -in 'Set', 'Remove', 'Resize', 'Restart', 'Save', 'Reset', 'Restore', 'Update') { $has | Should -BeTrue -Because "$($cmd.Name) changes something" }
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
