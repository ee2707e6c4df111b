using System.Management.Automation;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>
/// Get-IscsiLun: lists LUNs from the inventory (no target is contacted; see Get-IscsiTargetStatus for the live view).
/// A piped node (<c>Get-IscsiNode web01 | Get-IscsiLun</c>) lists that node's LUNs, a piped backend that backend's.
/// A -Backend or -Node filter without wildcards that names nothing in the inventory is an error, not an empty result.
/// </summary>
[Cmdlet(VerbsCommon.Get, "IscsiLun", DefaultParameterSetName = NameSet)]
[OutputType(typeof(Lun))]
public sealed class GetIscsiLunCommand : PureBootCmdlet
{
    const string NameSet = "Name";
    const string NodeObjectSet = "NodeObject";
    const string BackendObjectSet = "BackendObject";

    [Parameter(Position = 0, ParameterSetName = NameSet)]
    [Parameter(Position = 0, ParameterSetName = NodeObjectSet)]
    [Parameter(Position = 0, ParameterSetName = BackendObjectSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[]? Backend { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? Node { get; set; }

    [Parameter] public LunStatus Status { get; set; }
    [Parameter] public LunPurpose Purpose { get; set; }

    /// <summary>A piped node (Get-IscsiNode): its LUNs. Bound by type, before any property binding.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = NodeObjectSet, DontShow = true)]
    public Node? NodeObject { get; set; }

    /// <summary>A piped backend (Get-IscsiBackend): its LUNs.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = BackendObjectSet, DontShow = true)]
    public Backend? BackendObject { get; set; }

    protected override void ProcessRecord()
    {
        var backends = ParameterSetName == BackendObjectSet && BackendObject is not null ? new[] { BackendObject.Name } : Backend;
        var nodes = ParameterSetName == NodeObjectSet && NodeObject is not null ? new[] { NodeObject.Name } : Node;
        try
        {
            // A filter naming a backend or node that is not there is a mistake worth an error.
            if (!Known(backends, n => Engine.FindBackend(n) is not null, "backend") | !Known(nodes, n => Engine.FindNode(n) is not null, "node")) return;
            var seen = new HashSet<long>();
            var filtered = backends is not null || nodes is not null || IsBound(nameof(Status)) || IsBound(nameof(Purpose));
            foreach (var pattern in Name is { Length: > 0 } ? Name : new[] { "*" })
            {
                var found = new List<Lun>();
                foreach (var b in backends ?? new string?[] { null })
                    foreach (var n in nodes ?? new string?[] { null })
                        found.AddRange(Engine.ListLuns(new LunFilter
                        {
                            NameLike = pattern, Backend = b, Node = n,
                            Status = IsBound(nameof(Status)) ? Status : null,
                            Purpose = IsBound(nameof(Purpose)) ? Purpose : null,
                        }));
                if (found.Count == 0 && !filtered && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    WriteError(PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"No LUN named '{pattern}'.", pattern));
                    continue;
                }
                foreach (var l in found.OrderBy(l => l.Name, StringComparer.Ordinal)) if (seen.Add(l.Id)) WriteObject(l);
            }
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }

    /// <summary>False (and an error per unknown name) when a name without wildcards matches nothing.</summary>
    bool Known(string[]? names, Func<string, bool> exists, string kind)
    {
        var ok = true;
        foreach (var n in names ?? Array.Empty<string>())
        {
            if (WildcardPattern.ContainsWildcardCharacters(n) || exists(n)) continue;
            var record = PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"No {kind} named '{n}'.", n);
            WriteError(record);
            ok = false;
        }
        return ok;
    }
}
