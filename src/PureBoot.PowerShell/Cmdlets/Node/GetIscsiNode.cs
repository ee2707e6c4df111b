using System.Management.Automation;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>Get-IscsiNode: lists nodes by name (wildcards).</summary>
[Cmdlet(VerbsCommon.Get, "IscsiNode")]
[OutputType(typeof(Node))]
public sealed class GetIscsiNodeCommand : PureBootCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var seen = new HashSet<long>();
            foreach (var pattern in Name is { Length: > 0 } ? Name : new[] { "*" })
            {
                var found = Engine.ListNodes(pattern);
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    WriteError(PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"No node named '{pattern}'.", pattern));
                    continue;
                }
                foreach (var n in found) if (seen.Add(n.Id)) WriteObject(n);
            }
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}
