#Requires -Version 7.4
# Pester 5, lab: the README's "Booting a diskless node" run as a scheduled runbook (Runbooks/BootWalkthrough.ps1)
# by `pwsh -NonInteractive -File`, over real SSH as the lab's non-root sudo user: a LUN cloned from a golden image,
# its iPXE script written by Get-IscsiBootScript -Path; then a second qemu with no disk (tests/Integration/boot/
# boot-node.sh, as BootTests.cs does) sanboots from it and prints the image's marker on its serial console.
# Needs $env:PUREBOOT_LAB_ENV, nasm and qemu-system-x86_64 with Debian's ipxe-qemu ROM.

Describe 'The README boot walk-through as a scheduled runbook, on the lab VM as the sudo user' -Tag 'Lab' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'LabSetup.ps1')
        $lab = Get-PureBootLab
        $run = New-LabRun -Lab $lab
        $backend = "boot-$($run.Id)"
        $node = "node-$($run.Id)"
        $mac = New-RandomMac

        # The golden image (README step 1): tests/Integration/boot/bootsector.asm with this run's marker, padded to
        # 64 MiB (iPXE fails on a 1 MiB disk), put in the backend's image directory out of band, as an admin would.
        $marker = "PUREBOOT-BOOTED-$($run.Id)"
        $data = "PUREBOOT-DATA-$($run.Id)"
        $bin = Join-Path $run.Dir 'boot.bin'
        $asm = Join-Path $PSScriptRoot '../../Integration/boot/bootsector.asm'
        $nasm = & timeout 60 nasm -f bin "-DMARKER=""$marker""" "-DDATA=""$data""" -o $bin $asm 2>&1
        if ($LASTEXITCODE -ne 0) { throw "nasm failed ($LASTEXITCODE): $nasm (apt-get install nasm)" }
        $b64 = [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($bin))
        $golden = "$($run.StoragePath)/golden/boot.img"
        Invoke-LabSsh -Lab $lab -Command "mkdir -p '$($run.StoragePath)/golden' && echo $b64 | base64 -d > '$golden' && truncate -s 64M '$golden' && sync" | Out-Null

        $tftp = New-Item -ItemType Directory -Path (Join-Path $run.Dir 'tftp')
        $scriptPath = Join-Path $tftp 'boot.ipxe'
        $resultPath = Join-Path $run.Dir 'boot.clixml'
        $walk = Invoke-Runbook -Run $run -Path 'BootWalkthrough.ps1' -Arguments (
            (Get-LabConnectionArgs -Run $run -Backend $backend) + @(
                '-Mode', 'PerLun', '-Node', $node, '-MacAddress', $mac, '-SourceImage', 'golden/boot.img',
                '-ScriptPath', $scriptPath, '-PortalAddress', '10.0.2.2', '-PortalPort', $lab.IscsiPort, '-ResultPath', $resultPath))
        if ($walk.ExitCode -ne 0) { throw "BootWalkthrough.ps1 failed (exit $($walk.ExitCode)): $($walk.Stderr)" }
        $out = Import-RunbookResult -Run $run -Path $resultPath
        $cred = Get-RunChapCredential -Run $run -Lun $node
    }

    AfterAll {
        if ($run) {
            $left = Remove-LabRun -Run $run
            if ($left) { Write-Warning "The lab run $($run.Id) left (removed now by the safety net): $($left -join '; ')" }
        }
    }

    It 'exits 0 and says where the node boots from' {
        $walk.ExitCode | Should -Be 0
        $walk.Stderr | Should -BeNullOrEmpty
        $walk.Stdout | Should -Match "BootWalkthrough: node '$node' boots from iscsi:10\.0\.2\.2::$($lab.IscsiPort):0:"
    }

    It 'checked the backend first: reachable, sudo, configfs, D-Bus, storage' {
        $out.Module | Should -Be (Split-Path (Get-LabModulePath))
        $out.Test.PSObject.TypeNames[0] | Should -Be 'Deserialized.PureBoot.Core.Operations.BackendTestReport'
        $out.Test.Passed | Should -BeTrue
        $out.Test.Sudo | Should -BeTrue
        $out.Test.TargetcliVersion | Should -Not -BeNullOrEmpty
    }

    It 'returns the node''s LUN: a clone of the golden image on its own target, Active, assigned, one-way CHAP' {
        $lun = $out.Lun
        $lun.PSObject.TypeNames[0] | Should -Be 'Deserialized.PureBoot.Core.Model.Lun'
        $lun.Name | Should -Be $node
        $lun.Status.ToString() | Should -Be 'Active'
        $lun.NodeName | Should -Be $node
        $lun.InitiatorIqn | Should -Be $out.Node.InitiatorIqn
        $lun.Chap | Should -Be 'OneWay'
        $lun.SourceImage | Should -Be "$($run.StoragePath)/golden/boot.img"   # recorded as the path on the host
        $lun.SizeBytes | Should -Be 64MB
        $lun.TargetIqn | Should -Be "$($run.IqnPrefix):$backend.$node"
        $lun.MappedLunIndex | Should -Be 0
    }

    It 'returns the boot script info (no secret) and wrote the iPXE script 0600 with the credential Get-IscsiLunChapCredential returns' {
        $info = $out.BootScript
        $info.PSObject.TypeNames[0] | Should -Be 'Deserialized.PureBoot.Core.Operations.BootScriptInfo'
        $info.Node | Should -Be $node
        $info.Portal | Should -Be '10.0.2.2'
        $info.Port | Should -Be $lab.IscsiPort
        $info.Chap | Should -Be 'OneWay'
        $info.RootPath | Should -Be "iscsi:10.0.2.2::$($lab.IscsiPort):0:$($out.Lun.TargetIqn)"

        [int] [System.IO.File]::GetUnixFileMode($scriptPath) | Should -Be 384   # 0600
        $script = Get-Content -Raw $scriptPath
        $script | Should -Match '(?m)^#!ipxe'
        $script | Should -Match "(?m)^set initiator-iqn $([regex]::Escape($out.Node.InitiatorIqn))$"
        $script | Should -Match "(?m)^set username $([regex]::Escape($cred.UserName))$"
        $script | Should -Match "(?m)^set password $([regex]::Escape($cred.GetNetworkCredential().Password))$"
        $script | Should -Match "(?m)^sanboot $([regex]::Escape($info.RootPath))$"
    }

    It 'holds no CHAP secret in its output or result file (only the iPXE script has it, as iPXE needs)' {
        Assert-NoSecret -Run $run -Text ($walk.Stdout + $walk.Stderr) -What 'the runbook output'
        Assert-NoSecret -Run $run -Text (Get-Content -Raw $resultPath) -What $resultPath
    }

    It 'lets the node''s initiator log in with that credential, and not with a wrong secret' {
        $iqn = $out.Node.InitiatorIqn
        $t = $out.Lun.TargetIqn
        (Invoke-Initiator -Lab $lab -InitiatorIqn $iqn -Target $t -Lun 0 -User $cred.UserName -Secret $cred.GetNetworkCredential().Password).CapacityBytes |
            Should -Be 64MB
        (Invoke-Initiator -Lab $lab -InitiatorIqn $iqn -Target $t -Lun 0 -User $cred.UserName -Secret 'WrongSecret1234').Output |
            Should -Match 'Authentication failure\(513\)'
    }

    It 'boots a diskless qemu from the clone with that script: the marker appears on its serial console' {
        $console = Join-Path $run.Dir 'node-console.log'
        $bootNode = Join-Path $PSScriptRoot '../../Integration/boot/boot-node.sh'
        $psi = [System.Diagnostics.ProcessStartInfo]::new('bash')
        foreach ($a in @('-c', 'exec bash "$1" "$2" "$3" 300 >"$4" 2>&1 </dev/null', 'node', $bootNode, $tftp.FullName, $mac, $console)) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $vm = [System.Diagnostics.Process]::Start($psi)
        try {
            $text = ''
            while ($sw.Elapsed.TotalSeconds -lt 240 -and -not $vm.HasExited) {
                $text = Get-Content -Raw $console -ErrorAction SilentlyContinue
                if ($text -and $text.Contains($data)) { break }   # booted, and read its disk after the marker
                Start-Sleep -Milliseconds 500
            }
            $text = (Get-Content -Raw $console -ErrorAction SilentlyContinue) ?? ''
            Write-Host "  node: marker after $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s (qemu TCG, iPXE, TFTP, iSCSI login, sanboot)"
            $tail = ($text -replace '\x1b\[[0-9;?]*[A-Za-z]|\x1bc', '')
            $tail = $tail.Substring([math]::Max(0, $tail.Length - 1500))
            $text | Should -Match ([regex]::Escape($marker)) -Because "the node's console ends: $tail"
            $text | Should -Match 'boot\.ipxe'
            $text | Should -Match 'Booting from SAN device'
            $text | Should -Match ([regex]::Escape($data))
            $text | Should -Not -Match 'READ-ERROR'
        }
        finally {
            # boot-node.sh execs timeout(1), which passes SIGTERM on to qemu (a SIGKILL would orphan qemu).
            if (-not $vm.HasExited) { & kill -TERM $vm.Id; if (-not $vm.WaitForExit(20000)) { $vm.Kill($true) } }
        }
    }

    It 'is undone by the Decommission runbook: the node''s target, LUN and clone are gone' {
        $d = Invoke-Runbook -Run $run -Path 'Decommission.ps1' -Arguments @('-Backend', $backend, '-Node', $node)
        $d.ExitCode | Should -Be 0 -Because $d.Stderr
        $d.Stdout | Should -Match "Decommission: 1 LUNs and 1 nodes removed, backend '$backend' forgotten"
        Get-LabRunObjects -Run $run -Targets | Should -BeNullOrEmpty
        (Invoke-Initiator -Lab $lab -InitiatorIqn $out.Node.InitiatorIqn -Target $out.Lun.TargetIqn -Lun 0 -User $cred.UserName -Secret $cred.GetNetworkCredential().Password).CapacityBytes |
            Should -BeNullOrEmpty
    }
}
