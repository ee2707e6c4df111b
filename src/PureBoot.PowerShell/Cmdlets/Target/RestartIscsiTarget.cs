using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Restart-IscsiTarget: drops and restores the export of LUNs (or of every LUN of a node), so the node's iSCSI
/// sessions end and it logs in again to the same data. The data is never touched. -PassThru writes the restarted LUNs.
/// Piped objects: a Node (Get-IscsiNode) restarts that node's LUNs; anything else with a Name (Get-IscsiLun,
/// Get-IscsiTargetStatus) restarts the LUN of that name.
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "IscsiTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = LunSet)]
[OutputType(typeof(Lun))]
public sealed class RestartIscsiTargetCommand : PureBootCmdlet
{
    const string LunSet = "Lun";
    const string NodeSet = "Node";
    const string NodeObjectSet = "NodeObject";

    /// <summary>LUNs whose export to restart. Binds from Name (Get-IscsiLun, Get-IscsiTargetStatus).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = LunSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Lun { get; set; } = Array.Empty<string>();

    /// <summary>Nodes whose LUNs' exports to restart. Binds from a Node or NodeName property of piped objects that have no Name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NodeSet, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName")]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[] Node { get; set; } = Array.Empty<string>();

    /// <summary>
    /// A piped Node (Get-IscsiNode). PowerShell binds pipeline input to the default (Lun) set first, so a node's Name
    /// would become a LUN name; binding by type comes before binding by property name, so a Node lands here instead
    /// and its LUNs are restarted. (An alias "Name" on -Node cannot do this: it would clash with -Lun's.)
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = NodeObjectSet, DontShow = true)]
    public Node? InputObject { get; set; }

    /// <summary>Writes each LUN whose export was restarted.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    readonly HashSet<string> _restarted = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        var byNode = ParameterSetName is NodeSet or NodeObjectSet;
        var names = ParameterSetName switch
        {
            NodeObjectSet => InputObject is null ? Array.Empty<string>() : new[] { InputObject.Name },
            NodeSet => Node,
            _ => Lun,
        };
        foreach (var name in names.Where(n => !string.IsNullOrEmpty(n)))
        {
            if (!byNode && _restarted.Contains(name))
            {
                WriteVerbose($"LUN '{name}': its export was already restarted by this command.");
                continue;
            }
            var target = byNode ? $"node '{name}'" : $"LUN '{name}'";
            var action = byNode
                ? "Restart the export of every LUN assigned to it (its iSCSI sessions drop; the data is untouched)"
                : "Restart its export (the node's iSCSI sessions drop; the data is untouched)";
            IReadOnlyList<LunOutcome> outcomes;
            try
            {
                // An unknown LUN or node, or a LUN in flight, fails here, under -WhatIf too.
                var failed = Engine.CheckRestartExport(name, byNode ? ExportScope.Node : ExportScope.Lun).Where(o => !o.Succeeded).ToList();
                foreach (var f in failed) WriteOutcomeError(f, PureBootErrorIds.RestartFailed);
                if (failed.Count > 0) continue;
                if (!ShouldProcess(target, action)) continue;
                outcomes = RunEngine((engine, ct) => engine.RestartExportAsync(name, byNode ? ExportScope.Node : ExportScope.Lun, ct), $"Restarting the export of {target}");
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); continue; }
            foreach (var o in outcomes)
            {
                foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
                if (!o.Succeeded) { WriteOutcomeError(o, PureBootErrorIds.RestartFailed); continue; }
                _restarted.Add(o.Name);
                if (PassThru && o.Lun is not null) WriteObject(o.Lun);
            }
        }
    }
}
