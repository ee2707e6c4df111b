using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Import-IscsiTargetConfig: adopts a host's existing LUNs and ACLs into the inventory (a target set up by hand,
/// or an inventory rebuilt after the admin host's disk died). Writes the imported LUNs; nodes created for unknown
/// initiators are reported with -Verbose, and anything skipped or guessed as a warning.
/// </summary>
[Cmdlet(VerbsData.Import, "IscsiTargetConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Lun))]
public sealed class ImportIscsiTargetConfigCommand : PureBootCmdlet
{
    /// <summary>The backend to read. Binds from Name (Get-IscsiBackend) or BackendName.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackendName", "Name")]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[] Backend { get; set; } = Array.Empty<string>();

    /// <summary>Only targets whose IQN matches (wildcards). Default: every target on the host.</summary>
    [Parameter]
    [SupportsWildcards]
    public string? TargetIqn { get; set; }

    protected override void ProcessRecord()
    {
        var targets = string.IsNullOrEmpty(TargetIqn) ? null : TargetIqn;
        foreach (var backend in Backend)
        {
            try
            {
                var b = Engine.GetBackend(backend);   // an unknown backend is an error under -WhatIf too
                if (!ShouldProcess($"backend '{b.Name}'", $"Import the LUNs and ACLs of {(targets is null ? "every target" : $"the targets like '{targets}'")} into the PureBoot inventory")) continue;
                var report = RunEngine((engine, ct) => engine.ImportTargetConfigAsync(b.Name, targets, ct), $"Importing target configuration from {b.Name}");
                foreach (var w in report.Warnings) WriteWarning($"{report.Backend}: {w}");
                foreach (var n in report.Nodes) WriteVerbose($"Imported node '{n.Name}' ({n.InitiatorIqn}, MAC {n.MacAddress}).");
                if (report.Luns.Count == 0) WriteVerbose($"Backend '{report.Backend}': no LUN to import (every exported LUN is in the inventory already).");
                foreach (var l in report.Luns) WriteObject(l);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, backend); }
        }
    }
}
