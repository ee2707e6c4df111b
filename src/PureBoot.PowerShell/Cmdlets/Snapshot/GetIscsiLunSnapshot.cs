using System.Management.Automation;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>Get-IscsiLunSnapshot: LUN snapshots from the inventory (LUN and snapshot names take wildcards). No host is contacted.</summary>
[Cmdlet(VerbsCommon.Get, "IscsiLunSnapshot")]
[OutputType(typeof(LunSnapshot))]
public sealed class GetIscsiLunSnapshotCommand : PureBootCmdlet
{
    /// <summary>The LUNs (wildcards). Binds from a piped LUN's Name.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("LunName", "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[]? Lun { get; set; }

    /// <summary>The snapshots' names (wildcards).</summary>
    [Parameter(Position = 1)]
    [Alias("SnapshotName")]
    [SupportsWildcards]
    public string? Snapshot { get; set; }

    readonly HashSet<long> _seen = new();

    protected override void ProcessRecord()
    {
        try
        {
            foreach (var pattern in Lun is { Length: > 0 } ? Lun : new[] { "*" })
                foreach (var s in Engine.ListSnapshots(pattern, string.IsNullOrEmpty(Snapshot) ? null : Snapshot))
                    if (_seen.Add(s.Id)) WriteObject(s);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Lun); }
    }
}
