using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Checkpoint-IscsiLun: a named, crash-consistent snapshot of each LUN's disk (reflink of its file, or a thin snapshot
/// of its volume), taken while the node runs; in batches of up to 250, one session per backend. Writes the snapshots.
/// </summary>
[Cmdlet(VerbsData.Checkpoint, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LunSnapshot))]
public sealed class CheckpointIscsiLunCommand : LunBatchCmdlet<LunCheckpointRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun", "LunName")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The snapshot's name (default cp-yyyyMMdd-HHmmss, UTC).</summary>
    [Parameter(Position = 1)]
    [Alias("SnapshotName")]
    public string? Snapshot { get; set; }

    [Parameter] public string? Description { get; set; }

    protected override string Activity => "Checkpointing LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunCheckpointFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Lun"] = "Name" };

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
            Submit(name, new LunCheckpointRequest(name, string.IsNullOrEmpty(Snapshot) ? null : Snapshot, Description), $"LUN '{name}'",
                $"Snapshot its disk{(Snapshot is null ? "" : $" as '{Snapshot}'")}");
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, LunCheckpointRequest item) => engine.CheckCheckpointLuns(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunCheckpointRequest> batch, CancellationToken ct) =>
        engine.CheckpointLunsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (outcome.Snapshot is not null) WriteObject(outcome.Snapshot);
    }
}
