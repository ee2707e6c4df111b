using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>Get-IscsiBackend: lists backends by name (wildcards).</summary>
[Cmdlet(VerbsCommon.Get, "IscsiBackend")]
[OutputType(typeof(Backend))]
public sealed class GetIscsiBackendCommand : PureBootCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var seen = new HashSet<long>();
            foreach (var pattern in Name is { Length: > 0 } ? Name : new[] { "*" })
            {
                var found = Engine.ListBackends(pattern);
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    WriteError(PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"No backend named '{pattern}'.", pattern));
                    continue;
                }
                foreach (var b in found) if (seen.Add(b.Id)) WriteObject(b);
            }
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}
