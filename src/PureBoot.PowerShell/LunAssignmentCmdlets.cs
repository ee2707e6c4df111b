using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Set-IscsiLunAssignment: maps LUNs into their node's ACL (with the LUN's CHAP credential), in batches of up to 250.
/// -Node binds from a piped object's Node or NodeName. With no node given, a LUN is assigned to the node of the
/// same name, if there is one ("LUN named after its node"), so
/// <c>Get-IscsiNode web* | New-IscsiLun -SizeGB 40 -Backend san1 | Set-IscsiLunAssignment</c> gives each node its disk.
/// </summary>
[Cmdlet(VerbsCommon.Set, "IscsiLunAssignment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Lun))]
public sealed class SetIscsiLunAssignmentCommand : LunBatchCmdlet<LunAssignRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>The node. Default: the node named like the LUN.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName")]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string? Node { get; set; }

    protected override string Activity => "Assigning LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunAssignFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames => LunParameterNames.Assign;

    protected override void ProcessRecord()
    {
        var node = string.IsNullOrWhiteSpace(Node) ? null : Node;
        if (node is null)
        {
            try
            {
                if (!string.IsNullOrEmpty(Name) && Engine.FindNode(Name) is not null) node = Name;
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); return; }
            if (node is null)
            {
                var record = PureBootErrors.Make(PureBootErrorIds.NodeRequired, ErrorCategory.InvalidArgument,
                    $"LUN '{Name}': no -Node was given and no node is named '{Name}'.", Name,
                    "Pass -Node, or name the LUN after its node (New-IscsiLun -Name <node name>).");
                record.CategoryInfo.TargetName = "Node";
                record.CategoryInfo.TargetType = "Parameter";
                WriteError(record);
                return;
            }
            WriteVerbose($"LUN '{Name}': no -Node given; using the node of the same name.");
        }
        if (!ShouldProcess($"LUN '{Name}'", $"Assign to node '{node}'")) return;
        Enqueue(Name, new LunAssignRequest(Name, node));
    }

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunAssignRequest> batch, CancellationToken ct) =>
        engine.AssignLunsAsync(batch, ct);
}

/// <summary>Remove-IscsiLunAssignment: unmaps LUNs from their node (the LUN stays exported, Ready), in batches of up to 250.</summary>
[Cmdlet(VerbsCommon.Remove, "IscsiLunAssignment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Lun))]
public sealed class RemoveIscsiLunAssignmentCommand : LunBatchCmdlet<string>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string Name { get; set; } = "";

    protected override string Activity => "Unassigning LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunUnassignFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames => LunParameterNames.Assign;

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"LUN '{Name}'", "Unassign from its node (the node loses the disk)")) return;
        Enqueue(Name, Name);
    }

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<string> batch, CancellationToken ct) =>
        engine.UnassignLunsAsync(batch, ct);
}
