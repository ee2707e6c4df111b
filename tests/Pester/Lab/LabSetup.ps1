# Shared set-up for the Pester lab runbooks (dot-source it in BeforeAll). They run the runbooks in
# tests/Pester/Lab/Runbooks the way cron or a systemd timer does (a child `pwsh -NonInteractive -File`), against
# the real lab VM over SSH as its non-root sudo user, and check the target with a real initiator (libiscsi).
#
# Needs $env:PUREBOOT_LAB_ENV: the lab.env that tests/Integration/lab/start-vm.sh writes. Without it every test
# fails (never skips): a lab suite that did not run must not look like a suite that passed.
# The module under test: $env:PUREBOOT_MODULE_PATH (a PureBoot.psd1), else out/PureBoot/PureBoot.psd1.

$script:RepoRoot = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../..'))
$script:RunbookDir = Join-Path $PSScriptRoot 'Runbooks'

function Get-LabModulePath {
    $path = if ($env:PUREBOOT_MODULE_PATH) { $env:PUREBOOT_MODULE_PATH } else { Join-Path $script:RepoRoot 'out/PureBoot/PureBoot.psd1' }
    if (-not (Test-Path $path)) { throw "The module is not built: $path is missing (run: dotnet pwsh -NoProfile -File ./build.ps1)." }
    (Resolve-Path $path).Path
}

# The lab VM from lab.env, checked: every key the tests use is there and root SSH answers.
function Get-PureBootLab {
    $path = $env:PUREBOOT_LAB_ENV
    if ([string]::IsNullOrWhiteSpace($path)) {
        throw 'PUREBOOT_LAB_ENV is not set: the Lab Pester tests need the lab VM. Start it with bash tests/Integration/lab/start-vm.sh and set PUREBOOT_LAB_ENV to the lab.env it prints (test.sh does both). These tests never skip.'
    }
    if (-not (Test-Path -PathType Leaf $path)) { throw "PUREBOOT_LAB_ENV names '$path', which is not a file: is the lab VM running (tests/Integration/lab/start-vm.sh)?" }
    $env = @{}
    foreach ($line in Get-Content $path) {
        $line = $line.Trim()
        if ($line -eq '' -or $line.StartsWith('#') -or $line.StartsWith('export ') -or -not $line.Contains('=')) { continue }
        $i = $line.IndexOf('=')
        $env[$line.Substring(0, $i)] = $line.Substring($i + 1).Trim('"', "'")
    }
    function Need([string] $key) { if (-not $env[$key]) { throw "$path has no $key (written by an older start-vm.sh?)." }; $env[$key] }
    $lab = [pscustomobject]@{
        Host       = Need 'PUREBOOT_LAB_SSH_HOST'
        SshPort    = [int] (Need 'PUREBOOT_LAB_SSH_PORT')
        IscsiPort  = [int] (Need 'PUREBOOT_LAB_ISCSI_PORT')
        RootKey    = Need 'PUREBOOT_LAB_ROOT_KEY'
        User       = Need 'PUREBOOT_LAB_USER'
        UserKey    = Need 'PUREBOOT_LAB_USER_KEY'
        KnownHosts = Need 'PUREBOOT_LAB_KNOWN_HOSTS'
        LunDir     = Need 'PUREBOOT_LAB_LUN_DIR'
    }
    $probe = Invoke-LabSsh -Lab $lab -Command 'true' -NoThrow
    if ($probe.ExitCode -ne 0) { throw "The lab VM of $path does not answer over SSH (port $($lab.SshPort)): $($probe.Output)" }
    $lab
}

# Runs a command in the VM as root: test plumbing (preparing a golden image, looking at configfs, cleaning up), not
# PureBoot's transport. Throws when the command fails, unless -NoThrow.
function Invoke-LabSsh {
    param($Lab, [string] $Command, [switch] $NoThrow, [int] $TimeoutSeconds = 120)
    $out = & timeout $TimeoutSeconds ssh -i $Lab.RootKey -p $Lab.SshPort -o IdentitiesOnly=yes -o BatchMode=yes `
        -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$($Lab.KnownHosts)" -o GlobalKnownHostsFile=/dev/null `
        -o ConnectTimeout=15 -o LogLevel=ERROR "root@$($Lab.Host)" $Command 2>&1
    $result = [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
    if (-not $NoThrow -and $result.ExitCode -ne 0) { throw "lab ssh '$Command' failed ($($result.ExitCode)): $($result.Output)" }
    $result
}

# One run of a test file: a private folder (0700), inventory, secret key, IQN prefix and storage folder on the VM,
# so runs sharing the VM cannot collide, and names unique to the run.
function New-LabRun {
    param($Lab)
    $id = 'rb' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) "pureboot-lab-$id"
    New-Item -ItemType Directory -Path $dir | Out-Null
    [System.IO.File]::SetUnixFileMode($dir, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    $key = [byte[]]::new(32)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($key)
    [pscustomobject]@{
        Id          = $id
        Dir         = $dir
        Db          = Join-Path $dir 'pureboot.db'
        Key         = [Convert]::ToBase64String($key)
        IqnPrefix   = "iqn.2026-01.test.$id"
        StoragePath = "$($Lab.LunDir)/$id"
        Lab         = $Lab
        Secrets     = [System.Collections.Generic.List[string]]::new()   # every CHAP secret seen, to prove none leaks
    }
}

function New-RandomMac { '52:54:00:' + ((1..3 | ForEach-Object { '{0:x2}' -f (Get-Random -Maximum 256) }) -join ':') }

# The connection parameters every runbook takes: the lab's sudo user, its key, strict host keys, the lab's ports.
function Get-LabConnectionArgs {
    param($Run, [string] $Backend)
    $lab = $Run.Lab
    @('-Backend', $Backend, '-HostName', $lab.Host, '-Port', $lab.SshPort, '-User', $lab.User, '-IdentityFile', $lab.UserKey,
      '-KnownHostsFile', $lab.KnownHosts, '-IqnPrefix', $Run.IqnPrefix, '-StoragePath', $Run.StoragePath)
}

# Runs a runbook as cron or systemd would: `dotnet pwsh -NoProfile -NonInteractive -File <runbook> <args>`, stdin at
# EOF, stdout and stderr to files, with the run's PUREBOOT_DB and PUREBOOT_SECRET_KEY, and the module under test first
# on PSModulePath so `Import-Module PureBoot` finds it. XDG_RUNTIME_DIR is the run's folder, so the SSH master
# connections PureBoot starts (ControlPersist) have their sockets there and Stop-LabRunSsh can end them.
function Invoke-Runbook {
    param($Run, [string] $Path, [object[]] $Arguments = @(), [int] $TimeoutSeconds = 600, [hashtable] $Environment = @{},
          # Leaves out -NonInteractive (a job started by cron or systemd without it: stdin at EOF, no terminal).
          [switch] $Interactive)
    if (-not (Test-Path $Path)) { $Path = Join-Path $script:RunbookDir $Path }
    $n = (Get-ChildItem $Run.Dir -Filter 'runbook-*.out').Count + 1
    $stdout = Join-Path $Run.Dir "runbook-$n.out"
    $stderr = Join-Path $Run.Dir "runbook-$n.err"
    $psi = [System.Diagnostics.ProcessStartInfo]::new('bash')
    $psi.WorkingDirectory = $script:RepoRoot     # where `dotnet pwsh` finds the tool manifest
    $psi.UseShellExecute = $false
    foreach ($a in @('-c', 'out=$1 err=$2; shift 2; exec "$@" >"$out" 2>"$err" </dev/null', 'runbook', $stdout, $stderr,
                     'dotnet', 'pwsh', '-NoProfile') + @(if (-not $Interactive) { '-NonInteractive' }) + @('-File', $Path) + @($Arguments | ForEach-Object { [string] $_ })) {
        $psi.ArgumentList.Add($a)
    }
    $psi.Environment['PUREBOOT_DB'] = $Run.Db
    $psi.Environment['PUREBOOT_SECRET_KEY'] = $Run.Key
    $psi.Environment['PSModulePath'] = (Split-Path (Split-Path (Get-LabModulePath))) + [System.IO.Path]::PathSeparator + $env:PSModulePath
    $psi.Environment['XDG_RUNTIME_DIR'] = $Run.Dir
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string] $Environment[$k] }
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $p = [System.Diagnostics.Process]::Start($psi)
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
        $p.Kill($true)
        throw "The runbook $Path did not finish within $TimeoutSeconds s (a prompt waiting for input?). stderr: $(Get-Content -Raw $stderr)"
    }
    $sw.Stop()
    $raw = @{ Out = (Get-Content -Raw $stdout) ?? ''; Err = (Get-Content -Raw $stderr) ?? '' }
    $ansi = '\x1b\[[0-9;?]*[A-Za-z]'
    $result = [pscustomobject]@{
        ExitCode  = $p.ExitCode
        Stdout    = $raw.Out -replace $ansi, ''    # what a reader sees
        Stderr    = $raw.Err -replace $ansi, ''
        RawOutput = $raw.Out + $raw.Err            # as written, colour codes and all
        Seconds   = [math]::Round($sw.Elapsed.TotalSeconds, 1)
    }
    Write-Host "  runbook $(Split-Path -Leaf $Path): exit $($result.ExitCode) after $($result.Seconds) s"
    $result
}

# The objects a runbook wrote with Export-Clixml (-ResultPath), checked to hold none of the run's CHAP secrets.
function Import-RunbookResult {
    param($Run, [string] $Path)
    if (-not (Test-Path $Path)) { throw "The runbook wrote no result file $Path." }
    Assert-NoSecret -Run $Run -Text (Get-Content -Raw $Path) -What $Path
    Import-Clixml $Path
}

# The CHAP credential of a LUN, read back in this process with Get-IscsiLunChapCredential from the run's inventory
# (the runbooks never write a secret to a file). Remembered so Assert-NoSecret can look for it in every output.
function Get-RunChapCredential {
    param($Run, [string] $Lun, [switch] $Mutual)
    Import-Module (Get-LabModulePath) -ErrorAction Stop
    $env:PUREBOOT_SECRET_KEY = $Run.Key
    $c = Get-IscsiLunChapCredential -Name $Lun -Mutual:$Mutual -Database $Run.Db -ErrorAction Stop
    $Run.Secrets.Add($c.GetNetworkCredential().Password)
    $c
}

function Assert-NoSecret {
    param($Run, [string] $Text, [string] $What)
    foreach ($s in $Run.Secrets) {
        if ($s -and $Text.Contains($s)) { throw "$What holds a CHAP secret." }
    }
}

# libiscsi's initiator on the host, addressing the LUN directly: iscsi://USER%SECRET@HOST:PORT/TARGET/LUN.
function Invoke-Initiator {
    param($Lab, [string] $InitiatorIqn, [string] $Target, [int] $Lun, [string] $User, [string] $Secret)
    $auth = if ($User) { "$User%$Secret@" } else { '' }
    $out = & timeout 60 iscsi-readcapacity16 -i $InitiatorIqn "iscsi://$auth$($Lab.Host):$($Lab.IscsiPort)/$Target/$Lun" 2>&1
    $text = $out -join "`n"
    $size = if ($LASTEXITCODE -eq 0 -and $text -match 'Total size:\s*(\d+)') { [long] $Matches[1] } else { $null }
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $text; CapacityBytes = $size }
}

# One qemu-io command through its libiscsi driver as the given initiator (the CHAP secret goes in a secret object).
function Invoke-QemuIo {
    param($Lab, [string] $InitiatorIqn, [string] $Target, [int] $Lun, [string] $User, [string] $Secret, [string] $Command)
    $opts = "driver=iscsi,transport=tcp,portal=$($Lab.Host):$($Lab.IscsiPort),target=$Target,lun=$Lun,initiator-name=$InitiatorIqn,user=$User,password-secret=s0"
    $out = & timeout 60 qemu-io --object "secret,id=s0,data=$Secret" --image-opts $opts -c $Command 2>&1
    $text = $out -join "`n"
    [pscustomobject]@{ Ok = ($LASTEXITCODE -eq 0 -and $text -notmatch '(?i)failed|error'); Output = $text }
}

# What the run has on the VM: ACLs and LUNs in its targets (by IQN prefix), storage objects on its storage folder,
# and the files there (not the golden images the tests put there). With -Targets, its targets too.
function Get-LabRunObjects {
    param($Run, [switch] $Targets)
    $script = @'
cd /sys/kernel/config/target/iscsi 2>/dev/null && for t in $(ls | grep -F 'PREFIX:'); do
  [ TARGETS = 1 ] && echo "target $t"
  for a in $t/tpgt_*/acls/*; do [ -e "$a" ] && echo "acl $a"; done
  for l in $t/tpgt_*/lun/*; do [ -e "$l" ] && echo "lun $l"; done
done
for f in /sys/kernel/config/target/core/*/*/udev_path; do grep -qF 'STORAGE/' "$f" 2>/dev/null && echo "storage object ${f%/udev_path}"; done
find 'STORAGE' -type f ! -path '*/golden/*' 2>/dev/null | sed 's/^/file /'
true
'@
    $script = $script.Replace('PREFIX', $Run.IqnPrefix).Replace('STORAGE', $Run.StoragePath).Replace('TARGETS', [string] [int] $Targets.IsPresent)
    @((Invoke-LabSsh -Lab $Run.Lab -Command $script).Output -split "`n" | Where-Object { $_ })
}

# Ends the SSH master connections the run's runbooks left (ControlPersist), by their control sockets.
function Stop-LabRunSsh {
    param($Run)
    foreach ($sock in Get-ChildItem -Path (Join-Path $Run.Dir 'pureboot-ssh') -Filter '*.sock' -ErrorAction SilentlyContinue) {
        & ssh -o "ControlPath=$($sock.FullName)" -O exit dummy 2>&1 | Out-Null
    }
}

# The safety net after a test: removes whatever the runbooks did not (targets with the run's IQN prefix, its storage
# folder on the VM), ends its SSH masters, and deletes its local folder. Returns what it had to remove.
function Remove-LabRun {
    param($Run)
    if (-not $Run) { return }
    $left = @()
    try {
        $left = Get-LabRunObjects -Run $Run -Targets
        $cmd = "for t in `$(ls /sys/kernel/config/target/iscsi 2>/dev/null | grep -F '$($Run.IqnPrefix):'); do HOME=/tmp targetcli /iscsi delete `$t >/dev/null; done; " +
               "for f in /sys/kernel/config/target/core/fileio_*/*/udev_path; do grep -qF '$($Run.StoragePath)/' `$f 2>/dev/null && HOME=/tmp targetcli /backstores/fileio delete `$(basename `$(dirname `$f)) >/dev/null; done; " +
               "rm -rf '$($Run.StoragePath)'; true"
        Invoke-LabSsh -Lab $Run.Lab -Command $cmd -NoThrow | Out-Null
    }
    finally {
        Stop-LabRunSsh -Run $Run
        Remove-Item -Recurse -Force $Run.Dir -ErrorAction SilentlyContinue
    }
    $left
}
