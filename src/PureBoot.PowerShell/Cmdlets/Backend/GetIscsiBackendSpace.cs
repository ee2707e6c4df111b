using System.Management.Automation;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Get-IscsiBackendSpace: reads each backend's space from its host (df for a FileIO directory; vgs and lvs for a volume
/// group and its thin pool: data and metadata fill), the clone method it will use, and its fill limit. Changes nothing.
/// </summary>
[Cmdlet(VerbsCommon.Get, "IscsiBackendSpace")]
[OutputType(typeof(BackendSpace))]
public sealed class GetIscsiBackendSpaceCommand : PureBootCmdlet
{
    /// <summary>Backends (wildcards). Default: every backend. Binds from Name (Get-IscsiBackend) or BackendName.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackendName", "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[]? Backend { get; set; }

    readonly HashSet<string> _done = new(StringComparer.OrdinalIgnoreCase);

    protected override void ProcessRecord()
    {
        var names = new List<string>();
        try
        {
            foreach (var pattern in Backend is { Length: > 0 } ? Backend : new[] { "*" })
            {
                if (!WildcardPattern.ContainsWildcardCharacters(pattern)) { names.Add(pattern); continue; }
                names.AddRange(Engine.ListBackends(pattern).Select(b => b.Name));
            }
        }
        catch (Exception e) when (IsReportable(e)) { ThrowFailure(e, Backend); }
        foreach (var name in names.Where(n => _done.Add(n)))
        {
            try
            {
                var space = RunEngine((engine, ct) => engine.GetBackendSpaceAsync(name, ct), $"Reading the space of backend {name}");
                if (space.Problem is not null) WriteWarning($"{name}: {space.Problem}");
                if (space.OverLimit) WriteWarning($"{name}: {space.FillPercent:0.##}% full, over its limit of {space.MaxFillPercent}%: provisioning is refused until space is freed.");
                WriteObject(space);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }
}
