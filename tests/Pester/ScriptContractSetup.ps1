# Shared by tests/Pester/ScriptContract*.Tests.ps1 (dot-source it in BeforeAll, after New-PureBootTestContext set $ctx).

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

