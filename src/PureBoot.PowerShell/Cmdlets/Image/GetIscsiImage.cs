using System.Management.Automation;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>Get-IscsiImage: image versions from the inventory (size, allocated bytes, and the LUNs that are clones of each). No host is contacted.</summary>
[Cmdlet(VerbsCommon.Get, "IscsiImage")]
[OutputType(typeof(DiskImage))]
public sealed class GetIscsiImageCommand : PureBootCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string? Backend { get; set; }

    /// <summary>Only this version.</summary>
    [Parameter] public int Version { get; set; }

    /// <summary>Only the latest version of each image.</summary>
    [Parameter] public SwitchParameter Latest { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var seen = new HashSet<long>();
            foreach (var pattern in Name is { Length: > 0 } ? Name : new[] { "*" })
            {
                var found = Engine.ListImages(pattern, Backend).Where(i => !IsBound(nameof(Version)) || i.Version == Version).ToList();
                if (Latest) found = found.GroupBy(i => (i.BackendId, i.Name.ToLowerInvariant())).Select(g => g.MaxBy(i => i.Version)!).ToList();
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    WriteError(PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"No image named '{pattern}'{(IsBound(nameof(Version)) ? $" with version {Version}" : "")}.", pattern));
                    continue;
                }
                foreach (var i in found) if (seen.Add(i.Id)) WriteObject(i);
            }
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}
