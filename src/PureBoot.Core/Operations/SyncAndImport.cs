using System.Security.Cryptography;
using System.Text;
using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;
using static PureBoot.Core.Lio.TargetcliCommands;

namespace PureBoot.Core.Operations;

public sealed record SyncOptions
{
    /// <summary>Remove LIO objects in PureBoot's namespace that no inventory row owns (otherwise only reported).</summary>
    public bool RemoveOrphans { get; init; }
    /// <summary>Also delete orphaned files or logical volumes that hold data (allocated blocks).</summary>
    public bool DeleteOrphanData { get; init; }
    /// <summary>Compute and return the plan; change nothing (-WhatIf).</summary>
    public bool PlanOnly { get; init; }
}

public enum SyncActionKind { Finish, RollBack, Repair, RemoveLeak, RemoveOrphan, KeepOrphan, Fail }

public sealed record SyncAction(SyncActionKind Kind, string Object, string Description, string? Lun = null);

public sealed class SyncReport
{
    public required string Backend { get; init; }
    public List<SyncAction> Actions { get; } = new();
    public bool Applied { get; set; }
    public List<LunOutcome> Outcomes { get; } = new();
    /// <summary>Drift still there after the run (status read back), empty when inventory and target agree.</summary>
    public IReadOnlyList<DriftItem> RemainingDrift { get; set; } = Array.Empty<DriftItem>();
    public override string ToString() => $"{Backend}: {Actions.Count} actions, {(Applied ? "applied" : "planned")}, {RemainingDrift.Count} drift left";
}

public sealed class ImportReport
{
    public required string Backend { get; init; }
    public List<Lun> Luns { get; } = new();
    public List<Node> Nodes { get; } = new();
    public List<string> Warnings { get; } = new();
}

// Convergence: after a crash, a lost connection or hand edits, make the target match the inventory again.
public sealed partial class PureBootEngine
{
    public async Task<SyncReport> SyncTargetAsync(string backendName, SyncOptions options, CancellationToken ct = default)
    {
        var b = GetBackendForParam(backendName);
        var report = new SyncReport { Backend = b.Name };
        await using var s = await _connector.OpenAsync(b, ct);
        var snap = await s.SnapshotAsync(new SnapshotRequest(), ct);
        var live = snap.Live;
        var plugin = LioChecks.Plugin(b);
        var rows = _inventory.ListLunsOnTarget(b.Id);
        var lines = new List<TargetcliLine>();
        var before = new List<HostStep>();
        var removeData = new List<(Lun Row, HostStep Step)>();       // run only once the storage object is confirmed gone
        var orphanData = new List<HostStep>();
        var work = new List<Work>();
        var rowsToDelete = new List<Work>();
        var storageNames = snap.Storage.Select(e => e.Name).ToHashSet();
        string EntryName(Lun l) => b.Storage == StorageKind.FileIO ? Path.GetFileName(l.BackingPath ?? "") : l.StorageObjectName ?? "";
        void Act(SyncActionKind k, string obj, string what, Lun? l = null) => report.Actions.Add(new SyncAction(k, obj, what, l?.Name));

        // Every LUN object a row owns, so leaks and orphans can be told apart.
        bool Owned(string target, int index) => rows.Any(r => r.TargetIqn == target && r.TpgLunIndex == index && r.StorageObjectName is not null);

        foreach (var row in rows)
        {
            var w = new Work { Outcome = new LunOutcome { Name = row.Name, Lun = row }, Row = row };
            var key = row.Name;
            var pending = row.PendingOperation ?? "";
            var hasObjects = row.StorageObjectName is not null && row.TargetIqn is not null && row.TpgLunIndex is not null;
            if (!hasObjects && row.Status != LunStatus.Deleting) continue;   // an Error row that left nothing behind

            var so = row.StorageObjectName is null ? null : live.FindStorageObject(plugin, row.StorageObjectName);
            var tpg = row.TargetIqn is null ? null : live.FindTarget(row.TargetIqn)?.Tpg1;
            var tlun = row.TpgLunIndex is { } ix ? tpg?.FindLun(ix) : null;
            var oursAtIndex = tlun is not null && so is not null && tlun.StorageObject == so.Path;

            if (row.Status == LunStatus.Deleting || pending.StartsWith("remove"))
            {
                // Finish the removal the user asked for.
                lines.AddRange(UnmapLines(live, new() { (row, key) }));
                if (oursAtIndex)
                    lines.Add(new(key, b.Mode == TargetMode.PerLun && tpg!.Luns.Count == 1 ? DeleteTarget(row.TargetIqn!) : DeleteLun(row.TargetIqn!, row.TpgLunIndex!.Value)));
                if (so is not null) lines.Add(new(key, DeleteStorageObject(plugin, so.Name)));
                if (pending != RemoveKeepingFile && row.BackingPath is not null && storageNames.Contains(EntryName(row)))
                    removeData.Add((row, b.Storage == StorageKind.FileIO ? new RemoveFile(key, row.BackingPath) : new RemoveLogicalVolume(key, b.StoragePath, row.StorageObjectName!)));
                Act(SyncActionKind.Finish, row.Name, "finish the interrupted removal" + (pending == RemoveKeepingFile ? " (keeping the backing file)" : ""), row);
                rowsToDelete.Add(w);
                continue;
            }

            if ((row.Status == LunStatus.Creating || pending == "create") && row.NodeId is not null && LioChecks.CheckExport(live, b, row) is null)
            {
                // Created with an assignment in the same batch, and the LUN exists: finish the assignment below.
                pending = "create";
            }
            else if (row.Status == LunStatus.Creating || pending == "create")
            {
                if (LioChecks.CheckExport(live, b, row) is null)
                {
                    Act(SyncActionKind.Finish, row.Name, "the interrupted create had completed: mark Ready", row);
                    row.Status = LunStatus.Ready; row.PendingOperation = null; row.ErrorMessage = null;
                    work.Add(w);
                    continue;
                }
                // Roll back: the LUN was never in use by a node, so its file or volume holds no node's data.
                lines.AddRange(UnmapLines(live, new() { (row, key) }));
                row.NodeId = null; row.NodeName = null; row.InitiatorIqn = null; row.MappedLunIndex = null;
                if (oursAtIndex) lines.Add(new(key, b.Mode == TargetMode.PerLun && tpg!.Luns.Count == 1 ? DeleteTarget(row.TargetIqn!) : DeleteLun(row.TargetIqn!, row.TpgLunIndex!.Value)));
                else if (b.Mode == TargetMode.PerLun && tpg is not null && tpg.Luns.Count == 0) lines.Add(new(key, DeleteTarget(row.TargetIqn!)));
                if (so is not null && so.Dev == row.BackingPath) lines.Add(new(key, DeleteStorageObject(plugin, so.Name)));
                if (row.BackingPath is not null && storageNames.Contains(EntryName(row)))
                    removeData.Add((row, b.Storage == StorageKind.FileIO ? new RemoveFile(key, row.BackingPath) : new RemoveLogicalVolume(key, b.StoragePath, row.StorageObjectName!)));
                Act(SyncActionKind.RollBack, row.Name, "roll back the interrupted create", row);
                row.Status = LunStatus.Error;
                row.ErrorMessage = "creation was interrupted and rolled back by Sync-IscsiTarget; create it again";
                row.PendingOperation = "rollback";
                work.Add(w);
                continue;
            }

            // Ready, Active, Error with objects, or an interrupted assign/unassign/resize/CHAP change: converge.
            var wantMapped = row.NodeId is not null && pending != "unassign";
            var repairs = new List<string>();
            if (pending.StartsWith("resize:") && long.TryParse(pending["resize:".Length..], out var newSize))
            {
                if (b.Storage == StorageKind.FileIO)
                {
                    before.Add(new GrowFile(key, row.BackingPath!, newSize));
                    row.SizeBytes = newSize;
                    if (so is not null && so.Size != newSize) { lines.Add(new(key, DeleteStorageObject(plugin, so.Name))); so = null; oursAtIndex = false; repairs.Add($"grow to {newSize} bytes"); }
                }
                else { before.Add(new ExtendLogicalVolume(key, b.StoragePath, row.StorageObjectName!, newSize)); row.SizeBytes = newSize; repairs.Add($"extend to {newSize} bytes"); }
            }
            if (so is null)
            {
                if (!storageNames.Contains(EntryName(row)))
                {
                    Act(SyncActionKind.Fail, row.Name, $"its backing {(b.Storage == StorageKind.FileIO ? "file" : "volume")} {row.BackingPath} is gone: the data cannot be recreated", row);
                    w.Outcome.Fail(FailureKind.TargetRejected, $"backing data {row.BackingPath} is missing");
                    row.Status = LunStatus.Error; row.ErrorMessage = w.Outcome.Error; work.Add(w);
                    continue;
                }
                lines.Add(new(key, b.Storage == StorageKind.FileIO ? CreateFileIO(row.StorageObjectName!, row.BackingPath!) : CreateBlock(row.StorageObjectName!, row.BackingPath!)));
                repairs.Add("re-create the storage object");
            }
            foreach (var l in EnsureTarget(live, b, row.TargetIqn!)) { lines.Add(new(key, l)); repairs.Add(l.StartsWith("/iscsi create") ? "re-create the target" : "lock down the TPG or its portal"); }
            if (!oursAtIndex)
            {
                if (tlun is not null && so is not null) lines.Add(new(key, DeleteLun(row.TargetIqn!, tlun.Index)));
                else if (tlun is not null)
                {
                    Act(SyncActionKind.Fail, row.Name, $"LUN {tlun.Index} of {row.TargetIqn} now holds {tlun.StorageObject}", row);
                    w.Outcome.Fail(FailureKind.Conflict, $"LUN {tlun.Index} of {row.TargetIqn} is taken by {tlun.StorageObject}");
                    row.Status = LunStatus.Error; row.ErrorMessage = w.Outcome.Error; work.Add(w);
                    continue;
                }
                lines.Add(new(key, CreateLun(row.TargetIqn!, $"/backstores/{plugin}/{row.StorageObjectName}", row.TpgLunIndex!.Value)));
                repairs.Add("re-create the LUN");
            }
            // Mappings: only the assigned node's ACL may map this LUN.
            foreach (var acl in tpg?.NodeAcls ?? Array.Empty<NodeAcl>())
                foreach (var m in acl.MappedLuns.Where(m => m.TpgLun == row.TpgLunIndex && oursAtIndex))
                    if (!(wantMapped && acl.NodeWwn == row.InitiatorIqn && m.Index == row.MappedLunIndex))
                    {
                        lines.Add(new(key, DeleteMappedLun(row.TargetIqn!, acl.NodeWwn, m.Index)));
                        Act(SyncActionKind.RemoveLeak, $"{acl.NodeWwn} mapped_lun{m.Index}", $"LUN visible to {acl.NodeWwn}, which it is not assigned to", row);
                    }
            if (wantMapped)
            {
                try
                {
                    (w.Secret, w.MutualSecret) = OpenChap(row);
                }
                catch (Exception e) when (e is SecretDecryptionException or SecretKeyException) { w.Outcome.Fail(FailureKind.SecretUnavailable, e.Message); work.Add(w); continue; }
                var acl = tpg?.FindAcl(row.InitiatorIqn!);
                if (acl is null)
                {
                    if (!lines.Any(l => l.Text == CreateAcl(row.TargetIqn!, row.InitiatorIqn!)))
                    {
                        lines.Add(new(key, CreateAcl(row.TargetIqn!, row.InitiatorIqn!)));
                        lines.AddRange(AuthLines(row.TargetIqn!, row.InitiatorIqn!, row, w, freshAcl: true).Select(t => new TargetcliLine(key, t)));
                        repairs.Add("re-create the node's ACL with its CHAP");
                    }
                }
                else
                {
                    var problem = LioChecks.CheckMapping(live, row, row.InitiatorIqn!, row.MappedLunIndex ?? -1, w.Secret, w.MutualSecret);
                    if (problem is not null && (problem.Contains("CHAP") || problem.Contains("authentication")))
                    {
                        lines.AddRange(AuthLines(row.TargetIqn!, row.InitiatorIqn!, row, w, freshAcl: false).Select(t => new TargetcliLine(key, t)));
                        repairs.Add("re-apply the node's CHAP settings");
                    }
                }
                if (acl?.MappedLuns.Any(m => m.Index == row.MappedLunIndex && m.TpgLun == row.TpgLunIndex) != true || !oursAtIndex)
                {
                    lines.Add(new(key, CreateMappedLun(row.TargetIqn!, row.InitiatorIqn!, row.MappedLunIndex ?? 0, row.TpgLunIndex!.Value)));
                    repairs.Add($"map it for {row.NodeName} again");
                }
                row.Status = LunStatus.Active;
            }
            else
            {
                if (pending == "unassign") { row.NodeId = null; row.NodeName = null; row.InitiatorIqn = null; row.MappedLunIndex = null; }
                row.Status = LunStatus.Ready;
            }
            if (repairs.Count > 0) Act(pending.Length > 0 ? SyncActionKind.Finish : SyncActionKind.Repair, row.Name, string.Join("; ", repairs.Distinct()), row);
            else if (pending.Length > 0) Act(SyncActionKind.Finish, row.Name, $"the interrupted {pending} had completed", row);
            row.PendingOperation = null; row.ErrorMessage = null;
            work.Add(w);
        }
        // ACLs left empty by leak removal or unassignment go too.
        AddEmptyAclRemovals(live, lines);

        // Orphans in PureBoot's namespace.
        var ownedSo = rows.Where(r => r.StorageObjectName is not null).Select(r => r.StorageObjectName!).ToHashSet();
        var prefix = b.Storage == StorageKind.FileIO ? b.StoragePath.TrimEnd('/') + "/" : $"/dev/{b.StoragePath}/";
        var ourTargets = live.Targets.Where(t => t.Wwn == b.SharedTargetIqn || t.Wwn.StartsWith(b.IqnPrefix + ":" + b.Name + ".")).ToList();
        foreach (var t in ourTargets)
        {
            var tp = t.Tpg1; if (tp is null) continue;
            var ownedHere = rows.Any(r => r.TargetIqn == t.Wwn);
            if (t.Wwn != b.SharedTargetIqn && !ownedHere) { Orphan(t.Wwn, "target with no inventory row", DeleteTarget(t.Wwn)); continue; }
            foreach (var l in tp.Luns.Where(l => !Owned(t.Wwn, l.Index)))
                Orphan($"{t.Wwn} lun{l.Index}", $"LUN {l.Index} ({l.StorageObject}) with no inventory row", DeleteLun(t.Wwn, l.Index));
            foreach (var a in tp.NodeAcls.Where(a => !rows.Any(r => r.TargetIqn == t.Wwn && r.InitiatorIqn == a.NodeWwn && r.NodeId is not null)))
                if (!lines.Any(x => x.Text == DeleteAcl(t.Wwn, a.NodeWwn)))
                    Orphan($"{t.Wwn} acl {a.NodeWwn}", $"ACL for {a.NodeWwn} serving no assigned LUN", DeleteAcl(t.Wwn, a.NodeWwn));
        }
        foreach (var so in live.StorageObjects.Where(x => x.Plugin == plugin && x.Dev is not null && x.Dev.StartsWith(prefix) && !ownedSo.Contains(x.Name)))
        {
            var usedElsewhere = live.Targets.Where(t => !ourTargets.Contains(t)).SelectMany(t => t.Tpgs).SelectMany(tp => tp.Luns).Any(l => l.StorageObject == so.Path);
            if (usedElsewhere) { Act(SyncActionKind.KeepOrphan, so.Path, "storage object with no inventory row, exported by a target PureBoot does not manage: left alone"); continue; }
            Orphan(so.Path, $"storage object for {so.Dev} with no inventory row", DeleteStorageObject(plugin, so.Name));
        }
        var referenced = rows.SelectMany(r => new[] { r.BackingPath, r.SourceImage }).Where(p => p is not null).ToHashSet();
        foreach (var e in snap.Storage)
        {
            var path = prefix + e.Name;
            if (referenced.Contains(path) || live.StorageObjects.Any(x => x.Dev == path)) continue;
            var step = b.Storage == StorageKind.FileIO ? (HostStep)new RemoveFile("*orphan", path) : new RemoveLogicalVolume("*orphan", b.StoragePath, e.Name);
            var hasData = e.AllocatedBytes > 0;
            if (options.RemoveOrphans && (!hasData || options.DeleteOrphanData))
            {
                orphanData.Add(step);
                Act(SyncActionKind.RemoveOrphan, path, $"unreferenced {(b.Storage == StorageKind.FileIO ? "file" : "volume")} ({e.AllocatedBytes} bytes allocated)");
            }
            else Act(SyncActionKind.KeepOrphan, path, $"unreferenced {(b.Storage == StorageKind.FileIO ? "file" : "volume")} ({e.AllocatedBytes} bytes allocated){(hasData ? " holds data: removed only with -DeleteOrphanData" : ": removed with -RemoveOrphans")}");
        }

        void Orphan(string obj, string what, string line)
        {
            if (options.RemoveOrphans) { lines.Add(new("*orphan", line)); Act(SyncActionKind.RemoveOrphan, obj, what); }
            else Act(SyncActionKind.KeepOrphan, obj, what + ": removed with -RemoveOrphans");
        }

        if (options.PlanOnly)
        {
            report.RemainingDrift = BuildStatus(b, snap, TimeSpan.Zero, 0, 0).Drift;
            return report;
        }

        // Apply: steps, one targetcli run, data removal once confirmed safe, then the rows.
        foreach (var r in await s.RunStepsAsync(before, ct))
            if (!r.Ok) work.First(x => x.Key == r.Step.ItemKey).Outcome.Fail(FailureKind.TargetRejected, r.Message);
        var saved = lines.Count > 0 ? (await RunTargetcliAsync(s, lines, ct)).Saved : live;
        var safeRemovals = removeData.Where(x => !saved.StorageObjects.Any(so => so.Dev == x.Row.BackingPath)).Select(x => x.Step).ToList();
        safeRemovals.AddRange(orphanData.Where(st => !saved.StorageObjects.Any(so => so.Dev == PathOf(st))));
        var removed = await s.RunStepsAsync(safeRemovals, ct);
        foreach (var w in work.Where(w => w.Ok))
        {
            if (w.Row.Status == LunStatus.Error) { w.Row.PendingOperation = w.Row.PendingOperation == "rollback" ? null : w.Row.PendingOperation; w.Row.StorageObjectName = null; w.Row.TargetIqn = null; w.Row.TpgLunIndex = null; w.Row.BackingPath = null; continue; }
            var problem = LioChecks.CheckExport(saved, b, w.Row);
            if (problem is null && w.Row.Status == LunStatus.Active)
                problem = LioChecks.CheckMapping(saved, w.Row, w.Row.InitiatorIqn!, w.Row.MappedLunIndex ?? -1, w.Secret, w.MutualSecret);
            problem ??= LioChecks.OtherInitiatorsSeeing(saved, w.Row, w.Row.Status == LunStatus.Active ? w.Row.InitiatorIqn : null).Select(i => $"still visible to {i}").FirstOrDefault();
            if (problem is not null) { w.Outcome.Fail(FailureKind.TargetRejected, problem); w.Row.Status = LunStatus.Error; w.Row.ErrorMessage = problem; }
        }
        foreach (var w in rowsToDelete)
        {
            var left = w.Row.StorageObjectName is not null && saved.FindStorageObject(plugin, w.Row.StorageObjectName) is not null;
            var fileLeft = removed.Any(r => !r.Ok && r.Step.ItemKey == w.Key);
            if (left || fileLeft) { w.Outcome.Fail(FailureKind.TargetRejected, "the removal could not be finished"); w.Row.Status = LunStatus.Error; w.Row.ErrorMessage = w.Outcome.Error; }
        }
        _inventory.Transact(t =>
        {
            var gone = rowsToDelete.Where(w => w.Ok).ToList();
            if (gone.Count > 0) t.DeleteLuns(gone.Select(w => w.Row.Id).ToList());
            var upd = work.Concat(rowsToDelete.Where(w => !w.Ok)).Select(w => { w.Row.Updated = DateTimeOffset.UtcNow; return w.Row; }).ToList();
            if (upd.Count > 0) t.UpdateLuns(upd);
            foreach (var a in report.Actions.Where(a => a.Kind is not SyncActionKind.KeepOrphan))
                t.WriteAudit(Audit("sync-target", a.Lun is null ? "lio-object" : "lun", a.Lun ?? a.Object, a.Kind == SyncActionKind.Fail ? AuditOutcome.Failure : AuditOutcome.Success, $"{a.Kind}: {a.Description}"));
            if (report.Actions.Count == 0) t.WriteAudit(Audit("sync-target", "backend", b.Name, AuditOutcome.Success, "in sync: nothing to do"));
        });
        foreach (var w in rowsToDelete.Where(w => w.Ok)) w.Outcome.Removed = true;
        report.Outcomes.AddRange(work.Concat(rowsToDelete).Select(w => w.Outcome));
        report.Applied = true;
        var after = await s.SnapshotAsync(new SnapshotRequest(), ct);
        report.RemainingDrift = BuildStatus(b, after, TimeSpan.Zero, 0, 0).Drift;
        return report;
    }

    /// <summary>Adds "acls delete" for every ACL whose mapped LUNs the lines remove completely.</summary>
    static void AddEmptyAclRemovals(LioConfig live, List<TargetcliLine> lines)
    {
        foreach (var t in live.Targets)
            foreach (var acl in t.Tpg1?.NodeAcls ?? Array.Empty<NodeAcl>())
            {
                if (acl.MappedLuns.Count == 0) continue;
                var removedAll = acl.MappedLuns.All(m => lines.Any(l => l.Text == DeleteMappedLun(t.Wwn, acl.NodeWwn, m.Index)));
                var recreated = lines.Any(l => l.Text.StartsWith($"{Tpg(t.Wwn)}/acls/{acl.NodeWwn} create "));
                if (removedAll && !recreated && !lines.Any(l => l.Text == DeleteAcl(t.Wwn, acl.NodeWwn)))
                    lines.Add(new(lines.First(l => l.Text.StartsWith($"{Tpg(t.Wwn)}/acls/{acl.NodeWwn} delete")).ItemKey, DeleteAcl(t.Wwn, acl.NodeWwn)));
            }
    }

    // ================================================================ import

    /// <summary>
    /// Adopts a host's existing LUNs and ACLs into the inventory: a target set up by hand, or an inventory rebuilt
    /// after the admin host's disk died. Targets are filtered by <paramref name="targetLike"/> (wildcards).
    /// </summary>
    public async Task<ImportReport> ImportTargetConfigAsync(string backendName, string? targetLike = null, CancellationToken ct = default)
    {
        var b = GetBackendForParam(backendName);
        var report = new ImportReport { Backend = b.Name };
        await using var s = await _connector.OpenAsync(b, ct);
        var snap = await s.SnapshotAsync(new SnapshotRequest(), ct);
        var live = snap.Live;
        var known = _inventory.ListLuns();
        var nodes = _inventory.ListNodes().ToList();
        var newLuns = new List<Lun>();
        var newNodes = new List<Node>();
        var usedNames = known.Select(l => l.Name).ToHashSet();
        var rx = targetLike is null ? null : new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(targetLike).Replace("\\*", ".*").Replace("\\?", ".") + "$");
        foreach (var t in live.Targets.Where(t => rx is null || rx.IsMatch(t.Wwn)))
        {
            var tpg = t.Tpg1; if (tpg is null) continue;
            foreach (var l in tpg.Luns)
            {
                if (known.Any(k => k.TargetIqn == t.Wwn && k.TpgLunIndex == l.Index)) continue;
                var so = live.FindStorageObjectByPath(l.StorageObject);
                if (so is null || so.Plugin is not ("fileio" or "block")) { report.Warnings.Add($"{t.Wwn} LUN {l.Index}: {l.StorageObject} is not a fileio or block storage object; skipped"); continue; }
                if (so.Plugin != LioChecks.Plugin(b)) { report.Warnings.Add($"{t.Wwn} LUN {l.Index}: {so.Path} is {so.Plugin} but backend '{b.Name}' is {b.Storage}; skipped"); continue; }
                var name = UniqueName(Sanitise(so.Name), usedNames);
                usedNames.Add(name);
                long size = so.Size ?? snap.Storage.FirstOrDefault(e => so.Dev == $"/dev/{b.StoragePath}/{e.Name}")?.SizeBytes ?? 0;
                if (size == 0) report.Warnings.Add($"LUN '{name}': size of {so.Dev} unknown; recorded as 0");
                var now = DateTimeOffset.UtcNow;
                var lun = new Lun
                {
                    Name = name, SizeBytes = size, BackendId = b.Id, BackendName = b.Name, Status = LunStatus.Ready, Purpose = LunPurpose.BootFromSan,
                    StorageObjectName = so.Name, BackingPath = so.Dev, TargetIqn = t.Wwn, TpgLunIndex = l.Index,
                    Description = $"imported from {t.Wwn} LUN {l.Index}", Created = now, Updated = now,
                };
                var acls = tpg.NodeAcls.Where(a => a.MappedLuns.Any(m => m.TpgLun == l.Index)).ToList();
                if (acls.Count > 1) report.Warnings.Add($"LUN '{name}' is visible to {acls.Count} initiators; imported as assigned to {acls[0].NodeWwn}; Sync-IscsiTarget will remove the others");
                if (acls.Count > 0)
                {
                    var acl = acls[0];
                    var node = nodes.FirstOrDefault(n => n.InitiatorIqn == acl.NodeWwn) ?? newNodes.FirstOrDefault(n => n.InitiatorIqn == acl.NodeWwn);
                    if (node is null)
                    {
                        node = NodeFromIqn(acl.NodeWwn, nodes.Concat(newNodes).ToList(), report);
                        if (node is null) { newLuns.Add(lun); continue; }
                        newNodes.Add(node);
                    }
                    lun.Status = LunStatus.Active; lun.NodeName = node.Name; lun.InitiatorIqn = acl.NodeWwn;
                    lun.MappedLunIndex = acl.MappedLuns.First(m => m.TpgLun == l.Index).Index;
                    lun.ChapEnabled = acl.HasChap && acl.Attribute("authentication") != "0";
                    if (lun.ChapEnabled)
                    {
                        lun.ChapUser = acl.ChapUserId;
                        lun.ChapSecretSealed = Secrets.Seal(acl.ChapPassword!, SecretContext(name, false));
                        if (acl.HasMutualChap)
                        {
                            lun.MutualChapEnabled = true; lun.MutualChapUser = acl.ChapMutualUserId;
                            lun.MutualChapSecretSealed = Secrets.Seal(acl.ChapMutualPassword!, SecretContext(name, true));
                        }
                    }
                }
                newLuns.Add(lun);
            }
        }
        _inventory.Transact(t =>
        {
            foreach (var n in newNodes) { t.AddNode(n); t.WriteAudit(Audit("import-node", "node", n.Name, AuditOutcome.Success, $"{n.InitiatorIqn} from {b.Name}")); }
            foreach (var l in newLuns.Where(l => l.NodeName is not null))
                l.NodeId = newNodes.Concat(nodes).First(n => n.Name == l.NodeName).Id;
            if (newLuns.Count > 0) t.AddLuns(newLuns);
            foreach (var l in newLuns) t.WriteAudit(Audit("import-lun", "lun", l.Name, AuditOutcome.Success, $"{l.TargetIqn} LUN {l.TpgLunIndex} ({l.BackingPath}), {l.Status}, CHAP {l.Chap}"));
        });
        report.Luns.AddRange(newLuns);
        report.Nodes.AddRange(newNodes);
        return report;
    }

    static string Sanitise(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s.ToLowerInvariant()) sb.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        var v = sb.ToString().Trim('-');
        if (v.Length > 55) v = v[..55].Trim('-');
        return v.Length == 0 ? "imported" : v;
    }

    static string UniqueName(string baseName, HashSet<string> used)
    {
        var n = baseName;
        for (int i = 2; used.Contains(n); i++) n = $"{baseName}-{i}";
        return n;
    }

    Node? NodeFromIqn(string iqn, List<Node> existing, ImportReport report)
    {
        var tail = iqn.Contains(':') ? iqn[(iqn.LastIndexOf(':') + 1)..] : iqn;
        var name = UniqueName(Sanitise(tail), existing.Select(n => n.Name).ToHashSet());
        // PureBoot's own rule puts the MAC in the IQN; otherwise record a locally administered placeholder.
        var m = System.Text.RegularExpressions.Regex.Match(iqn, ":node:([0-9a-f]{12})$");
        string mac;
        string? fromIqn = null;
        try { if (m.Success) fromIqn = InputValidator.MacAddress(m.Groups[1].Value, "MacAddress"); } catch (ValidationException) { }
        if (fromIqn is not null) mac = fromIqn;
        else
        {
            var h = SHA256.HashData(Encoding.UTF8.GetBytes(iqn));
            mac = $"02:{h[0]:x2}:{h[1]:x2}:{h[2]:x2}:{h[3]:x2}:{h[4]:x2}";
            report.Warnings.Add($"node '{name}' ({iqn}): MAC unknown; recorded placeholder {mac}");
        }
        if (existing.Any(n => n.MacAddress == mac)) { report.Warnings.Add($"initiator {iqn}: MAC {mac} already belongs to another node; its LUN is imported unassigned"); return null; }
        var now = DateTimeOffset.UtcNow;
        return new Node { Name = name, MacAddress = mac, InitiatorIqn = iqn, Description = "imported", Created = now, Updated = now };
    }
}
