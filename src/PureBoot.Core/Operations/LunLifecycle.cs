using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;
using static PureBoot.Core.Lio.TargetcliCommands;

namespace PureBoot.Core.Operations;

// Remove, grow and CHAP changes: same pattern as create and assign (one session per backend, rows in flight
// first, one targetcli script, verdicts from the saved config).
public sealed partial class PureBootEngine
{
    // ================================================================ remove

    internal const string RemoveKeepingFile = "remove:keep-file";

    public async Task<IReadOnlyList<LunOutcome>> RemoveLunsAsync(IReadOnlyList<LunRemoveRequest> requests, CancellationToken ct = default)
    {
        var outcomes = new List<LunOutcome>();
        var todo = new List<(Backend B, Work W, LunRemoveRequest R)>();
        foreach (var r in requests)
        {
            var o = new LunOutcome { Name = r.Name };
            outcomes.Add(o);
            try
            {
                var lun = _inventory.GetLun(InputValidator.Name(r.Name, "Name")) ?? throw new InventoryNotFoundException($"No LUN named '{r.Name}'.");
                o.Lun = lun;
                if (todo.Any(t => t.W.Row.Id == lun.Id)) continue;
                if (lun.NodeId is not null && !r.Force)
                    throw new InventoryConflictException($"LUN '{lun.Name}' is assigned to node '{lun.NodeName}'; unassign it first or use -Force.");
                todo.Add((_inventory.GetBackendById(lun.BackendId)!, new Work { Outcome = o, Row = lun }, r));
            }
            catch (ValidationException e) { o.Fail(FailureKind.InvalidArgument, e.Message); }
            catch (InventoryNotFoundException e) { o.Fail(FailureKind.NotFound, e.Message); }
            catch (InventoryConflictException e) { o.Fail(FailureKind.Conflict, e.Message); }
        }
        foreach (var g in todo.GroupBy(t => t.B.Id))
        {
            var items = g.ToList();
            await RunOnBackendAsync(items[0].B, items.Select(i => i.W).ToList(), "remove", (s, _) => RemoveOnHostAsync(s, items[0].B, items, ct), ct);
        }
        return outcomes;
    }

    async Task RemoveOnHostAsync(ITargetHostSession s, Backend b, List<(Backend B, Work W, LunRemoveRequest R)> items, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(), ct)).Live;
        var plugin = LioChecks.Plugin(b);
        var ws = items.Select(i => i.W).ToList();
        foreach (var (_, w, r) in items) { w.Row.Status = LunStatus.Deleting; w.Row.PendingOperation = r.KeepBackingFile ? RemoveKeepingFile : "remove"; }
        CommitRows(ws, null, null);

        var lines = UnmapLines(live, ws.Select(w => (w.Row, w.Key)).ToList());
        var deletingSo = new HashSet<string>();
        foreach (var w in ws)
        {
            var lun = w.Row;
            if (lun.TargetIqn is null) continue;
            if (b.Mode == TargetMode.PerLun && live.FindTarget(lun.TargetIqn)?.Tpg1 is { } ptpg && ptpg.Luns.All(l => l.Index == lun.TpgLunIndex))
            {
                lines.Add(new(w.Key, DeleteTarget(lun.TargetIqn)));   // the LUN's own target: nothing else lives there
            }
            else if (lun.TpgLunIndex is { } idx && live.FindTarget(lun.TargetIqn)?.Tpg1?.FindLun(idx) is { } l && l.StorageObject == $"/backstores/{plugin}/{lun.StorageObjectName}")
                lines.Add(new(w.Key, DeleteLun(lun.TargetIqn, idx)));
        }
        foreach (var w in ws)
        {
            var so = w.Row.StorageObjectName is null ? null : live.FindStorageObject(plugin, w.Row.StorageObjectName);
            if (so is null) continue;
            // Never delete a backstore another LUN (ours or not) still exports.
            var users = live.Targets.SelectMany(t => t.Tpgs.SelectMany(tp => tp.Luns.Select(l => (t.Wwn, l))))
                .Where(x => x.l.StorageObject == so.Path && !(x.Wwn == w.Row.TargetIqn && x.l.Index == w.Row.TpgLunIndex)).ToList();
            if (users.Count > 0) { w.Outcome.Warnings.Add($"storage object {so.Path} is kept: {users[0].Wwn} LUN {users[0].l.Index} still uses it"); continue; }
            lines.Add(new(w.Key, DeleteStorageObject(plugin, so.Name)));
            deletingSo.Add(so.Name);
        }
        var saved = lines.Count > 0 ? (await RunTargetcliAsync(s, lines, ct)).Saved : live;

        var after = new List<HostStep>();
        foreach (var (_, w, r) in items)
        {
            var lun = w.Row;
            var left = new List<string>();
            if (lun.StorageObjectName is not null && deletingSo.Contains(lun.StorageObjectName) && saved.FindStorageObject(plugin, lun.StorageObjectName) is not null) left.Add($"storage object {plugin}/{lun.StorageObjectName}");
            if (b.Mode == TargetMode.PerLun && lun.TargetIqn is not null && saved.FindTarget(lun.TargetIqn)?.Tpg1 is { } st && st.Luns.All(l => l.Index == lun.TpgLunIndex)) left.Add($"target {lun.TargetIqn}");
            if (lun.TpgLunIndex is { } i && saved.FindTarget(lun.TargetIqn ?? "")?.Tpg1?.FindLun(i) is { } l && l.StorageObject.EndsWith("/" + lun.StorageObjectName)) left.Add($"LUN {i} of {lun.TargetIqn}");
            left.AddRange(LioChecks.OtherInitiatorsSeeing(saved, lun, null).Select(a => $"mapping for {a}"));
            if (left.Count > 0) { w.Outcome.Fail(FailureKind.TargetRejected, $"could not remove {string.Join(", ", left)}"); continue; }
            if (r.KeepBackingFile || lun.BackingPath is null || w.Outcome.Warnings.Count > 0) continue;
            // The backing data goes only once no storage object refers to it.
            if (saved.StorageObjects.Any(x => x.Dev == lun.BackingPath)) { w.Outcome.Warnings.Add($"{lun.BackingPath} is kept: another storage object uses it"); continue; }
            after.Add(b.Storage == StorageKind.FileIO ? new RemoveFile(w.Key, lun.BackingPath) : new RemoveLogicalVolume(w.Key, b.StoragePath, lun.StorageObjectName!));
        }
        foreach (var r in await s.RunStepsAsync(after, ct))
            if (!r.Ok) ws.First(w => w.Key == r.Step.ItemKey).Outcome.Fail(FailureKind.TargetRejected, r.Message);

        var gone = ws.Where(w => w.Ok).ToList();
        var kept = ws.Where(w => !w.Ok).ToList();
        foreach (var w in kept) { w.Row.Status = LunStatus.Error; w.Row.ErrorMessage = w.Outcome.Error; w.Row.Updated = DateTimeOffset.UtcNow; }
        _inventory.Transact(t =>
        {
            if (gone.Count > 0) t.DeleteLuns(gone.Select(w => w.Row.Id).ToList());
            if (kept.Count > 0) t.UpdateLuns(kept.Select(w => w.Row).ToList());
            foreach (var w in ws)
                t.WriteAudit(Audit("remove-lun", "lun", w.Row.Name, w.Ok ? AuditOutcome.Success : AuditOutcome.Failure,
                    w.Ok ? string.Join("; ", w.Outcome.Warnings.DefaultIfEmpty(items.First(i => i.W == w).R.KeepBackingFile ? $"kept {w.Row.BackingPath}" : $"deleted {w.Row.BackingPath}")) : w.Outcome.Error));
        });
        foreach (var w in gone) { w.Outcome.Removed = true; w.Outcome.Lun = w.Row; }
        foreach (var w in kept) w.Outcome.Lun = w.Row;
    }

    // ================================================================ grow

    /// <summary>
    /// Grows a LUN. Block: lvextend (LIO reads a block device's size live). FileIO: LIO fixes a file's size when
    /// the storage object is made, so the file is grown and the storage object, LUN and mapping are re-created
    /// in one targetcli run; the node's disk goes away for that moment, so grow while it is down.
    /// </summary>
    public async Task<LunOutcome> ResizeLunAsync(string name, long newSizeBytes, CancellationToken ct = default)
    {
        var o = new LunOutcome { Name = name };
        Lun lun; Backend b;
        try
        {
            var lunName = InputValidator.Name(name, "Name");
            InputValidator.SizeBytes(newSizeBytes, "SizeBytes");
            lun = _inventory.GetLun(lunName) ?? throw new InventoryNotFoundException($"No LUN named '{name}'.");
            o.Lun = lun;
            if (newSizeBytes < lun.SizeBytes) throw new ValidationException("SizeBytes", $"Parameter 'SizeGB': LUN '{lun.Name}' is {lun.SizeBytes} bytes; shrinking would destroy data and is not supported.");
            if (newSizeBytes == lun.SizeBytes) return o;
            if (lun.Status is not (LunStatus.Ready or LunStatus.Active)) throw new InventoryConflictException($"LUN '{lun.Name}' is {lun.Status}; only a Ready or Active LUN can grow.");
            b = _inventory.GetBackendById(lun.BackendId)!;
        }
        catch (ValidationException e) { o.Fail(FailureKind.InvalidArgument, e.Message); return o; }
        catch (InventoryNotFoundException e) { o.Fail(FailureKind.NotFound, e.Message); return o; }
        catch (InventoryConflictException e) { o.Fail(FailureKind.Conflict, e.Message); return o; }

        var w = new Work { Outcome = o, Row = lun };
        await RunOnBackendAsync(b, new() { w }, "resize", async (s, _) =>
        {
            var snap = await s.SnapshotAsync(new SnapshotRequest(), ct);
            var problem = LioChecks.CheckExport(snap.Live, b, lun);
            if (problem is not null) { o.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not exported as recorded ({problem}); run Sync-IscsiTarget."); return; }
            var oldSize = lun.SizeBytes;
            lun.PendingOperation = $"resize:{newSizeBytes}";
            CommitRows(new[] { w }, null, null);
            if (b.Storage == StorageKind.Block)
            {
                var r = (await s.RunStepsAsync(new HostStep[] { new ExtendLogicalVolume(w.Key, b.StoragePath, lun.StorageObjectName!, newSizeBytes) }, ct))[0];
                if (!r.Ok) o.Fail(FailureKind.TargetRejected, r.Message);
                else
                {
                    var after = await s.SnapshotAsync(new SnapshotRequest(), ct);
                    var lv = after.Storage.FirstOrDefault(e => e.Name == lun.StorageObjectName);
                    if (lv is null || lv.SizeBytes < newSizeBytes) o.Fail(FailureKind.TargetRejected, $"logical volume {b.StoragePath}/{lun.StorageObjectName} is {lv?.SizeBytes ?? 0} bytes after lvextend");
                    else lun.SizeBytes = lv.SizeBytes;
                }
            }
            else
            {
                var r = (await s.RunStepsAsync(new HostStep[] { new GrowFile(w.Key, lun.BackingPath!, newSizeBytes) }, ct))[0];
                if (!r.Ok) { o.Fail(FailureKind.TargetRejected, r.Message); }
                else
                {
                    lun.SizeBytes = newSizeBytes;
                    var lines = new List<TargetcliLine>
                    {
                        new(w.Key, DeleteStorageObject("fileio", lun.StorageObjectName!)),
                        new(w.Key, CreateFileIO(lun.StorageObjectName!, lun.BackingPath!)),
                    };
                    if (b.Mode == TargetMode.PerLun) lines.AddRange(EnsureTarget(snap.Live, b, lun.TargetIqn!).Select(t => new TargetcliLine(w.Key, t)));
                    lines.Add(new(w.Key, CreateLun(lun.TargetIqn!, $"/backstores/fileio/{lun.StorageObjectName}", lun.TpgLunIndex!.Value)));
                    // Deleting the storage object took every mapping of it with it: put each back as it was.
                    foreach (var acl in snap.Live.FindTarget(lun.TargetIqn!)!.Tpg1!.NodeAcls)
                        foreach (var m in acl.MappedLuns.Where(m => m.TpgLun == lun.TpgLunIndex))
                            lines.Add(new(w.Key, CreateMappedLun(lun.TargetIqn!, acl.NodeWwn, m.Index, m.TpgLun)));
                    var run = await RunTargetcliAsync(s, lines, ct);
                    var bad = LioChecks.CheckExport(run.Saved, b, lun);
                    if (bad is null && lun.NodeId is not null && run.Saved.FindTarget(lun.TargetIqn!)?.Tpg1?.FindAcl(lun.InitiatorIqn!)?.MappedLuns.Any(m => m.Index == lun.MappedLunIndex && m.TpgLun == lun.TpgLunIndex) != true)
                        bad = $"mapped LUN {lun.MappedLunIndex} of {lun.InitiatorIqn} was not restored";
                    if (bad is not null) o.Fail(FailureKind.TargetRejected, Explain(bad, run, w.Key) + " (the file was grown; run Sync-IscsiTarget to re-export it)");
                }
            }
            lun.PendingOperation = o.Succeeded || b.Storage == StorageKind.Block ? null : lun.PendingOperation;
            if (!o.Succeeded && b.Storage == StorageKind.FileIO && lun.SizeBytes != oldSize) lun.Status = LunStatus.Error;
            lun.ErrorMessage = o.Error;
            CommitRows(new[] { w }, "resize-lun", _ => o.Succeeded ? $"{oldSize} -> {lun.SizeBytes} bytes" : o.Error);
        }, ct);
        return o;
    }

    // ================================================================ description and CHAP

    public async Task<LunOutcome> UpdateLunAsync(string name, string? description, ChapChange? chap, CancellationToken ct = default)
    {
        var o = new LunOutcome { Name = name };
        Lun lun; Backend b; List<Lun> group;
        try
        {
            var lunName = InputValidator.Name(name, "Name");
            var newDescription = description is null ? null : InputValidator.Description(description, "Description");
            lun = _inventory.GetLun(lunName) ?? throw new InventoryNotFoundException($"No LUN named '{name}'.");
            o.Lun = lun;
            if (newDescription is not null) lun.Description = newDescription;
            b = _inventory.GetBackendById(lun.BackendId)!;
            // LUNs that share this LUN's ACL share its credential: change them together.
            group = lun.NodeId is null ? new() { lun }
                : _inventory.ListLunsOnTarget(b.Id).Where(l => l.NodeId == lun.NodeId && l.TargetIqn == lun.TargetIqn && l.Status == LunStatus.Active).ToList();
            if (!group.Any(l => l.Id == lun.Id)) group.Add(lun);
            group = group.Select(l => l.Id == lun.Id ? lun : l).ToList();
            if (chap is not null) ApplyChapChange(group, chap);
        }
        catch (ValidationException e) { o.Fail(FailureKind.InvalidArgument, e.Message); return o; }
        catch (InventoryNotFoundException e) { o.Fail(FailureKind.NotFound, e.Message); return o; }
        catch (Exception e) when (e is SecretDecryptionException or SecretKeyException) { o.Fail(FailureKind.SecretUnavailable, e.Message); return o; }

        var ws = group.Select(l => new Work { Outcome = l.Id == lun.Id ? o : new LunOutcome { Name = l.Name, Lun = l }, Row = l }).ToList();
        if (chap is null || lun.Status != LunStatus.Active)
        {
            // Not exported to a node: the target holds no credential yet; assignment will use the new one.
            CommitRows(ws, chap is null ? "set-lun" : "set-lun-chap", _ => chap is null ? "description" : $"CHAP {lun.Chap}{(chap.Rotate ? ", rotated" : "")}");
            return o;
        }
        await RunOnBackendAsync(b, ws, "set-chap", async (s, _) =>
        {
            var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
            var target = lun.TargetIqn!; var initiator = lun.InitiatorIqn!;
            var acl = live.FindTarget(target)?.Tpg1?.FindAcl(initiator);
            if (acl is null) { o.Fail(FailureKind.TargetRejected, $"ACL {initiator} does not exist on {target}; run Sync-IscsiTarget."); return; }
            var main = ws.First(x => x.Row.Id == lun.Id);
            (main.Secret, main.MutualSecret) = OpenChap(lun);
            var lines = new List<TargetcliLine>();
            if ((!lun.ChapEnabled && acl.HasChap) || (!lun.MutualChapEnabled && acl.HasMutualChap))
            {
                // Re-create the ACL: the way to drop a credential without relying on targetcli's clearing syntax.
                lines.Add(new(main.Key, DeleteAcl(target, initiator)));
                lines.Add(new(main.Key, CreateAcl(target, initiator)));
                lines.AddRange(AuthLines(target, initiator, lun, main, freshAcl: true).Select(t => new TargetcliLine(main.Key, t)));
                foreach (var m in acl.MappedLuns) lines.Add(new(main.Key, CreateMappedLun(target, initiator, m.Index, m.TpgLun)));
            }
            else lines.AddRange(AuthLines(target, initiator, lun, main, freshAcl: false).Select(t => new TargetcliLine(main.Key, t)));
            foreach (var x in ws) x.Row.PendingOperation = "set-chap";
            CommitRows(ws, null, null);
            var run = await RunTargetcliAsync(s, lines, ct);
            foreach (var x in ws)
            {
                var problem = LioChecks.CheckMapping(run.Saved, x.Row, initiator, x.Row.MappedLunIndex!.Value, main.Secret, main.MutualSecret);
                if (problem is not null) x.Outcome.Fail(FailureKind.TargetRejected, Explain(problem, run, main.Key));
                x.Row.PendingOperation = x.Ok ? null : x.Row.PendingOperation;
                x.Row.Status = x.Ok ? LunStatus.Active : LunStatus.Error;
                x.Row.ErrorMessage = x.Outcome.Error;
            }
            if (!o.Succeeded) foreach (var x in ws.Where(x => x.Ok)) { x.Outcome.Fail(o.Failure!.Value, o.Error!); x.Row.Status = LunStatus.Error; x.Row.ErrorMessage = o.Error; }
            CommitRows(ws, "set-lun-chap", x => x.Ok ? $"CHAP {x.Row.Chap}{(chap.Rotate ? ", rotated" : "")}" : x.Outcome.Error);
        }, ct);
        return o;
    }

    void ApplyChapChange(List<Lun> group, ChapChange c)
    {
        var first = group[0];
        var enable = c.Enable ?? first.ChapEnabled;
        var mutual = enable && (c.Mutual ?? first.MutualChapEnabled);
        if (c.Mutual == true && !enable) throw new ValidationException("MutualChap", "Parameter 'MutualChap': mutual CHAP needs CHAP enabled.");
        var user = enable ? InputValidator.ChapUser(c.User ?? first.ChapUser ?? first.Name, "ChapUser") : null;
        var mutualUser = mutual ? InputValidator.ChapUser(c.MutualUser ?? first.MutualChapUser ?? first.BackendName + "-target", "MutualChapUser") : null;
        if (c.Secret is not null) ChapSecrets.Validate(c.Secret, "ChapSecret");
        if (c.MutualSecret is not null) ChapSecrets.Validate(c.MutualSecret, "MutualChapSecret");
        string? secret = null, mutualSecret = null;
        if (enable)
            secret = c.Secret ?? (c.Rotate || !first.ChapEnabled || first.ChapSecretSealed is null ? ChapSecrets.Generate() : Secrets.Open(first.ChapSecretSealed, SecretContext(first.Name, false)));
        if (mutual)
            mutualSecret = c.MutualSecret ?? (c.Rotate || !first.MutualChapEnabled || first.MutualChapSecretSealed is null ? ChapSecrets.Generate() : Secrets.Open(first.MutualChapSecretSealed, SecretContext(first.Name, true)));
        if (mutual && mutualSecret == secret) throw new ValidationException("MutualChapSecret", "Parameter 'MutualChapSecret': the mutual secret must differ from the initiator's secret.");
        foreach (var l in group)
        {
            l.ChapEnabled = enable; l.ChapUser = user;
            l.ChapSecretSealed = secret is null ? null : Secrets.Seal(secret, SecretContext(l.Name, false));
            l.MutualChapEnabled = mutual; l.MutualChapUser = mutualUser;
            l.MutualChapSecretSealed = mutualSecret is null ? null : Secrets.Seal(mutualSecret, SecretContext(l.Name, true));
        }
    }
}
