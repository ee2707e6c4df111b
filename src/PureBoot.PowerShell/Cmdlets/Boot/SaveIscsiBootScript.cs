using System.Management.Automation;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Save-IscsiBootScript: writes a node's iPXE boot script to a file (mode 0600, replaced only with -Force). The file
/// holds the CHAP secret in plain text because iPXE needs it: keep it private. -Path binds from the pipeline too, so
/// <c>Get-IscsiNode | Save-IscsiBootScript -Path { "/srv/tftp/$($_.Name).ipxe" }</c> writes one file per node.
/// Writes nothing unless -PassThru (a BootScriptInfo, which never holds the secret).
/// </summary>
[Cmdlet(VerbsData.Save, "IscsiBootScript", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BootScriptInfo))]
public sealed class SaveIscsiBootScriptCommand : PureBootCmdlet
{
    /// <summary>The node. Binds from NodeName (Get-IscsiLun) or Name (Get-IscsiNode).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName", "Name")]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string Node { get; set; } = "";

    /// <summary>The file to write (created 0600). Relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public string Path { get; set; } = "";

    /// <summary>The address nodes reach the portal at. Default: the backend's PortalAddress, else its host name.</summary>
    [Parameter] public string? PortalAddress { get; set; }

    /// <summary>Default: the backend's PortalPort.</summary>
    [Parameter] public int PortalPort { get; set; }

    /// <summary>Replaces an existing file.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Writes a BootScriptInfo (without the secret) for the file written.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var portal = string.IsNullOrWhiteSpace(PortalAddress) ? null : PortalAddress;
        int? port = IsBound(nameof(PortalPort)) ? PortalPort : null;
        try
        {
            var info = BootScriptFile.Write(this, Engine, Node, ToFileSystemPath(Path), portal, port, Force);
            if (PassThru && info is not null) WriteObject(info);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Node); }
    }
}
