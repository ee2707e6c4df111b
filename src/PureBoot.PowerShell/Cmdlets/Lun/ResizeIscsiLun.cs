using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Validation;

namespace PureBoot.PowerShell;

/// <summary>
/// Resize-IscsiLun: grows LUNs (never shrinks). FileIO LUNs are re-exported, so the node loses the disk for a
/// moment: grow while the node is down. Writes nothing unless -PassThru.
/// </summary>
[Cmdlet(VerbsCommon.Resize, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SizeGBSet)]
[OutputType(typeof(Lun))]
public sealed class ResizeIscsiLunCommand : PureBootCmdlet
{
    const string SizeGBSet = "SizeGB";
    const string SizeBytesSet = "SizeBytes";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The new size in GiB (fractions allowed).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = SizeGBSet)]
    public double SizeGB { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SizeBytesSet)]
    public long SizeBytes { get; set; }

    /// <summary>Writes the resized LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    long _bytes;

    protected override IReadOnlyDictionary<string, string>? ParameterNames =>
        new Dictionary<string, string> { ["SizeBytes"] = ParameterSetName == SizeBytesSet ? "SizeBytes" : "SizeGB" };

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // -SizeGB is converted here (Core's conversion checks it); the size in bytes is Core's to judge per LUN.
        try { _bytes = ParameterSetName == SizeBytesSet ? SizeBytes : InputValidator.SizeFromGB(SizeGB, "SizeGB"); }
        catch (ValidationException e) { ThrowFailure(e, null); }
    }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            try
            {
                // A shrink, an unknown LUN or one in the wrong state fails here, under -WhatIf too.
                var check = Engine.CheckResizeLun(name, _bytes);
                if (!check.Succeeded) { WriteOutcomeError(check, PureBootErrorIds.LunResizeFailed); continue; }
                var from = check.Lun is null ? "" : $"from {check.Lun.SizeBytes / 1073741824.0:0.##} GB ";
                var action = check.Unchanged
                    ? $"Keep its size: it is {_bytes / 1073741824.0:0.##} GB ({_bytes} bytes) already"
                    : $"Grow {from}to {_bytes / 1073741824.0:0.##} GB ({_bytes} bytes)";
                if (!ShouldProcess($"LUN '{name}'", action)) continue;
                var o = RunEngine((engine, ct) => engine.ResizeLunAsync(name, _bytes, ct), $"Resizing LUN {name}");
                foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
                if (!o.Succeeded) WriteOutcomeError(o, PureBootErrorIds.LunResizeFailed);
                else if (PassThru && o.Lun is not null) WriteObject(o.Lun);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }
}
