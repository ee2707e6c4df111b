using System.Management.Automation;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>New-IscsiNode: records a diskless machine (its MAC address and initiator IQN).</summary>
[Cmdlet(VerbsCommon.New, "IscsiNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Node))]
public sealed class NewIscsiNodeCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Mac")]
    public string MacAddress { get; set; } = "";

    /// <summary>Default: iqn.2026-01.local.pureboot:node:&lt;12 hex digits of the MAC&gt;.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Iqn")]
    public string? InitiatorIqn { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? HostName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Description { get; set; }

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Hostname"] = "HostName" };

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"node '{Name}' ({MacAddress})", "Add to the PureBoot inventory")) return;
        try
        {
            WriteObject(Engine.AddNode(Name, MacAddress, NullIfEmpty(InitiatorIqn), NullIfEmpty(HostName), NullIfEmpty(Description)));
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

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

/// <summary>Remove-IscsiNode: forgets a node that has no LUN assigned.</summary>
[Cmdlet(VerbsCommon.Remove, "IscsiNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Node))]
public sealed class RemoveIscsiNodeCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Writes the removed node.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"node '{Name}'", "Remove from the PureBoot inventory")) return;
        try
        {
            var n = PassThru ? Engine.GetNode(Name) : null;
            Engine.RemoveNode(Name);
            if (n is not null) WriteObject(n);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}
