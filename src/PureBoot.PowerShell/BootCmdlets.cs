using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Get-IscsiBootScript: the iPXE script that boots a node from its boot LUN. Without -Path it writes the script
/// text; with -Path it writes the file (mode 0600, replaced only with -Force) and outputs a BootScriptInfo, which
/// never holds the secret. The script itself holds the CHAP secret in plain text: iPXE needs it to log in.
/// </summary>
[Cmdlet(VerbsCommon.Get, "IscsiBootScript", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = TextSet)]
[OutputType(typeof(string), ParameterSetName = new[] { TextSet })]
[OutputType(typeof(BootScriptInfo), ParameterSetName = new[] { FileSet })]
public sealed class GetIscsiBootScriptCommand : PureBootCmdlet
{
    const string TextSet = "Text";
    const string FileSet = "File";

    /// <summary>The node. Binds from NodeName (Get-IscsiLun) or Name (Get-IscsiNode): NodeName must come first.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName", "Name")]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string Node { get; set; } = "";

    /// <summary>Writes the script to this file (created 0600) instead of the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = FileSet)]
    public string Path { get; set; } = "";

    /// <summary>The address nodes reach the portal at. Default: the backend's PortalAddress, else its host name.</summary>
    [Parameter] public string? PortalAddress { get; set; }

    /// <summary>Default: the backend's PortalPort.</summary>
    [Parameter] public int PortalPort { get; set; }

    /// <summary>Replaces an existing file.</summary>
    [Parameter(ParameterSetName = FileSet)] public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var portal = string.IsNullOrWhiteSpace(PortalAddress) ? null : PortalAddress;
        int? port = IsBound(nameof(PortalPort)) ? PortalPort : null;
        try
        {
            if (ParameterSetName != FileSet)
            {
                WriteObject(Engine.GetBootScript(Node, portal, port));
                return;
            }
            var file = ToFileSystemPath(Path);
            var replacing = Force && File.Exists(file);
            if (!ShouldProcess(file, $"{(replacing ? "Replace with" : "Write")} the iPXE boot script of node '{Node}' (it holds the CHAP secret in plain text; mode 0600)")) return;
            WriteObject(Engine.WriteBootScript(Node, file, portal, port, Force));
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Node); }
    }
}

/// <summary>
/// Restart-IscsiTarget: drops and restores the export of LUNs (or of every LUN of a node), so the node's iSCSI
/// sessions end and it logs in again to the same data. The data is never touched. Writes the restarted LUNs.
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
            if (!ShouldProcess(target, action)) continue;
            IReadOnlyList<LunOutcome> outcomes;
            try
            {
                outcomes = RunEngine((engine, ct) => engine.RestartExportAsync(name, byNode ? ExportScope.Node : ExportScope.Lun, ct), $"Restarting the export of {target}");
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); continue; }
            foreach (var o in outcomes)
            {
                foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
                if (!o.Succeeded) { WriteError(PureBootErrors.FromOutcome(o, PureBootErrorIds.RestartFailed)); continue; }
                _restarted.Add(o.Name);
                if (o.Lun is not null) WriteObject(o.Lun);
            }
        }
    }
}
