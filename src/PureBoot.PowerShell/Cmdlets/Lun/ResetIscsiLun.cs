using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Reset-IscsiLun (restore-on-reboot): discards each node's writes by giving its LUN a fresh clone of the image version it
/// records; in batches of up to 250, one session per backend. Refused while a node is logged in unless -Force.
/// </summary>
[Cmdlet(VerbsCommon.Reset, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Lun))]
public sealed class ResetIscsiLunCommand : LunBatchCmdlet<LunResetRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun", "LunName")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Drops the node's iSCSI session first when it is logged in.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Writes each reset LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override string Activity => "Resetting LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunResetFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Lun"] = "Name" };

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
            Submit(name, new LunResetRequest(name, Force), $"LUN '{name}'", $"Discard its node's writes: a fresh clone of its image{(Force ? ", dropping its node's session" : "")}");
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, LunResetRequest item) => engine.CheckResetLuns(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunResetRequest> batch, CancellationToken ct) =>
        engine.ResetLunsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (PassThru && outcome.Lun is not null) WriteObject(outcome.Lun);
    }
}
