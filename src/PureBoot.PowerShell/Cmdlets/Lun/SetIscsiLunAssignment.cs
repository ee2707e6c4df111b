using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Set-IscsiLunAssignment: maps LUNs into their node's ACL (with the LUN's CHAP credential), in batches of up to 250.
/// -Node binds from a piped object's Node or NodeName. With no node given, a LUN is assigned to the node of the
/// same name, if there is one ("LUN named after its node"), so
/// <c>Get-IscsiNode web* | New-IscsiLun -SizeGB 40 -Backend san1 | Set-IscsiLunAssignment</c> gives each node its disk.
/// A LUN already assigned to that node is left as it is. Writes nothing unless -PassThru.
/// </summary>
[Cmdlet(VerbsCommon.Set, "IscsiLunAssignment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Lun))]
public sealed class SetIscsiLunAssignmentCommand : LunBatchCmdlet<LunAssignRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The node. Default: the node named like the LUN.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName")]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string? Node { get; set; }

    /// <summary>Take the node's shared ACL credential even when the LUN would lose mutual CHAP or CHAP by it.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Writes each assigned LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override string Activity => "Assigning LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunAssignFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Lun"] = "Name" };

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            var node = string.IsNullOrWhiteSpace(Node) ? null : Node;
            if (node is null)
            {
                try
                {
                    if (!string.IsNullOrEmpty(name) && Engine.FindNode(name) is not null) node = name;
                }
                catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); continue; }
                if (node is null)
                {
                    var record = PureBootErrors.Make(PureBootErrorIds.NodeRequired, ErrorCategory.InvalidArgument,
                        $"LUN '{name}': no -Node was given and no node is named '{name}'.", name,
                        "Pass -Node, or name the LUN after its node (New-IscsiLun -Name <node name>).", FailureKind.InvalidArgument);
                    record.CategoryInfo.TargetName = "Node";
                    record.CategoryInfo.TargetType = "Parameter";
                    WriteError(record);
                    continue;
                }
                WriteVerbose($"LUN '{name}': no -Node given; using the node of the same name.");
            }
            Submit(name, new LunAssignRequest(name, node, Force), $"LUN '{name}'", $"Assign to node '{node}'");
        }
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, LunAssignRequest item) => engine.CheckAssignLuns(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunAssignRequest> batch, CancellationToken ct) =>
        engine.AssignLunsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (PassThru && outcome.Lun is not null) WriteObject(outcome.Lun);
    }
}
