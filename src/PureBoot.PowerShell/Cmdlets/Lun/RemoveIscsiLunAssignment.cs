using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Remove-IscsiLunAssignment: unmaps LUNs from their node (the LUN stays exported, Ready), in batches of up to 250.
/// A LUN that is not assigned is left as it is. Writes nothing unless -PassThru.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "IscsiLunAssignment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Lun))]
public sealed class RemoveIscsiLunAssignmentCommand : LunBatchCmdlet<string>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Writes each unassigned LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override string Activity => "Unassigning LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunUnassignFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Lun"] = "Name" };

    protected override void ProcessRecord()
    {
        foreach (var name in Name) Submit(name, name, $"LUN '{name}'", "Unassign from its node (the node loses the disk)");
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, string item) => engine.CheckUnassignLuns(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<string> batch, CancellationToken ct) =>
        engine.UnassignLunsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (PassThru && outcome.Lun is not null) WriteObject(outcome.Lun);
    }
}
