using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// New-IscsiNode: records diskless machines (MAC address and initiator IQN), e.g. <c>Import-Csv nodes.csv | New-IscsiNode</c>.
/// Every piped row is checked as it arrives and the nodes are written at the end. With -IfNotExists a node that exists
/// as asked is written as it is (scripts that run twice); one that differs is an error that says what differs.
/// </summary>
[Cmdlet(VerbsCommon.New, "IscsiNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Node))]
public sealed class NewIscsiNodeCommand : CatalogBatchCmdlet<NewIscsiNodeCommand.Request, Node>
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

    /// <summary>A node of that name that exists as asked is written as it is instead of failing.</summary>
    [Parameter] public SwitchParameter IfNotExists { get; set; }

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Hostname"] = "HostName" };

    /// <summary>One piped row.</summary>
    public sealed record Request(string Name, string MacAddress, string? InitiatorIqn, string? HostName, string? Description);

    protected override void ProcessRecord() =>
        Submit(Name, new Request(Name, MacAddress, NullIfEmpty(InitiatorIqn), NullIfEmpty(HostName), NullIfEmpty(Description)),
            $"node '{Name}' ({MacAddress})", "Add to the PureBoot inventory");

    protected override CatalogCheck<Node> Check(PureBootEngine engine, Request r) =>
        engine.CheckAddNode(r.Name, r.MacAddress, r.InitiatorIqn, r.HostName, r.Description, IfNotExists);

    protected override Node Add(PureBootEngine engine, Request r) =>
        engine.AddNode(r.Name, r.MacAddress, r.InitiatorIqn, r.HostName, r.Description, IfNotExists);

    static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
