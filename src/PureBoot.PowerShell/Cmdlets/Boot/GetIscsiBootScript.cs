using System.Management.Automation;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Get-IscsiBootScript: the iPXE script text that boots a node from its boot LUN (it holds the CHAP secret in plain
/// text: iPXE needs it to log in). Writing it to a file is Save-IscsiBootScript's job; the -Path form here is kept
/// for scripts written before it (it behaves as it did: writes the file, 0600, and outputs a BootScriptInfo).
/// </summary>
[Cmdlet(VerbsCommon.Get, "IscsiBootScript", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = TextSet)]
[OutputType(typeof(string), ParameterSetName = new[] { TextSet })]
[OutputType(typeof(BootScriptInfo), ParameterSetName = new[] { FileSet })]
public sealed class GetIscsiBootScriptCommand : PureBootCmdlet
{
    const string TextSet = "Text";
    const string FileSet = "File";

    /// <summary>The nodes. Binds from NodeName (Get-IscsiLun) or Name (Get-IscsiNode): NodeName must come first.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName", "Name")]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[] Node { get; set; } = Array.Empty<string>();

    /// <summary>Compatibility: writes the script to this file as Save-IscsiBootScript -PassThru does.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = FileSet)]
    public string Path { get; set; } = "";

    /// <summary>The address nodes reach the portal at. Default: the backend's PortalAddress, else its host name.</summary>
    [Parameter] public string? PortalAddress { get; set; }

    /// <summary>Default: the backend's PortalPort.</summary>
    [Parameter] public int PortalPort { get; set; }

    /// <summary>Replaces an existing file.</summary>
    [Parameter(ParameterSetName = FileSet)] public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var portal = string.IsNullOrWhiteSpace(PortalAddress) ? null : PortalAddress;
        int? port = IsBound(nameof(PortalPort)) ? PortalPort : null;
        if (ParameterSetName == FileSet && Node.Length != 1)
            ThrowInvalidArgument("Path", "it names one file, so give one node (Save-IscsiBootScript takes a -Path per piped node).");
        foreach (var node in Node)
        {
            try
            {
                if (ParameterSetName != FileSet) { WriteObject(Engine.GetBootScript(node, portal, port)); continue; }
                var info = BootScriptFile.Write(this, Engine, node, ToFileSystemPath(Path), portal, port, Force);
                if (info is not null) WriteObject(info);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, node); }
        }
    }
}

/// <summary>Writes one node's iPXE script to a 0600 file after the checks the write makes, under -WhatIf too.</summary>
internal static class BootScriptFile
{
    /// <summary>Null when ShouldProcess said no.</summary>
    public static BootScriptInfo? Write(PureBootCmdlet cmdlet, PureBootEngine engine, string node, string file, string? portal, int? port, bool force)
    {
        // An unknown node, one without a boot LUN, a bad portal or path, an existing file without -Force: all fail here.
        var info = engine.CheckWriteBootScript(node, file, portal, port, force);
        var replacing = force && File.Exists(file);
        if (!cmdlet.ShouldProcess(file, $"{(replacing ? "Replace with" : "Write")} the iPXE boot script of node '{info.Node}' (it holds the CHAP secret in plain text; mode 0600)"))
            return null;
        return engine.WriteBootScript(node, file, portal, port, force);
    }
}
