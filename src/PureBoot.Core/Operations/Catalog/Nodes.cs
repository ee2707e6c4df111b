using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>Nodes in the inventory (diskless machines: MAC address and initiator IQN).</summary>
internal sealed class Nodes(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>Validates a new node (nothing written).</summary>
    public static Node Validate(string name, string macAddress, string? initiatorIqn, string? hostname, string? description)
    {
        var n = new Node
        {
            Name = InputValidator.Name(name, "Name"),
            MacAddress = InputValidator.MacAddress(macAddress, "MacAddress"),
            Hostname = hostname is null ? null : InputValidator.Host(hostname, "Hostname"),
            Description = InputValidator.Description(description, "Description"),
        };
        n.InitiatorIqn = initiatorIqn is null ? InputValidator.InitiatorIqnFromMac(n.MacAddress) : InputValidator.Iqn(initiatorIqn, "InitiatorIqn");
        return n;
    }

    /// <summary>Adds a node. With <paramref name="ifNotExists"/>, an existing identical node is returned instead of failing.</summary>
    public Node Add(string name, string macAddress, string? initiatorIqn, string? hostname, string? description, bool ifNotExists = false)
    {
        var n = Validate(name, macAddress, initiatorIqn, hostname, description);
        if (_ctx.Inventory.GetNode(n.Name) is { } existing)
        {
            var d = new List<string>();
            if (existing.MacAddress != n.MacAddress) d.Add($"its MAC address is {existing.MacAddress}, not {n.MacAddress}");
            if (existing.InitiatorIqn != n.InitiatorIqn) d.Add($"its initiator IQN is {existing.InitiatorIqn}, not {n.InitiatorIqn}");
            if (hostname is not null && existing.Hostname != n.Hostname) d.Add($"its host name is {existing.Hostname ?? "none"}");
            if (description is not null && existing.Description != n.Description) d.Add("its description differs");
            if (ifNotExists && d.Count == 0) return existing;
            throw new InventoryConflictException(d.Count == 0
                ? $"A node named '{n.Name}' already exists as asked."
                : $"A node named '{n.Name}' already exists and differs from the request: {string.Join("; ", d)}.", ConflictKind.AlreadyExists);
        }
        _ctx.Inventory.Transact(t =>
        {
            t.AddNode(n);
            t.WriteAudit(EngineContext.Audit("add-node", "node", n.Name, AuditOutcome.Success, $"{n.MacAddress} {n.InitiatorIqn}"));
        });
        return n;
    }

    public Node Get(string name) => _ctx.Node(name, "Name");

    public void Remove(string name)
    {
        var n = Get(name);
        _ctx.Inventory.Transact(t =>
        {
            t.RemoveNode(n.Name);
            t.WriteAudit(EngineContext.Audit("remove-node", "node", n.Name, AuditOutcome.Success));
        });
    }
}
