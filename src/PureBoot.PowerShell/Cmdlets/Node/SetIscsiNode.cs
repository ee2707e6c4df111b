using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Set-IscsiNode: changes a node's MAC address, initiator IQN, host name or description. A NIC swap: a new MAC (and so,
/// under the MAC rule, a new IQN) moves the node's ACL on every target where it has LUNs to the new IQN, in one plan per
/// backend, with the same CHAP credential and mapped LUNs. Writes nothing unless -PassThru.
/// </summary>
[Cmdlet(VerbsCommon.Set, "IscsiNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Node))]
public sealed class SetIscsiNodeCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The new network card's MAC. An IQN made by the MAC rule follows it (unless -InitiatorIqn is given).</summary>
    [Parameter]
    [Alias("Mac")]
    public string? MacAddress { get; set; }

    [Parameter]
    [Alias("Iqn")]
    public string? InitiatorIqn { get; set; }

    /// <summary>An empty string clears it.</summary>
    [Parameter] public string? HostName { get; set; }

    /// <summary>An empty string clears it.</summary>
    [Parameter] public string? Description { get; set; }

    /// <summary>Writes the changed node.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Hostname"] = "HostName" };

    protected override void ProcessRecord()
    {
        var change = new NodeChange { MacAddress = MacAddress, InitiatorIqn = InitiatorIqn, Hostname = HostName, Description = Description };
        foreach (var name in Name)
        {
            try
            {
                var (planned, moving) = Engine.CheckUpdateNode(name, change);   // the checks the change makes, under -WhatIf too
                var current = Engine.GetNode(name);
                if (!ShouldProcess($"node '{current.Name}'", Describe(current, planned, moving))) continue;
                var outcome = RunEngine((engine, ct) => engine.UpdateNodeAsync(name, change, ct), $"Updating node {current.Name}");
                foreach (var o in outcome.Luns)
                {
                    foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
                    if (!o.Succeeded) WriteOutcomeError(o, PureBootErrorIds.NodeUpdateFailed);
                }
                if (outcome.PreviousInitiatorIqn is not null && outcome.PreviousInitiatorIqn != outcome.Node.InitiatorIqn && outcome.Luns.Count > 0)
                    WriteVerbose($"Node '{outcome.Node.Name}' now logs in as {outcome.Node.InitiatorIqn}: write its iPXE boot script again (Save-IscsiBootScript), which sets that IQN.");
                if (PassThru) WriteObject(outcome.Node);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }

    static string Describe(Node before, Node after, IReadOnlyList<Lun> moving)
    {
        var d = new List<string>();
        if (before.MacAddress != after.MacAddress) d.Add($"MAC {before.MacAddress} -> {after.MacAddress}");
        if (before.InitiatorIqn != after.InitiatorIqn) d.Add($"initiator IQN {before.InitiatorIqn} -> {after.InitiatorIqn}");
        if (before.Hostname != after.Hostname) d.Add($"host name -> {after.Hostname ?? "none"}");
        if (before.Description != after.Description) d.Add("description");
        if (moving.Count > 0) d.Add($"move the node's ACL on the target for {string.Join(", ", moving.Select(l => l.Name))} to the new IQN (CHAP kept)");
        return d.Count == 0 ? "Save unchanged" : "Change " + string.Join("; ", d);
    }
}
