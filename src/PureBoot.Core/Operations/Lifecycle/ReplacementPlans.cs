using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>What one LUN's disk becomes, for <see cref="DiskReplacement"/> (restore, reset, rollout, rollback).</summary>
internal sealed record Replacement
{
    /// <summary>The snapshot or image the new disk is a clone of.</summary>
    public required string Source { get; init; }
    public long SourceSize { get; init; }
    public long SourceAllocated { get; init; }
    /// <summary>The LUN's size afterwards (the clone is grown to it when the source is smaller).</summary>
    public long NewSize { get; init; }
    /// <summary>The LUN's lineage afterwards.</summary>
    public long? ImageId { get; init; }
    public string? ImageName { get; init; }
    public int? ImageVersion { get; init; }
    /// <summary>Rollout: the snapshot that keeps the current disk (taken first; recorded as the LUN's previous disk).</summary>
    public LunSnapshot? Keep { get; init; }
    /// <summary>Restore: the snapshot restored (a LUN whose previous disk it was forgets it: that is a rollback).</summary>
    public long? RestoredSnapshotId { get; init; }
    public bool Force { get; init; }
    /// <summary>The audit operation (restore-lun, reset-lun, update-lun-image, rollback-lun) and what it says on success.</summary>
    public required string Operation { get; init; }
    public required string What { get; init; }
    /// <summary>The pending operation written before anything changes (Rollout gets the Keep snapshot's id once it has one).</summary>
    public required Func<long?, PendingOperation> Pending { get; init; }
}

/// <summary>The checks and LIO plans of a disk replacement: who may be logged in, what is deleted first, and what is made again.</summary>
internal static class ReplacementPlans
{
    public static Replacement Of(LunWork w) => (Replacement)w.Request!;

    /// <summary>
    /// The LUN must be exported and mapped as recorded, seen by no one else, and no node may be logged in to it unless
    /// Force: then its ACL is made again (its session ends) and recorded in <paramref name="forced"/>.
    /// </summary>
    public static void Check(EngineContext ctx, HostSnapshot snap, Backend b, LunWork w, HashSet<(string Target, string Initiator)> forced)
    {
        var lun = w.Row; var live = snap.Live;
        if (ExportChecks.Export(live, b, lun) is { } problem) { w.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not exported as recorded ({problem}); run Sync-IscsiTarget {b.Name}."); return; }
        try { w.Chap = ctx.Chap.Open(lun); }
        catch (Exception e) when (FailureMap.TryFail(w.Outcome, e)) { return; }
        if (lun.Status == LunStatus.Active && ExportChecks.Mapping(live, lun, lun.InitiatorIqn!, lun.MappedLunIndex ?? -1, w.Chap) is { } mapping)
        { w.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not mapped as recorded ({mapping}); run Sync-IscsiTarget {b.Name}."); return; }
        var others = ExportChecks.OtherInitiatorsSeeing(live, lun, lun.Status == LunStatus.Active ? lun.InitiatorIqn : null).ToList();
        if (others.Count > 0) { w.Fail(FailureKind.Conflict, $"LUN '{lun.Name}' is also mapped for {string.Join(", ", others)}; run Sync-IscsiTarget {b.Name}."); return; }
        var sessions = snap.Sessions.Where(x => x.TargetIqn == lun.TargetIqn && x.Sees(b.StorageObjectPath(lun.StorageObjectName!))).ToList();
        if (sessions.Count == 0) return;
        var who = string.Join(", ", sessions.Select(x => $"{x.InitiatorIqn}{(x.Addresses.Count > 0 ? " from " + string.Join("/", x.Addresses) : "")}"));
        if (!Of(w).Force)
        {
            w.Fail(FailureKind.Conflict, $"LUN '{lun.Name}' is in use: {who} is logged in{(lun.NodeName is null ? "" : $" (node '{lun.NodeName}')")}. Replacing a disk under a running system corrupts it: shut the node down, or use -Force to drop its session first.");
            return;
        }
        if (sessions.Any(x => x.InitiatorIqn != lun.InitiatorIqn)) { w.Fail(FailureKind.Conflict, $"LUN '{lun.Name}' is in use by {who}, which PureBoot did not assign it to; run Sync-IscsiTarget {b.Name}."); return; }
        forced.Add((lun.TargetIqn!, lun.InitiatorIqn!));
        w.Outcome.Warnings.Add($"dropped the session of {who} on {lun.TargetIqn} (its ACL was made again{(b.Mode == TargetMode.Shared ? "; the node's other LUNs on that target reconnect too" : "")}).");
    }

    /// <summary>Plan 1: each LUN's storage object goes (taking its LUN and mapped LUNs), and each forced node's ACL (ending its session).</summary>
    public static List<LioChange> Deletes(Backend b, LioConfig live, IEnumerable<LunWork> ws, HashSet<(string Target, string Initiator)> forced)
    {
        var changes = new List<LioChange>();
        foreach (var (t, i) in forced)
            if (live.FindTpg(t)?.FindAcl(i) is not null) changes.Add(new DeleteNodeAcl(LioChange.SharedItem, t, i));
        foreach (var w in ws)
            if (live.FindStorageObject(b.StoragePlugin, w.Row.StorageObjectName!) is not null) changes.Add(new DeleteStorageObject(w.Key, b.StoragePlugin, w.Row.StorageObjectName!));
        return changes;
    }

    /// <summary>
    /// Plan 2: each storage object again over the (new) disk, its TPG LUN at the same index, the node's mapped LUN at the
    /// same index; forced ACLs are made again whole (CHAP, every mapped LUN they had). Only ACLs that exist now are
    /// mapped into: Sync-IscsiTarget re-creates a missing one.
    /// </summary>
    public static List<LioChange> Creates(Backend b, LioConfig before, LioConfig now, IEnumerable<LunWork> ws, HashSet<(string Target, string Initiator)> forced)
    {
        var changes = new List<LioChange>();
        var list = ws.ToList();
        foreach (var w in list)
        {
            var lun = w.Row;
            changes.Add(new CreateStorageObject(w.Key, b.StoragePlugin, lun.StorageObjectName!, lun.BackingPath!));
            changes.AddRange(TargetShape.Ensure(now, b, lun.TargetIqn!, w.Key));
            changes.Add(new CreateLun(w.Key, lun.TargetIqn!, lun.TpgLunIndex!.Value, b.StoragePlugin, lun.StorageObjectName!));
        }
        foreach (var w in list.Where(w => w.Row.NodeId is not null && w.Row.InitiatorIqn is not null && w.Row.MappedLunIndex is not null))
        {
            var lun = w.Row;
            if (forced.Contains((lun.TargetIqn!, lun.InitiatorIqn!)) || now.FindTpg(lun.TargetIqn!)?.FindAcl(lun.InitiatorIqn!) is null) continue;
            changes.Add(new CreateMappedLun(w.Key, lun.TargetIqn!, lun.InitiatorIqn!, lun.MappedLunIndex!.Value, lun.TpgLunIndex!.Value));
        }
        changes.AddRange(AclsAgain(before, list, forced));
        return changes;
    }

    /// <summary>
    /// FileIO's one plan, after the new files were renamed over the old: each LUN deleted by itself (targetcli forgets a
    /// LUN's tree, its mapped LUNs included, only then; its backstore delete does not, and making them again at the same
    /// indexes in the same run would fail), then its storage object, then both made again and mapped as before, and each
    /// forced node's ACL (deleted in a plan of its own first: <paramref name="now"/> is without it) made again whole.
    /// </summary>
    public static List<LioChange> Swap(Backend b, LioConfig before, LioConfig now, IReadOnlyList<LunWork> swapped, IReadOnlyList<LunWork> owners, HashSet<(string Target, string Initiator)> forced)
    {
        var none = new HashSet<(string, string)>();
        var changes = new List<LioChange>();
        foreach (var w in swapped)
            if (now.FindTpg(w.Row.TargetIqn!)?.Exports(w.Row.TpgLunIndex!.Value, b.StorageObjectPath(w.Row.StorageObjectName!)) == true)
                changes.Add(new DeleteLun(w.Key, w.Row.TargetIqn!, w.Row.TpgLunIndex!.Value));
        changes.AddRange(Deletes(b, now, swapped, none));
        changes.AddRange(Creates(b, before, now, swapped, none));
        changes.AddRange(AclsAgain(before, owners, forced));
        return changes;
    }

    /// <summary>Each forced node's ACL made again whole: CHAP (from its LUN among <paramref name="owners"/>) and every mapped LUN it had in <paramref name="before"/>.</summary>
    public static List<LioChange> AclsAgain(LioConfig before, IReadOnlyList<LunWork> owners, HashSet<(string Target, string Initiator)> forced)
    {
        var changes = new List<LioChange>();
        foreach (var (t, i) in forced)
        {
            var owner = owners.FirstOrDefault(w => w.Row.TargetIqn == t && w.Row.InitiatorIqn == i);
            var item = owner?.Key ?? LioChange.SharedItem;
            changes.Add(new CreateNodeAcl(item, t, i));
            changes.AddRange(AclPlanner.AuthChanges(item, t, i, owner?.Chap, freshAcl: true));
            foreach (var m in before.FindTpg(t)?.FindAcl(i)?.MappedLuns ?? Array.Empty<MappedLun>())
                changes.Add(new CreateMappedLun(item, t, i, m.Index, m.TpgLun, m.WriteProtect));
        }
        return changes;
    }
}
