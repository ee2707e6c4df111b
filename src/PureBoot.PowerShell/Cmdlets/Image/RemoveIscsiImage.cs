using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Remove-IscsiImage: deletes an image version (or, without -Version, every version of the name). A version LUNs still
/// use is refused unless -DetachLuns: they keep their disks (clones do not depend on the image's file or volume) but
/// lose their lineage. <c>Get-IscsiImage deb12 | Where-Object LunCount -eq 0 | Remove-IscsiImage</c> prunes unused versions.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "IscsiImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(DiskImage))]
public sealed class RemoveIscsiImageCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public int Version { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BackendName")]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string? Backend { get; set; }

    /// <summary>Also removes a version LUNs use: they keep their disks and forget the image.</summary>
    [Parameter] public SwitchParameter DetachLuns { get; set; }

    /// <summary>Writes each removed image version as it was recorded.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name) RemoveOne(name);
    }

    void RemoveOne(string name)
    {
        var what = IsBound(nameof(Version)) ? $"image {name}:v{Version}" : $"every version of image '{name}'";
        if (!ShouldProcess(what, DetachLuns ? "Delete its data, detaching the LUNs that use it" : "Delete its data")) return;
        try
        {
            var request = new ImageRemoveRequest(name, string.IsNullOrEmpty(Backend) ? null : Backend, IsBound(nameof(Version)) ? Version : null, DetachLuns);
            var outcomes = RunEngine((engine, ct) => engine.RemoveImageAsync(request, ct), $"Removing {what}");
            foreach (var o in outcomes)
            {
                foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
                if (!o.Succeeded) WriteError(PureBootErrors.FromOutcome(o, PureBootErrorIds.ImageRemoveFailed));
                else if (PassThru && o.Image is not null) WriteObject(o.Image);
            }
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
    }
}
