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

    /// <summary>What <see cref="Add"/> would do, nothing written (-WhatIf, and Add's own first step); throws as Add would.</summary>
    public CatalogCheck<Node> CheckAdd(string name, string macAddress, string? initiatorIqn, string? hostname, string? description, bool ifNotExists)
    {
        var n = Validate(name, macAddress, initiatorIqn, hostname, description);
        if (_ctx.Inventory.GetNode(n.Name) is { } existing)
        {
            var d = new List<string>();
            if (existing.MacAddress != n.MacAddress) d.Add($"its MAC address is {existing.MacAddress}, not {n.MacAddress}");
            if (existing.InitiatorIqn != n.InitiatorIqn) d.Add($"its initiator IQN is {existing.InitiatorIqn}, not {n.InitiatorIqn}");
            if (hostname is not null && existing.Hostname != n.Hostname) d.Add($"its host name is {existing.Hostname ?? "none"}");
            if (description is not null && existing.Description != n.Description) d.Add("its description differs");
            if (ifNotExists && d.Count == 0) return new(existing, Unchanged: true);
            throw new InventoryConflictException(d.Count == 0
                ? $"A node named '{n.Name}' already exists as asked (use -IfNotExists to take it as it is)."
                : $"A node named '{n.Name}' already exists and differs from the request: {string.Join("; ", d)}.", ConflictKind.AlreadyExists);
        }
        CheckUnique(n, null);
        return new(n, Unchanged: false);
    }

    /// <summary>A MAC address or initiator IQN that another node has is refused (it would get this node's disks).</summary>
    internal void CheckUnique(Node n, long? self)
    {
        if (_ctx.Inventory.GetNodeByMac(n.MacAddress) is { } m && m.Id != self)
            throw new InventoryConflictException($"MAC address {n.MacAddress} already belongs to node '{m.Name}'.", ConflictKind.AlreadyExists);
        if (_ctx.Inventory.GetNodeByIqn(n.InitiatorIqn) is { } i && i.Id != self)
            throw new InventoryConflictException($"Initiator IQN {n.InitiatorIqn} already belongs to node '{i.Name}'.", ConflictKind.AlreadyExists);
    }

    /// <summary>Adds a node. With <paramref name="ifNotExists"/>, an existing identical node is returned instead of failing.</summary>
    public Node Add(string name, string macAddress, string? initiatorIqn, string? hostname, string? description, bool ifNotExists = false)
    {
        var (n, unchanged) = CheckAdd(name, macAddress, initiatorIqn, hostname, description, ifNotExists);
        if (unchanged) return n;
        _ctx.Inventory.Transact(t =>
        {
            t.AddNode(n);
            t.WriteAudit(EngineContext.Audit("add-node", "node", n.Name, AuditOutcome.Success, $"{n.MacAddress} {n.InitiatorIqn}"));
        });
        return n;
    }

    public Node Get(string name) => _ctx.Node(name, "Name");

    /// <summary>What <see cref="Remove"/> would refuse (nothing written): an unknown node, or one that still has LUNs.</summary>
    public Node CheckRemove(string name)
    {
        var n = Get(name);
        var luns = _ctx.Inventory.ListLuns(new LunFilter { Node = n.Name });
        if (luns.Count > 0)
            throw new InventoryConflictException($"Node '{n.Name}' cannot be removed: {luns.Count} LUN(s) are assigned to it ({string.Join(", ", luns.Take(5).Select(l => l.Name))}{(luns.Count > 5 ? ", ..." : "")}); unassign them first.");
        return n;
    }

    public void Remove(string name)
    {
        var n = CheckRemove(name);
        _ctx.Inventory.Transact(t =>
        {
            t.RemoveNode(n.Name);
            t.WriteAudit(EngineContext.Audit("remove-node", "node", n.Name, AuditOutcome.Success));
        });
    }
}
