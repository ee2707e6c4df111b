using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Restore-IscsiLun: each LUN's disk becomes one of its snapshots again (the snapshot stays); its LUN numbers, ACL and
/// CHAP stay the same. Refused while its node is logged in (the disk would change under a running system) unless
/// -Force, which drops the node's session first. Binds a piped snapshot's LunName and SnapshotName.
/// </summary>
[Cmdlet(VerbsData.Restore, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Lun))]
public sealed class RestoreIscsiLunCommand : LunBatchCmdlet<LunRestoreRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun", "LunName")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("SnapshotName")]
    public string Snapshot { get; set; } = "";

    /// <summary>Drops the node's iSCSI session first when it is logged in.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Writes each restored LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override string Activity => "Restoring LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunRestoreFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Lun"] = "Name" };

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
            Submit(name, new LunRestoreRequest(name, Snapshot, Force), $"LUN '{name}'",
                $"Replace its disk with snapshot '{Snapshot}'{(Force ? ", dropping its node's session" : "")}; its current data is lost");
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, LunRestoreRequest item) => engine.CheckRestoreLuns(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunRestoreRequest> batch, CancellationToken ct) =>
        engine.RestoreLunsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (PassThru && outcome.Lun is not null) WriteObject(outcome.Lun);
    }
}
