using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>A change to a node (Set-IscsiNode). Null keeps a value; an empty host name or description clears it.</summary>
public sealed record NodeChange
{
    /// <summary>A new network card. When the node's IQN follows the MAC rule (and no IQN is given), the IQN follows the new MAC.</summary>
    public string? MacAddress { get; init; }
    public string? InitiatorIqn { get; init; }
    public string? Hostname { get; init; }
    public string? Description { get; init; }
}

/// <summary>What Set-IscsiNode did: the node as it is now, and one outcome per LUN whose ACL moved to the new IQN.</summary>
public sealed class NodeUpdateOutcome
{
    public required Node Node { get; init; }
    public string? PreviousInitiatorIqn { get; init; }
    public bool Unchanged { get; init; }
    public IReadOnlyList<LunOutcome> Luns { get; init; } = Array.Empty<LunOutcome>();
    public bool Succeeded => Luns.All(o => o.Succeeded);
}

/// <summary>
/// Set-IscsiNode: a NIC swap. The node row takes the new MAC/IQN; when the IQN changes, each target where the node has
/// an ACL gets, in one plan per backend, the node's ACL under the new IQN (the same CHAP, the same mapped LUNs) and
/// loses the old one. Rows go out marked <see cref="PendingOperation.MoveAcl"/> with the new IQN, so after a crash
/// Sync-IscsiTarget converges them: it makes the ACL the rows name and removes the old one as a leak.
/// </summary>
internal sealed class UpdateNode
{
    readonly EngineContext _ctx;
    readonly BatchRunner _runner;

    public UpdateNode(EngineContext ctx)
    {
        _ctx = ctx;
        _runner = new BatchRunner(ctx);
    }

    /// <summary>The plan: the node as it would be, and the LUNs whose ACL would move (nothing written). Throws what the run would.</summary>
    public (Node Node, Node Before, List<Lun> Moving) Check(string name, NodeChange change)
    {
        var before = _ctx.Node(name, "Name");
        var n = new Node
        {
            Id = before.Id, Name = before.Name, MacAddress = before.MacAddress, InitiatorIqn = before.InitiatorIqn,
            Hostname = before.Hostname, Description = before.Description, Created = before.Created, Updated = before.Updated,
        };
        if (change.MacAddress is not null)
        {
            n.MacAddress = InputValidator.MacAddress(change.MacAddress, "MacAddress");
            // An IQN made by the MAC rule follows the card; one given by hand stays unless a new one is given.
            if (change.InitiatorIqn is null && before.InitiatorIqn == InputValidator.InitiatorIqnFromMac(before.MacAddress))
                n.InitiatorIqn = InputValidator.InitiatorIqnFromMac(n.MacAddress);
        }
        if (change.InitiatorIqn is not null) n.InitiatorIqn = InputValidator.Iqn(change.InitiatorIqn, "InitiatorIqn");
        if (change.Hostname is not null) n.Hostname = change.Hostname.Length == 0 ? null : InputValidator.Host(change.Hostname, "Hostname");
        if (change.Description is not null) n.Description = change.Description.Length == 0 ? null : InputValidator.Description(change.Description, "Description");
        new Nodes(_ctx).CheckUnique(n, n.Id);

        var moving = new List<Lun>();
        if (n.InitiatorIqn != before.InitiatorIqn)
        {
            moving = _ctx.Inventory.ListLuns(new LunFilter { Node = n.Name }).Where(l => l.NodeId == n.Id).ToList();
            foreach (var l in moving.Where(l => l.Status != LunStatus.Active || l.PendingOperation is not null))
                throw new InventoryConflictException($"LUN '{l.Name}' of node '{n.Name}' is {l.Status}{(l.PendingOperation is null ? "" : $" ({l.PendingOperation} did not finish)")}; run Sync-IscsiTarget {l.BackendName} before changing the node's initiator IQN.");
        }
        return (n, before, moving);
    }

    public async Task<NodeUpdateOutcome> RunAsync(string name, NodeChange change, CancellationToken ct)
    {
        var (n, before, moving) = Check(name, change);
        var unchanged = n.MacAddress == before.MacAddress && n.InitiatorIqn == before.InitiatorIqn && n.Hostname == before.Hostname && n.Description == before.Description;
        if (unchanged) return new NodeUpdateOutcome { Node = before, Unchanged = true };

        var works = moving.Select(l => new LunWork { Outcome = new LunOutcome { Name = l.Name, Lun = l }, Row = l, Backend = _ctx.BackendOf(l) }).ToList();
        foreach (var w in works)
        {
            w.Chap = _ctx.Chap.Open(w.Row);   // a key problem stops the change before anything is written
            w.Row.InitiatorIqn = n.InitiatorIqn;
            w.Row.PendingOperation = PendingOperation.MoveAcl;
        }
        // The node and its rows change together, before any target does: a crash leaves rows that say where the ACL goes.
        _ctx.Inventory.Transact(t =>
        {
            t.UpdateNode(n);
            if (works.Count > 0) t.UpdateLuns(works.Select(w => w.Row).ToList());
            t.WriteAudit(EngineContext.Audit("set-node", "node", n.Name, AuditOutcome.Success, Describe(before, n)));
        });
        await _runner.RunPerBackendAsync(works, "move-node-acl", (s, b, ws) => OnHostAsync(s, ws, before.InitiatorIqn, ct), ct);
        return new NodeUpdateOutcome { Node = n, PreviousInitiatorIqn = before.InitiatorIqn, Luns = works.Select(w => w.Outcome).ToList() };
    }

    static string Describe(Node before, Node after)
    {
        var d = new List<string>();
        if (before.MacAddress != after.MacAddress) d.Add($"MAC {before.MacAddress} -> {after.MacAddress}");
        if (before.InitiatorIqn != after.InitiatorIqn) d.Add($"IQN {before.InitiatorIqn} -> {after.InitiatorIqn}");
        if (before.Hostname != after.Hostname) d.Add("host name");
        if (before.Description != after.Description) d.Add("description");
        return string.Join("; ", d);
    }

    /// <summary>One plan on one backend: per target, the ACL under the new IQN (CHAP, mapped LUNs) and the old one gone.</summary>
    async Task OnHostAsync(ITargetHostSession s, List<LunWork> ws, string oldIqn, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        var changes = new List<LioChange>();
        foreach (var group in ws.GroupBy(w => w.Row.TargetIqn!))
        {
            var target = group.Key;
            var first = group.First();
            var newIqn = first.Row.InitiatorIqn!;
            var tpg = live.FindTpg(target);
            var existing = tpg?.FindAcl(newIqn);
            if (existing is null)
            {
                changes.Add(new CreateNodeAcl(first.Key, target, newIqn));
                changes.AddRange(AclPlanner.AuthChanges(first.Key, target, newIqn, first.Chap, freshAcl: true));
            }
            else changes.AddRange(AclPlanner.AuthChanges(first.Key, target, newIqn, first.Chap, freshAcl: false));
            foreach (var w in group)
                if (existing?.FindMappedLun(w.Row.MappedLunIndex!.Value) is null)
                    changes.Add(new CreateMappedLun(w.Key, target, newIqn, w.Row.MappedLunIndex!.Value, w.Row.TpgLunIndex!.Value));
            if (tpg?.FindAcl(oldIqn) is { } old)
            {
                // The old ACL goes whole when it maps only this node's LUNs (what PureBoot made); else only our mappings.
                var ours = group.Select(w => w.Row.TpgLunIndex).ToHashSet();
                if (old.MappedLuns.All(m => ours.Contains(m.TpgLun))) changes.Add(new DeleteNodeAcl(first.Key, target, oldIqn));
                else
                    foreach (var m in old.MappedLuns.Where(m => ours.Contains(m.TpgLun)))
                        changes.Add(new DeleteMappedLun(group.First(w => w.Row.TpgLunIndex == m.TpgLun).Key, target, oldIqn, m.Index));
            }
        }
        var run = await _runner.ApplyAsync(s, changes, ct);
        foreach (var w in ws)
        {
            var problem = ExportChecks.Mapping(run.Saved, w.Row, w.Row.InitiatorIqn!, w.Row.MappedLunIndex!.Value, w.Chap)
                          ?? ExportChecks.Leak(run.Saved, w.Row, w.Row.InitiatorIqn);
            if (problem is not null) w.Fail(FailureKind.TargetRejected, BatchRunner.Explain(problem, run, w.Key) + " (run Sync-IscsiTarget to finish moving the ACL)");
            if (w.Ok) { w.Row.PendingOperation = null; w.Row.ErrorMessage = null; }
            else w.Row.SetError(w.Outcome.Error);   // the pending move stays: Sync finishes it
        }
        _runner.Commit(ws, "move-node-acl", w => w.Ok ? $"ACL {oldIqn} -> {w.Row.InitiatorIqn} on {w.Row.TargetIqn}, mapped LUN {w.Row.MappedLunIndex}, CHAP {w.Row.Chap}" : w.Outcome.Error);
    }
}
