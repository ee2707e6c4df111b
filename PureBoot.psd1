#
# Module manifest for PureBoot: provisions iSCSI boot LUNs on Linux LIO targets.
# Build the importable folder with ./build.ps1 (or the LayoutModule MSBuild target); it lands in out/PureBoot/.
# Supported: PowerShell 7.4+ (Core) on Linux. The storage host (local or over SSH) is Linux with the LIO target
# and targetcli-fb/rtslib-fb. MIT licensed: LICENSE ships in the module folder.
#
@{
    RootModule             = 'PureBoot.dll'
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Core')
    GUID                   = 'ab1ca2b6-960f-4d82-8e0f-dcc87a9050c3'
    Author                 = 'PureBoot contributors'
    CompanyName            = 'PureBoot contributors'
    Copyright              = 'Copyright (c) 2026 PureBoot contributors'
    Description            = 'Provisions iSCSI boot LUNs for diskless machines on Linux LIO targets over SSH: an inventory of backends, nodes and LUNs, batched changes applied as one typed plan per batch through rtslib (or one targetcli start), golden images, clones, snapshots and rollouts, CHAP secrets sealed at rest, drift checks and an audit log. Runs in PowerShell 7.4+ on Linux; the storage host needs the LIO target with rtslib-fb (targetcli-fb for the Targetcli executor).'
    PowerShellVersion      = '7.4'
    FormatsToProcess       = @('PureBoot.Format.ps1xml')

    # Every cmdlet, listed explicitly (no wildcards), so command discovery does not have to load the assembly.
    CmdletsToExport        = @(
        'New-IscsiBackend'
        'Get-IscsiBackend'
        'Set-IscsiBackend'
        'Remove-IscsiBackend'
        'Test-IscsiBackend'
        'New-IscsiNode'
        'Get-IscsiNode'
        'Set-IscsiNode'
        'Remove-IscsiNode'
        'New-IscsiLun'
        'Get-IscsiLun'
        'Set-IscsiLun'
        'Resize-IscsiLun'
        'Remove-IscsiLun'
        'Set-IscsiLunAssignment'
        'Remove-IscsiLunAssignment'
        'Get-IscsiTargetStatus'
        'Sync-IscsiTarget'
        'Import-IscsiTargetConfig'
        'Restart-IscsiTarget'
        'Get-IscsiBootScript'
        'Save-IscsiBootScript'
        'Get-IscsiLunChapCredential'
        'Get-PureBootAuditLog'
        'New-IscsiImage'
        'Get-IscsiImage'
        'Remove-IscsiImage'
        'Checkpoint-IscsiLun'
        'Get-IscsiLunSnapshot'
        'Remove-IscsiLunSnapshot'
        'Restore-IscsiLun'
        'Reset-IscsiLun'
        'Update-IscsiLun'
        'Get-IscsiBackendSpace'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()

    PrivateData            = @{
        PSData = @{
            Tags         = @('iSCSI', 'LIO', 'targetcli', 'SAN', 'BootFromSAN', 'iPXE', 'Diskless', 'Storage', 'Linux', 'PSEdition_Core')
            # The MIT license text, as in LICENSE. No ProjectUri until the project has a public home.
            LicenseUri   = 'https://opensource.org/license/mit'
            ReleaseNotes = @'
0.1.0
- First release: New/Get/Set/Remove/Test-IscsiBackend, New/Get/Remove-IscsiNode, New/Get/Set/Resize/Remove-IscsiLun,
  Set/Remove-IscsiLunAssignment, Get-IscsiTargetStatus, Get-IscsiLunChapCredential, Get-PureBootAuditLog.
- Sync-IscsiTarget converges a target with the inventory (-WhatIf shows the plan and changes nothing);
  Import-IscsiTargetConfig adopts existing LUNs and ACLs; Restart-IscsiTarget restarts exports so nodes reconnect;
  Get-IscsiBootScript writes a node's iPXE boot script (a 0600 file: it holds the CHAP secret in plain text).
- LUN changes are sent in batches of up to 250 items: one targetcli start per backend per batch.
- CHAP secrets are accepted only as PSCredential and read back only with Get-IscsiLunChapCredential.
- Backends: Local, Ssh (OpenSSH client) and Simulated (for tests and demos).
- Scheduled scripts (docs/POWERSHELL.md): every piped item is checked before anything is sent, successes are written
  before errors, -SummaryVariable gives ok/failed counts; -IfNotExists on New-IscsiBackend/Node/Lun makes a script
  converge when it runs twice; -WhatIf runs the real checks (Sync-IscsiTarget -WhatIf -Report writes the plan).
- Output rule: New-/Get-/Test-/Import-/Sync- write their results; Set-/Remove-/Resize-/Restart-/Save- and the
  assignment cmdlets write nothing unless -PassThru (Set-IscsiLunAssignment, Remove-IscsiLunAssignment and
  Restart-IscsiTarget wrote LUNs before: add -PassThru).
- Set-IscsiNode: a NIC swap moves the node's ACLs to its new initiator IQN, CHAP kept. Save-IscsiBootScript writes the
  iPXE script file (Get-IscsiBootScript -Path still works). Enums serialise as names in ConvertTo-Json.
'@
        }
    }
}
