using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>What Sync-IscsiTarget will do on one backend, decided from the live state and the rows.</summary>
internal sealed class SyncPlan
{
    public List<SyncAction> Actions { get; } = new();
    public List<LioChange> Changes { get; } = new();
    /// <summary>Steps before the LIO plan (growing a file or volume an interrupted resize left).</summary>
    public List<HostStep> Before { get; } = new();
    /// <summary>Backing data of finished removals and rollbacks: removed only once no storage object uses it.</summary>
    public List<(Lun Row, HostStep Step)> RemovedLunData { get; } = new();
    public List<HostStep> OrphanData { get; } = new();
    /// <summary>Rows converged (updated after the run) and rows whose removal is finished (deleted after the run).</summary>
    public List<LunWork> Converged { get; } = new();
    public List<LunWork> Removals { get; } = new();
    public HashSet<LunWork> RolledBack { get; } = new();
}

/// <summary>
/// Decides, row by row, how to make the target match the inventory again after a crash, a lost connection or hand
/// edits: finish or roll back what was in flight (by its <see cref="PendingOperation"/>), re-create missing objects of
/// Ready and Active LUNs, remove mappings no row explains; then classify orphans (<see cref="Ownership"/>).
/// </summary>
internal sealed class SyncPlanner
{
    readonly EngineContext _ctx;
    readonly Backend _b;
    readonly HostSnapshot _snap;
    readonly IReadOnlyList<Lun> _rows;
    readonly SyncOptions _options;
    readonly HashSet<string> _storageNames;
    readonly SyncPlan _plan = new();

    public SyncPlanner(EngineContext ctx, Backend b, HostSnapshot snap, IReadOnlyList<Lun> rows, SyncOptions options)
    {
        (_ctx, _b, _snap, _rows, _options) = (ctx, b, snap, rows, options);
        _storageNames = snap.Storage.Select(e => e.Name).ToHashSet();
    }

    LioConfig Live => _snap.Live;
    string Plugin => _b.StoragePlugin;

    public SyncPlan Plan()
    {
        foreach (var row in _rows) PlanRow(new LunWork { Outcome = new LunOutcome { Name = row.Name, Lun = row }, Row = row, Backend = _b });
        AddEmptyAclRemovals();
        PlanOrphans();
        // Rows that keep LIO objects after this plan (finished removals and rollbacks give theirs up).
        var leaving = _plan.Removals.Concat(_plan.RolledBack).Select(w => w.Row.Id).ToHashSet();
        if (!_plan.Changes.OfType<DeleteTarget>().Any(d => d.Wwn == _b.SharedTargetIqn))
            Unmapping.RetireEmptySharedTarget(Live, _b, _rows.Where(r => !leaving.Contains(r.Id) && r.HasLioObjects), _plan.Changes);
        return _plan;
    }

    void Act(SyncActionKind k, string obj, string what, Lun? l = null) => _plan.Actions.Add(new SyncAction(k, obj, what, l?.Name));

    bool BackingDataExists(Lun l) => _storageNames.Contains(_b.Storage == StorageKind.FileIO ? Path.GetFileName(l.BackingPath ?? "") : l.StorageObjectName ?? "");

    void PlanRow(LunWork w)
    {
        var row = w.Row;
        var pending = row.PendingOperation;
        if (pending is { ReplacesDisk: true }) return;   // LifecycleRecovery's (it ran first, or reported why it could not)
        if (!row.HasLioObjects && row.Status != LunStatus.Deleting) return;   // an Error row that left nothing behind
        if (row.Status == LunStatus.Deleting || pending is PendingOperation.Remove) { FinishRemoval(w, pending as PendingOperation.Remove); return; }
        var creating = row.Status == LunStatus.Creating || pending == PendingOperation.Create;
        var exported = ExportChecks.Export(Live, _b, row) is null;
        if (creating && !(row.NodeId is not null && exported))
        {
            if (exported)
            {
                Act(SyncActionKind.Finish, row.Name, "the interrupted create had completed: mark Ready", row);
                row.Status = LunStatus.Ready; row.PendingOperation = null; row.ErrorMessage = null;
                _plan.Converged.Add(w);
            }
            else RollBackCreate(w);
            return;
        }
        // Created with an assignment in the same batch and the LUN exists: finish the assignment as any other convergence.
        Converge(w, pending);
    }

    void FinishRemoval(LunWork w, PendingOperation.Remove? remove)
    {
        var row = w.Row;
        _plan.Changes.AddRange(Unmapping.Plan(Live, new[] { (row, w.Key) }));
        if (Unmapping.Unexport(Live, _b, row, w.Key) is { } unexport) _plan.Changes.Add(unexport);
        if (row.StorageObjectName is not null && Live.FindStorageObject(Plugin, row.StorageObjectName) is { } so) _plan.Changes.Add(new DeleteStorageObject(w.Key, Plugin, so.Name));
        var keep = remove?.KeepBackingData == true;
        if (!keep && row.BackingPath is not null && BackingDataExists(row))
            _plan.RemovedLunData.Add((row, BackingData.Remove(_b, w.Key, row.BackingPath, row.StorageObjectName!)));
        Act(SyncActionKind.Finish, row.Name, "finish the interrupted removal" + (keep ? " (keeping the backing file)" : ""), row);
        _plan.Removals.Add(w);
    }

    /// <summary>The LUN was never in use by a node, so its file or volume holds no node's data: remove it all.</summary>
    void RollBackCreate(LunWork w)
    {
        var row = w.Row;
        _plan.Changes.AddRange(Unmapping.Plan(Live, new[] { (row, w.Key) }));
        row.ClearAssignment();
        if (Unmapping.Unexport(Live, _b, row, w.Key) is { } unexport) _plan.Changes.Add(unexport);
        if (Live.FindStorageObject(Plugin, row.StorageObjectName!) is { } so && so.Dev == row.BackingPath) _plan.Changes.Add(new DeleteStorageObject(w.Key, Plugin, so.Name));
        if (row.BackingPath is not null && BackingDataExists(row))
            _plan.RemovedLunData.Add((row, BackingData.Remove(_b, w.Key, row.BackingPath, row.StorageObjectName!)));
        Act(SyncActionKind.RollBack, row.Name, "roll back the interrupted create", row);
        row.SetError("creation was interrupted and rolled back by Sync-IscsiTarget; create it again");
        _plan.RolledBack.Add(w);
        _plan.Converged.Add(w);
    }

    void Fail(LunWork w, FailureKind kind, string action, string error)
    {
        Act(SyncActionKind.Fail, w.Row.Name, action, w.Row);
        w.Fail(kind, error);
        w.Row.SetError(w.Outcome.Error);
        _plan.Converged.Add(w);
    }

    /// <summary>Ready, Active, Error with objects, or an interrupted assign/unassign/resize/CHAP change/restart: converge.</summary>
    void Converge(LunWork w, PendingOperation? pending)
    {
        var row = w.Row; var key = w.Key;
        var so = Live.FindStorageObject(Plugin, row.StorageObjectName!);
        var tpg = Live.FindTpg(row.TargetIqn!);
        var tlun = tpg?.FindLun(row.TpgLunIndex!.Value);
        var oursAtIndex = tlun is not null && so is not null && tlun.StorageObject == so.Path;
        var wantMapped = row.NodeId is not null && pending != PendingOperation.Unassign;
        var repairs = new List<string>();
        if (pending is PendingOperation.Resize resize)
        {
            row.SizeBytes = resize.NewSizeBytes;
            if (_b.Storage == StorageKind.FileIO)
            {
                _plan.Before.Add(new GrowFile(key, row.BackingPath!, resize.NewSizeBytes));
                if (so is not null && so.Size != resize.NewSizeBytes) { _plan.Changes.Add(new DeleteStorageObject(key, Plugin, so.Name)); so = null; oursAtIndex = false; repairs.Add($"grow to {resize.NewSizeBytes} bytes"); }
            }
            else { _plan.Before.Add(new ExtendLogicalVolume(key, _b.StoragePath, row.StorageObjectName!, resize.NewSizeBytes)); repairs.Add($"extend to {resize.NewSizeBytes} bytes"); }
        }
        if (so is null)
        {
            if (!BackingDataExists(row))
            {
                Fail(w, FailureKind.TargetRejected, $"its backing {(_b.Storage == StorageKind.FileIO ? "file" : "volume")} {row.BackingPath} is gone: the data cannot be recreated", $"backing data {row.BackingPath} is missing");
                return;
            }
            _plan.Changes.Add(new CreateStorageObject(key, Plugin, row.StorageObjectName!, row.BackingPath!));
            repairs.Add("re-create the storage object");
        }
        foreach (var c in TargetShape.Ensure(Live, _b, row.TargetIqn!, key))
        {
            _plan.Changes.Add(c);
            repairs.Add(c is CreateTarget ? "re-create the target" : "lock down the TPG or its portal");
        }
        if (!oursAtIndex)
        {
            if (tlun is not null && so is not null) _plan.Changes.Add(new DeleteLun(key, row.TargetIqn!, tlun.Index));
            else if (tlun is not null)
            {
                Fail(w, FailureKind.Conflict, $"LUN {tlun.Index} of {row.TargetIqn} now holds {tlun.StorageObject}", $"LUN {tlun.Index} of {row.TargetIqn} is taken by {tlun.StorageObject}");
                return;
            }
            _plan.Changes.Add(new CreateLun(key, row.TargetIqn!, row.TpgLunIndex!.Value, Plugin, row.StorageObjectName!));
            repairs.Add("re-create the LUN");
        }
        // Mappings: only the assigned node's ACL may map this LUN.
        if (oursAtIndex)
            foreach (var acl in tpg!.AclsMapping(row.TpgLunIndex!.Value))
                foreach (var m in acl.MappedLuns.Where(m => m.TpgLun == row.TpgLunIndex))
                    if (!(wantMapped && acl.NodeWwn == row.InitiatorIqn && m.Index == row.MappedLunIndex))
                    {
                        _plan.Changes.Add(new DeleteMappedLun(key, row.TargetIqn!, acl.NodeWwn, m.Index));
                        Act(SyncActionKind.RemoveLeak, $"{acl.NodeWwn} mapped_lun{m.Index}", $"LUN visible to {acl.NodeWwn}, which it is not assigned to", row);
                    }
        if (wantMapped)
        {
            try { w.Chap = _ctx.Chap.Open(row); }
            catch (Exception e) when (FailureMap.TryFail(w.Outcome, e)) { _plan.Converged.Add(w); return; }
            PlanMapping(w, tpg, oursAtIndex, repairs);
            row.Status = LunStatus.Active;
        }
        else
        {
            if (pending == PendingOperation.Unassign) row.ClearAssignment();
            row.Status = LunStatus.Ready;
        }
        if (repairs.Count > 0) Act(pending is not null ? SyncActionKind.Finish : SyncActionKind.Repair, row.Name, string.Join("; ", repairs.Distinct()), row);
        else if (pending is not null) Act(SyncActionKind.Finish, row.Name, $"the interrupted {pending.Text} had completed", row);
        row.PendingOperation = null; row.ErrorMessage = null;
        _plan.Converged.Add(w);
    }

    void PlanMapping(LunWork w, Tpg? tpg, bool oursAtIndex, List<string> repairs)
    {
        var row = w.Row; var key = w.Key;
        var target = row.TargetIqn!; var initiator = row.InitiatorIqn!;
        var acl = tpg?.FindAcl(initiator);
        if (acl is null)
        {
            if (!_plan.Changes.OfType<CreateNodeAcl>().Any(c => c.Target == target && c.Initiator == initiator))
            {
                _plan.Changes.Add(new CreateNodeAcl(key, target, initiator));
                _plan.Changes.AddRange(AclPlanner.AuthChanges(key, target, initiator, w.Chap, freshAcl: true));
                repairs.Add("re-create the node's ACL with its CHAP");
            }
        }
        else if (ExportChecks.Mapping(Live, row, initiator, row.MappedLunIndex ?? -1, w.Chap) is { IsAuthentication: true })
        {
            _plan.Changes.AddRange(AclPlanner.AuthChanges(key, target, initiator, w.Chap, freshAcl: false));
            repairs.Add("re-apply the node's CHAP settings");
        }
        if (acl?.MappedLuns.Any(m => m.Index == row.MappedLunIndex && m.TpgLun == row.TpgLunIndex) != true || !oursAtIndex)
        {
            _plan.Changes.Add(new CreateMappedLun(key, target, initiator, row.MappedLunIndex ?? 0, row.TpgLunIndex!.Value));
            repairs.Add($"map it for {row.NodeName} again");
        }
    }

    /// <summary>ACLs left mapping nothing by leak removal or unassignment go too (unless the plan maps into them again).</summary>
    void AddEmptyAclRemovals()
    {
        var deletes = _plan.Changes.OfType<DeleteMappedLun>().ToList();
        foreach (var t in Live.Targets)
            foreach (var acl in t.Tpg1?.NodeAcls ?? Array.Empty<NodeAcl>())
            {
                if (acl.MappedLuns.Count == 0) continue;
                var mine = deletes.Where(d => d.Target == t.Wwn && d.Initiator == acl.NodeWwn).ToList();
                var removedAll = acl.MappedLuns.All(m => mine.Any(d => d.Index == m.Index));
                var mappedAgain = _plan.Changes.OfType<CreateMappedLun>().Any(c => c.Target == t.Wwn && c.Initiator == acl.NodeWwn);
                if (removedAll && !mappedAgain && !HasAclDelete(t.Wwn, acl.NodeWwn))
                    _plan.Changes.Add(new DeleteNodeAcl(mine[0].Item, t.Wwn, acl.NodeWwn));
            }
    }

    bool HasAclDelete(string target, string initiator) => _plan.Changes.OfType<DeleteNodeAcl>().Any(c => c.Target == target && c.Initiator == initiator);

    void PlanOrphans()
    {
        foreach (var o in Ownership.Find(_b, Live, _rows, _snap.Storage, LifecyclePaths.Owned(_ctx, _b)))
        {
            switch (o.Kind)
            {
                case OrphanKind.NodeAcl when o.Removal is DeleteNodeAcl d && HasAclDelete(d.Target, d.Initiator):
                    continue;   // already going with the leak it served
                case OrphanKind.StorageObject when o.ExportedElsewhere:
                    Act(SyncActionKind.KeepOrphan, o.Object, o.Detail + ": left alone");
                    continue;
                case OrphanKind.BackingData:
                    var hasData = o.AllocatedBytes > 0;
                    if (_options.RemoveOrphans && (!hasData || _options.DeleteOrphanData))
                    {
                        _plan.OrphanData.Add(o.DataRemoval!);
                        Act(SyncActionKind.RemoveOrphan, o.Object, $"unreferenced {(_b.Storage == StorageKind.FileIO ? "file" : "volume")} ({o.AllocatedBytes} bytes allocated)");
                    }
                    else Act(SyncActionKind.KeepOrphan, o.Object, $"unreferenced {(_b.Storage == StorageKind.FileIO ? "file" : "volume")} ({o.AllocatedBytes} bytes allocated){(hasData ? " holds data: removed only with -DeleteOrphanData" : ": removed with -RemoveOrphans")}");
                    continue;
            }
            if (_options.RemoveOrphans) { _plan.Changes.Add(o.Removal!); Act(SyncActionKind.RemoveOrphan, o.Object, o.Detail); }
            else Act(SyncActionKind.KeepOrphan, o.Object, o.Detail + ": removed with -RemoveOrphans");
        }
    }
}
