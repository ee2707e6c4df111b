using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Remove-IscsiLunSnapshot: deletes snapshots (the LUN is untouched), in batches of up to 250.
/// <c>Get-IscsiLunSnapshot web* cp-2026* | Remove-IscsiLunSnapshot</c> removes a day's checkpoints.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "IscsiLunSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(LunSnapshot))]
public sealed class RemoveIscsiLunSnapshotCommand : LunBatchCmdlet<SnapshotRemoveRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("LunName", "Name")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string Lun { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("SnapshotName")]
    public string Snapshot { get; set; } = "";

    /// <summary>Writes each removed snapshot as it was recorded.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override string Activity => "Removing snapshots";
    protected override string RejectedErrorId => PureBootErrorIds.SnapshotRemoveFailed;

    protected override void ProcessRecord()
    {
        Submit($"{Lun}@{Snapshot}", new SnapshotRemoveRequest(Lun, Snapshot), $"snapshot '{Snapshot}' of LUN '{Lun}'", "Delete its data");
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, SnapshotRemoveRequest item) => engine.CheckRemoveSnapshots(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<SnapshotRemoveRequest> batch, CancellationToken ct) =>
        engine.RemoveSnapshotsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (PassThru && outcome.Snapshot is not null) WriteObject(outcome.Snapshot);
    }
}
