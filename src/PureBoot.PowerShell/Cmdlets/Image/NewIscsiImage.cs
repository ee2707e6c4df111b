using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// New-IscsiImage: registers the next version of a golden image on a backend, immutable from then on: from a raw disk
/// image file on the host (-Path, under the backend's image directory) or captured from a LUN's current disk (-Lun:
/// prepare one node, capture, roll out with Update-IscsiLun).
/// </summary>
[Cmdlet(VerbsCommon.New, "IscsiImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(DiskImage))]
public sealed class NewIscsiImageCommand : PureBootCmdlet
{
    const string PathSet = "Path";
    const string LunSet = "Lun";

    [Parameter(Mandatory = true, Position = 0)]
    public string Name { get; set; } = "";

    /// <summary>The backend (with -Lun: defaults to the LUN's).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LunSet)]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string? Backend { get; set; }

    /// <summary>A raw disk image file on the host: relative to the backend's image directory, or absolute inside it.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = PathSet)]
    public string? Path { get; set; }

    /// <summary>A LUN whose current disk becomes the new version.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LunSet)]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string? Lun { get; set; }

    [Parameter] public string? Description { get; set; }

    protected override void ProcessRecord()
    {
        var from = Lun is null ? $"file {Path} on backend '{Backend}'" : $"LUN '{Lun}'";
        if (!ShouldProcess($"image '{Name}'", $"Register its next version from {from}")) return;
        try
        {
            var o = RunEngine((engine, ct) => engine.NewImageAsync(new ImageCreateRequest { Name = Name, Backend = Backend, Path = Path, Lun = Lun, Description = Description }, ct), $"Registering image {Name}");
            foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
            if (!o.Succeeded) WriteError(PureBootErrors.FromOutcome(o, PureBootErrorIds.ImageCreateFailed));
            else if (o.Image is not null) WriteObject(o.Image);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}
