using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Remove-IscsiLun: unexports LUNs and deletes their backing files or volumes, in batches of up to 250.
/// <c>Get-IscsiLun -Status Error | Remove-IscsiLun</c> removes every failed LUN. Writes nothing unless -PassThru.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Lun))]
public sealed class RemoveIscsiLunCommand : LunBatchCmdlet<LunRemoveRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Also removes a LUN that is still assigned to a node (the node loses its disk).</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Keeps the image file or logical volume; only the LIO objects and the inventory row go.</summary>
    [Parameter] public SwitchParameter KeepBackingFile { get; set; }

    /// <summary>Writes each removed LUN as it was last recorded.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override string Activity => "Removing LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunRemoveFailed;

    protected override void ProcessRecord()
    {
        var action = KeepBackingFile ? "Unexport and forget (keep the backing file)" : "Unexport and delete the backing file";
        foreach (var name in Name)
            Submit(name, new LunRemoveRequest(name, Force, KeepBackingFile), $"LUN '{name}'", Force ? action + ", even if assigned" : action);
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, LunRemoveRequest item) => engine.CheckRemoveLuns(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunRemoveRequest> batch, CancellationToken ct) =>
        engine.RemoveLunsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (PassThru && outcome.Lun is not null) WriteObject(outcome.Lun);
    }
}
