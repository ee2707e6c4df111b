using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Update-IscsiLun: moves LUNs to another version of their image (keeping each current disk as a snapshot, recorded as
/// the LUN's previous disk), or with -Rollback restores that previous disk. In batches of up to 250. Under -WhatIf it
/// reads the inventory and the live target and writes the plan as LunRolloutPlan objects; nothing changes. An unknown
/// LUN or image is an error record, with or without -WhatIf.
/// </summary>
[Cmdlet(VerbsData.Update, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ImageSet)]
[OutputType(typeof(Lun), ParameterSetName = new[] { ImageSet, RollbackSet })]
[OutputType(typeof(LunRolloutPlan), ParameterSetName = new[] { ImageSet, RollbackSet })]
public sealed class UpdateIscsiLunCommand : LunBatchCmdlet<LunRolloutRequest>
{
    const string ImageSet = "Image";
    const string RollbackSet = "Rollback";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun", "LunName")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The image (default: the one the LUN records).</summary>
    [Parameter(ParameterSetName = ImageSet)]
    public string? Image { get; set; }

    /// <summary>The version to move to (default: the latest).</summary>
    [Parameter(ParameterSetName = ImageSet)]
    public int Version { get; set; }

    /// <summary>Restores the disk the LUN had before its last move.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RollbackSet)]
    public SwitchParameter Rollback { get; set; }

    /// <summary>Drops the node's iSCSI session first when it is logged in.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Writes each updated LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    readonly List<LunRolloutRequest> _planned = new();

    protected override string Activity => Rollback ? "Rolling LUNs back" : "Moving LUNs to an image version";
    protected override string RejectedErrorId => PureBootErrorIds.LunImageUpdateFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Lun"] = "Name", ["ImageVersion"] = "Version" };

    protected override void ProcessRecord()
    {
        var action = Rollback ? "Restore the disk it had before its last rollout" : $"Move to image {Image ?? "(its own)"}{(IsBound(nameof(Version)) ? $" version {Version}" : ", latest version")}, keeping its disk as a snapshot";
        foreach (var name in Name)
            Submit(name, new LunRolloutRequest(name, string.IsNullOrEmpty(Image) ? null : Image, IsBound(nameof(Version)) ? Version : null, Rollback, Force),
                $"LUN '{name}'", action + (Force ? ", dropping its node's session" : ""));
    }

    // An unknown LUN or image, or a LUN with no previous disk, is an error at once (as it would be when run); what
    // passes is planned against the live target in EndProcessing.
    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, LunRolloutRequest item) => engine.CheckUpdateLunImages(new[] { item });

    protected override void OnPlanned(LunRolloutRequest item) => _planned.Add(item);

    protected override void EndProcessing()
    {
        if (_planned.Count > 0)
        {
            try
            {
                foreach (var p in RunEngine((engine, ct) => engine.PlanLunImagesAsync(_planned, ct), "Planning the update"))
                    WriteObject(p);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, null); }
        }
        base.EndProcessing();
    }

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunRolloutRequest> batch, CancellationToken ct) =>
        engine.UpdateLunImagesAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (outcome.Unchanged) WriteVerbose($"LUN '{outcome.Name}' is on that image version already.");
        if (PassThru && outcome.Lun is not null) WriteObject(outcome.Lun);
    }
}
