using System.Diagnostics;
using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;
using static PureBoot.Core.Lio.TargetcliCommands;

namespace PureBoot.Core.Operations;

// Batched LUN changes. Each backend's share of a batch is one session: lock, read live state, allocate, write
// rows as in-flight, run host steps and ONE targetcli script, decide per item from the saved config read back,
// commit each item's final state with its audit row, and clean up what failed items half-made in a follow-up
// exchange of the same session.
public sealed partial class PureBootEngine
{
    const string TargetKey = "*target";

    sealed class Work
    {
        public required LunOutcome Outcome { get; init; }
        public required Lun Row { get; set; }
        public bool Ok => Outcome.Succeeded;
        public string Key => Row.Name;
        public string? Secret, MutualSecret;           // plain text, memory only, for this batch
        public bool CreatedAcl;
        public Node? AssignTo;                            // create-and-assign in one batch
        public List<string> Messages { get; } = new();
    }

    // ================================================================ create

    public async Task<IReadOnlyList<LunOutcome>> CreateLunsAsync(IReadOnlyList<LunCreateRequest> requests, CancellationToken ct = default)
    {
        var outcomes = new List<LunOutcome>();
        var work = new List<(Backend B, Work W, LunCreateRequest R)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            var o = new LunOutcome { Name = r.Name };
            outcomes.Add(o);
            try
            {
                var nodeName = r.Node is null ? null : InputValidator.Name(r.Node, "Node");
                var row = PrepareCreate(r, out var backend, out var secret, out var mutual);
                var node = nodeName is null ? null : _inventory.GetNode(nodeName) ?? throw new InventoryNotFoundException($"No node named '{r.Node}'.");
                if (!seen.Add(row.Name)) { o.Fail(FailureKind.Conflict, $"LUN '{row.Name}' appears twice in this batch."); continue; }
                o.Lun = row;
                work.Add((backend, new Work { Outcome = o, Row = row, Secret = secret, MutualSecret = mutual, AssignTo = node }, r));
            }
            catch (ValidationException e) { o.Fail(FailureKind.InvalidArgument, e.Message); }
            catch (InventoryNotFoundException e) { o.Fail(FailureKind.NotFound, e.Message); }
            catch (InventoryConflictException e) { o.Fail(FailureKind.Conflict, e.Message); }
            catch (Exception e) when (e is SecretDecryptionException or SecretKeyException) { o.Fail(FailureKind.SecretUnavailable, e.Message); }
        }
        foreach (var g in work.GroupBy(w => w.B.Id))
            await RunOnBackendAsync(g.First().B, g.Select(x => x.W).ToList(), "create", (s, items) => CreateOnHostAsync(s, g.First().B, g.ToList(), ct), ct);
        return outcomes;
    }

    Lun PrepareCreate(LunCreateRequest r, out Backend backend, out string? secret, out string? mutualSecret)
    {
        var name = InputValidator.Name(r.Name, "Name");
        var size = r.SizeBytes == 0 && r.SourceImage is not null ? 0 : InputValidator.SizeBytes(r.SizeBytes, "SizeBytes");
        backend = GetBackendForParam(r.Backend);
        var source = r.SourceImage is null ? null : InputValidator.ImagePath(r.SourceImage, backend.EffectiveImageDirectory, "SourceImage");
        if (source is not null && backend.Storage == StorageKind.Block && size == 0)
            throw new ValidationException("SizeBytes", "Parameter 'SizeGB': a Block backend needs the volume's size even with -SourceImage.");
        var chapUser = r.Chap ? InputValidator.ChapUser(r.ChapUser ?? name, "ChapUser") : null;
        secret = null; mutualSecret = null;
        if (r.Chap) { if (r.ChapSecret is not null) ChapSecrets.Validate(r.ChapSecret, "ChapSecret"); secret = r.ChapSecret ?? ChapSecrets.Generate(); }
        if (r.MutualChap && !r.Chap) throw new ValidationException("MutualChap", "Parameter 'MutualChap': mutual CHAP needs CHAP; remove -NoChap.");
        var mutualUser = r.MutualChap ? InputValidator.ChapUser(r.MutualChapUser ?? backend.Name + "-target", "MutualChapUser") : null;
        if (r.MutualChap) { if (r.MutualChapSecret is not null) ChapSecrets.Validate(r.MutualChapSecret, "MutualChapSecret"); mutualSecret = r.MutualChapSecret ?? ChapSecrets.Generate(); }
        if (r.MutualChap && mutualSecret == secret) throw new ValidationException("MutualChapSecret", "Parameter 'MutualChapSecret': the mutual secret must differ from the initiator's secret.");
        var description = InputValidator.Description(r.Description, "Description");
        if (_inventory.GetLun(name) is not null) throw new InventoryConflictException($"A LUN named '{name}' already exists.");
        var now = DateTimeOffset.UtcNow;
        return new Lun
        {
            Name = name, SizeBytes = size, BackendId = backend.Id, BackendName = backend.Name, Purpose = r.Purpose,
            Status = LunStatus.Creating, PendingOperation = "create", SourceImage = source, Description = description,
            ChapEnabled = r.Chap, ChapUser = chapUser, MutualChapEnabled = r.MutualChap, MutualChapUser = mutualUser,
            ChapSecretSealed = secret is null ? null : Secrets.Seal(secret, SecretContext(name, false)),
            MutualChapSecretSealed = mutualSecret is null ? null : Secrets.Seal(mutualSecret, SecretContext(name, true)),
            Created = now, Updated = now,
        };
    }

    Backend GetBackendForParam(string name) =>
        _inventory.GetBackend(InputValidator.Name(name, "Backend")) ?? throw new InventoryNotFoundException($"No backend named '{name}'.");

    async Task CreateOnHostAsync(ITargetHostSession s, Backend b, List<(Backend B, Work W, LunCreateRequest R)> items, CancellationToken ct)
    {
        var snap = await s.SnapshotAsync(new SnapshotRequest(), ct);
        var live = snap.Live;
        var plugin = LioChecks.Plugin(b);
        var ws = items.Select(i => i.W).ToList();

        // Allocate names and LUN indexes from the live state (and never reuse one an inventory row still holds).
        var known = _inventory.ListLunsOnTarget(b.Id);
        var usedSo = new HashSet<string>(live.StorageObjects.Where(x => x.Plugin == plugin).Select(x => x.Name));
        usedSo.UnionWith(known.Where(l => l.StorageObjectName is not null).Select(l => l.StorageObjectName!));
        usedSo.UnionWith(snap.Storage.Select(e => b.Storage == StorageKind.FileIO && e.Name.EndsWith(".img") ? e.Name[..^4] : e.Name));
        var usedTargets = new HashSet<string>(live.Targets.Select(t => t.Wwn));
        usedTargets.UnionWith(known.Where(l => l.TargetIqn is not null && b.Mode == TargetMode.PerLun).Select(l => l.TargetIqn!));
        var shared = b.SharedTargetIqn;
        var usedIdx = new HashSet<int>(live.FindTarget(shared)?.Tpg1?.Luns.Select(l => l.Index) ?? Enumerable.Empty<int>());
        usedIdx.UnionWith(known.Where(l => l.TargetIqn == shared && l.TpgLunIndex is not null).Select(l => l.TpgLunIndex!.Value));
        foreach (var w in ws)
        {
            var so = w.Row.Name;
            for (int n = 2; usedSo.Contains(so) || (b.Mode == TargetMode.PerLun && usedTargets.Contains(b.PerLunTargetIqn(so))); n++)
                so = $"{w.Row.Name}-{n}";
            usedSo.Add(so);
            w.Row.StorageObjectName = so;
            w.Row.BackingPath = LioChecks.BackingPath(b, so);
            if (b.Mode == TargetMode.Shared)
            {
                int idx = 0; while (usedIdx.Contains(idx)) idx++;
                usedIdx.Add(idx);
                w.Row.TargetIqn = shared; w.Row.TpgLunIndex = idx;
            }
            else
            {
                w.Row.TargetIqn = b.PerLunTargetIqn(so); w.Row.TpgLunIndex = 0;
                usedTargets.Add(w.Row.TargetIqn);
            }
            if (w.Row.SourceImage is not null && b.Storage == StorageKind.FileIO)
            {
                var src = w.Row.SourceImage;
                // The image's size is the LUN's size; read it from the listing when it is in the storage directory.
                var entry = src.StartsWith(b.StoragePath.TrimEnd('/') + "/") ? snap.Storage.FirstOrDefault(e => $"{b.StoragePath.TrimEnd('/')}/{e.Name}" == src) : null;
                if (w.Row.SizeBytes == 0 && entry is not null) w.Row.SizeBytes = entry.SizeBytes;
            }
        }

        // The rows go in first, as Creating: a crash from here on leaves rows that say what may exist.
        try
        {
            _inventory.Transact(t => t.AddLuns(ws.Select(w => w.Row).ToList()));
        }
        catch (InventoryConflictException e)
        {
            foreach (var w in ws) w.Outcome.Fail(FailureKind.Conflict, e.Message);
            return;
        }

        // Host steps: directory, image copies, logical volumes.
        var steps = new List<HostStep>();
        if (b.Storage == StorageKind.FileIO && snap.StorageError is not null) steps.Add(new MakeDirectory(TargetKey, b.StoragePath));
        foreach (var w in ws)
        {
            if (b.Storage == StorageKind.FileIO && w.Row.SourceImage is null) steps.Add(new CreateSparseFile(w.Key, w.Row.BackingPath!, w.Row.SizeBytes));
            if (b.Storage == StorageKind.FileIO && w.Row.SourceImage is not null)
            {
                steps.Add(new CopyImage(w.Key, w.Row.SourceImage, w.Row.BackingPath!));
                // A size given with an image grows the clone (the image's partitions stay as they are); never shrinks it.
                if (w.Row.SizeBytes > 0) steps.Add(new GrowFile(w.Key, w.Row.BackingPath!, w.Row.SizeBytes));
            }
            if (b.Storage == StorageKind.Block)
            {
                steps.Add(new CreateLogicalVolume(w.Key, b.StoragePath, w.Row.StorageObjectName!, w.Row.SizeBytes));
                if (w.Row.SourceImage is not null) steps.Add(new CopyImageToDevice(w.Key, w.Row.SourceImage, w.Row.BackingPath!));
            }
        }
        Report("Creating LUNs", $"host steps on {b.Name}", 20);
        var stepResults = await s.RunStepsAsync(steps, ct);
        var createdPaths = new HashSet<string>();
        foreach (var r in stepResults)
        {
            if (r.Ok)
            {
                if (r.Step is CopyImage c) createdPaths.Add(c.Destination);
                if (r.Step is CreateSparseFile f) createdPaths.Add(f.Path);
                if (r.Step is CreateLogicalVolume lv) createdPaths.Add($"/dev/{lv.VolumeGroup}/{lv.Name}");
                continue;
            }
            if (r.Step.ItemKey == TargetKey) foreach (var w in ws) w.Outcome.Fail(FailureKind.TargetRejected, r.Message);
            else ws.First(w => w.Key == r.Step.ItemKey).Outcome.Fail(FailureKind.TargetRejected, r.Message);
        }
        // Where the copy learned the size (image outside the listing), targetcli takes the file's size: leave it unknown until read back.

        // One targetcli script for every item still standing.
        var lines = new List<TargetcliLine>();
        if (b.Mode == TargetMode.Shared) lines.AddRange(EnsureTarget(live, b, shared).Select(t => new TargetcliLine(TargetKey, t)));
        foreach (var w in ws.Where(w => w.Ok))
        {
            var soPath = $"/backstores/{plugin}/{w.Row.StorageObjectName}";
            if (b.Storage == StorageKind.FileIO)
                lines.Add(new(w.Key, CreateFileIO(w.Row.StorageObjectName!, w.Row.BackingPath!)));   // the file is there: it gives the size
            else
                lines.Add(new(w.Key, CreateBlock(w.Row.StorageObjectName!, w.Row.BackingPath!)));
            if (b.Mode == TargetMode.PerLun) lines.AddRange(EnsureTarget(live, b, w.Row.TargetIqn!).Select(t => new TargetcliLine(w.Key, t)));
            lines.Add(new(w.Key, CreateLun(w.Row.TargetIqn!, soPath, w.Row.TpgLunIndex!.Value)));
        }
        // Create-and-assign: the nodes' ACLs and mappings go in the same script, after the LUNs they map.
        var assigning = ws.Where(w => w.Ok && w.AssignTo is not null).ToList();
        if (assigning.Count > 0)
        {
            lines.AddRange(ComposeNewAssignments(live, known, assigning));
            CommitRows(assigning, null, null);   // the node is recorded before the batch goes out
        }
        Report("Creating LUNs", $"targetcli batch of {lines.Count} lines on {b.Name}", 40);
        var run = await RunTargetcliAsync(s, lines, ct);
        var saved = run.Saved;

        foreach (var w in ws.Where(w => w.Ok))
        {
            if (w.Row.SourceImage is not null && w.Row.SizeBytes == 0)
                w.Row.SizeBytes = saved.FindStorageObject(plugin, w.Row.StorageObjectName!)?.Size ?? 0;
            var problem = LioChecks.CheckExport(saved, b, w.Row);
            if (problem is null && w.Row.InitiatorIqn is not null)
                problem = LioChecks.CheckMapping(saved, w.Row, w.Row.InitiatorIqn, w.Row.MappedLunIndex!.Value, w.Secret, w.MutualSecret);
            if (problem is null)
            {
                var leak = LioChecks.OtherInitiatorsSeeing(saved, w.Row, w.Row.InitiatorIqn).ToList();
                if (leak.Count > 0) problem = $"LUN is mapped into ACLs {string.Join(", ", leak)}";
            }
            if (problem is not null) w.Outcome.Fail(FailureKind.TargetRejected, Explain(problem, run, w.Key));
        }

        foreach (var w in ws)
        {
            w.Row.Status = !w.Ok ? LunStatus.Error : w.Row.NodeId is null ? LunStatus.Ready : LunStatus.Active;
            w.Row.ErrorMessage = w.Outcome.Error;
            if (w.Ok) w.Row.PendingOperation = null;
        }
        CommitRows(ws, "create-lun", w => w.Ok ? $"{w.Row.BackingPath} {w.Row.SizeBytes} bytes as {w.Row.TargetIqn} LUN {w.Row.TpgLunIndex}{(w.Row.NodeName is null ? "" : $", assigned to {w.Row.NodeName} as mapped LUN {w.Row.MappedLunIndex}, CHAP {w.Row.Chap}")}" : w.Outcome.Error);

        // Follow-up: remove what failed items half-made. Only objects this batch made are touched.
        var failed = ws.Where(w => !w.Ok).ToList();
        if (failed.Count == 0) return;
        var cleanup = UnmapLines(saved, failed.Select(w => (w.Row, w.Key)).ToList());
        // An ACL this batch made for a failed item goes too, mapped or not, unless a good item uses it.
        foreach (var w in failed.Where(w => w.CreatedAcl && w.Row.InitiatorIqn is not null))
        {
            var acl = saved.FindTarget(w.Row.TargetIqn!)?.Tpg1?.FindAcl(w.Row.InitiatorIqn!);
            var line = DeleteAcl(w.Row.TargetIqn!, w.Row.InitiatorIqn!);
            if (acl is not null && acl.MappedLuns.All(m => m.TpgLun == w.Row.TpgLunIndex) && !cleanup.Any(l => l.Text == line))
                cleanup.Add(new(w.Key, line));
        }
        var after = new List<HostStep>();
        foreach (var w in failed)
        {
            w.Row.NodeId = null; w.Row.NodeName = null; w.Row.InitiatorIqn = null; w.Row.MappedLunIndex = null;
            var before = live;
            var soName = w.Row.StorageObjectName!;
            if (b.Mode == TargetMode.PerLun)
            {
                if (saved.FindTarget(w.Row.TargetIqn!) is not null && before.FindTarget(w.Row.TargetIqn!) is null) cleanup.Add(new(w.Key, DeleteTarget(w.Row.TargetIqn!)));
            }
            else
            {
                var l = saved.FindTarget(shared)?.Tpg1?.FindLun(w.Row.TpgLunIndex!.Value);
                if (l is not null && l.StorageObject == $"/backstores/{plugin}/{soName}") cleanup.Add(new(w.Key, DeleteLun(shared, l.Index)));
            }
            var so = saved.FindStorageObject(plugin, soName);
            if (so is not null && before.FindStorageObject(plugin, soName) is null) cleanup.Add(new(w.Key, DeleteStorageObject(plugin, soName)));
            if (createdPaths.Contains(w.Row.BackingPath!) || (b.Storage == StorageKind.FileIO && so is not null && before.FindStorageObject(plugin, soName) is null))
                after.Add(b.Storage == StorageKind.FileIO ? new RemoveFile(w.Key, w.Row.BackingPath!) : new RemoveLogicalVolume(w.Key, b.StoragePath, soName));
        }
        var finalCfg = saved;
        if (cleanup.Count > 0)
        {
            Report("Creating LUNs", $"removing what {failed.Count} failed items left on {b.Name}", 80);
            finalCfg = (await RunTargetcliAsync(s, cleanup, ct)).Saved;
        }
        var afterResults = await s.RunStepsAsync(after.Where(st => finalCfg.StorageObjects.All(x => x.Dev != PathOf(st))).ToList(), ct);
        foreach (var w in failed)
        {
            var left = new List<string>();
            if (finalCfg.FindStorageObject(plugin, w.Row.StorageObjectName!) is { } so && live.FindStorageObject(plugin, so.Name) is null) left.Add(so.Path);
            if (b.Mode == TargetMode.PerLun && finalCfg.FindTarget(w.Row.TargetIqn!) is not null && live.FindTarget(w.Row.TargetIqn!) is null) left.Add(w.Row.TargetIqn!);
            if (b.Mode == TargetMode.Shared && finalCfg.FindTarget(shared)?.Tpg1?.FindLun(w.Row.TpgLunIndex!.Value) is { } l2 && l2.StorageObject.EndsWith("/" + w.Row.StorageObjectName)) left.Add($"LUN {l2.Index}");
            left.AddRange(afterResults.Where(r => !r.Ok && r.Step.ItemKey == w.Key).Select(r => r.Message));
            if (left.Count == 0)
            {
                // Nothing remains: free the names and index for reuse.
                w.Row.PendingOperation = null; w.Row.TpgLunIndex = null; w.Row.StorageObjectName = null; w.Row.TargetIqn = null; w.Row.BackingPath = null;
                w.Row.ErrorMessage = w.Outcome.Error + " (nothing was left on the target)";
            }
            else w.Row.ErrorMessage = w.Outcome.Error + $" (cleanup left: {string.Join("; ", left)}; run Sync-IscsiTarget)";
            w.Outcome.Error = w.Row.ErrorMessage;
        }
        CommitRows(failed, null, null);
    }

    /// <summary>
    /// Lines that give new LUNs to their nodes in the create batch: the node's ACL (made with its CHAP if it has
    /// none on this target) and a mapped LUN at the lowest free index. The same rules as AssignLunsAsync.
    /// </summary>
    List<TargetcliLine> ComposeNewAssignments(LioConfig live, List<Lun> known, List<Work> items)
    {
        var lines = new List<TargetcliLine>();
        var aclInBatch = new Dictionary<(string, string), Work>();
        var mappedInBatch = new Dictionary<(string, string), HashSet<int>>();
        foreach (var w in items)
        {
            var node = w.AssignTo!; var lun = w.Row; var target = lun.TargetIqn!;
            var key = (target, node.InitiatorIqn);
            var acl = live.FindTarget(target)?.Tpg1?.FindAcl(node.InitiatorIqn);
            var partner = known.FirstOrDefault(l => l.NodeId == node.Id && l.TargetIqn == target && l.Status == LunStatus.Active)
                          ?? (aclInBatch.TryGetValue(key, out var pw) ? pw.Row : null);
            try
            {
                if (partner is not null) { AdoptChap(lun, partner, w); (w.Secret, w.MutualSecret) = OpenChap(lun); }
            }
            catch (Exception e) when (e is SecretDecryptionException or SecretKeyException) { w.Outcome.Fail(FailureKind.SecretUnavailable, e.Message); continue; }
            if (acl is null && !aclInBatch.ContainsKey(key))
            {
                lines.Add(new(w.Key, CreateAcl(target, node.InitiatorIqn)));
                lines.AddRange(AuthLines(target, node.InitiatorIqn, lun, w, freshAcl: true).Select(t => new TargetcliLine(w.Key, t)));
                aclInBatch[key] = w; w.CreatedAcl = true;
            }
            else if (acl is not null && partner is null)
            {
                if (acl.MappedLuns.Count > 0) { w.Outcome.Fail(FailureKind.Conflict, $"ACL {node.InitiatorIqn} on {target} already maps {acl.MappedLuns.Count} LUNs PureBoot did not assign to node '{node.Name}'; run Sync-IscsiTarget."); continue; }
                lines.AddRange(AuthLines(target, node.InitiatorIqn, lun, w, freshAcl: false).Select(t => new TargetcliLine(w.Key, t)));
                aclInBatch[key] = w;
            }
            if (!mappedInBatch.TryGetValue(key, out var used))
                mappedInBatch[key] = used = new HashSet<int>(acl?.MappedLuns.Select(m => m.Index) ?? Enumerable.Empty<int>());
            int mi = 0; while (used.Contains(mi)) mi++;
            used.Add(mi);
            lun.NodeId = node.Id; lun.NodeName = node.Name; lun.InitiatorIqn = node.InitiatorIqn; lun.MappedLunIndex = mi;
            lines.Add(new(w.Key, CreateMappedLun(target, node.InitiatorIqn, mi, lun.TpgLunIndex!.Value)));
        }
        return lines;
    }

    static string? PathOf(HostStep st) => st switch { RemoveFile f => f.Path, RemoveLogicalVolume v => $"/dev/{v.VolumeGroup}/{v.Name}", _ => null };

    /// <summary>Lines that make a target exist, locked down, on the backend's portal. Empty when it already is.</summary>
    static IEnumerable<string> EnsureTarget(LioConfig live, Backend b, string target)
    {
        var t = live.FindTarget(target);
        if (t?.Tpg1 is null)
        {
            yield return CreateTarget(target);
            // /iscsi create adds 0.0.0.0:3260 by itself.
            if (b.PortalAddress != "0.0.0.0" || b.PortalPort != 3260)
            {
                yield return DeletePortal(target, "0.0.0.0", 3260);
                yield return CreatePortal(target, b.PortalAddress, b.PortalPort);
            }
            yield return SecureTpg(target);
            yield break;
        }
        var tpg = t.Tpg1;
        if (tpg.Attribute("generate_node_acls") != "0" || tpg.Attribute("authentication") != "1" || tpg.Attribute("demo_mode_write_protect") != "1")
            yield return SecureTpg(target);
        if (!tpg.Portals.Any(p => p.IpAddress == b.PortalAddress && p.Port == b.PortalPort))
            yield return CreatePortal(target, b.PortalAddress, b.PortalPort);
    }

    static string Explain(string problem, TargetcliRun run, params string[] keys)
    {
        var msgs = keys.Append(TargetKey).SelectMany(run.MessagesFor).Distinct().ToList();
        return msgs.Count == 0 ? problem : $"{problem}; targetcli said: {string.Join(" | ", msgs)}";
    }

    async Task<TargetcliRun> RunTargetcliAsync(ITargetHostSession s, List<TargetcliLine> lines, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        Say($"[{s.Backend.Name}] sending a targetcli batch of {lines.Count} lines");
        foreach (var l in lines) Say($"[{s.Backend.Name}]   {l.Redacted}");
        var run = await s.RunTargetcliAsync(lines, ct);
        Say($"[{s.Backend.Name}] targetcli batch done in {sw.Elapsed.TotalSeconds:0.0} s (exit {run.ExitCode}; {run.Lines.Count(l => l.Output.Length > 0 && !l.Output.Split('\n').All(TargetcliText.IsRoutine))} lines printed errors)");
        return run;
    }

    void Report(string activity, string status, int percent) => Progress?.Report(new BatchProgress(activity, status, percent));

    void CommitRows(IEnumerable<Work> ws, string? operation, Func<Work, string?>? message)
    {
        var list = ws.ToList();
        foreach (var w in list) w.Row.Updated = DateTimeOffset.UtcNow;
        _inventory.Transact(t =>
        {
            t.UpdateLuns(list.Select(w => w.Row).ToList());
            if (operation is not null)
                foreach (var w in list)
                    t.WriteAudit(Audit(operation, "lun", w.Row.Name, w.Ok ? AuditOutcome.Success : AuditOutcome.Failure, message?.Invoke(w)));
        });
        foreach (var w in list) w.Outcome.Lun = w.Row;
    }

    /// <summary>Opens the backend's session and runs one batch; a transport failure fails every item with the host named.</summary>
    async Task RunOnBackendAsync(Backend b, List<Work> ws, string op, Func<ITargetHostSession, List<Work>, Task> body, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            await using var s = await _connector.OpenAsync(b, ct);
            await body(s, ws);
            Say($"[{b.Name}] {op}: {ws.Count} items, {ws.Count(w => w.Ok)} succeeded, {s.TargetcliStarts} targetcli starts, {s.Exchanges} exchanges, {sw.Elapsed.TotalSeconds:0.0} s");
        }
        catch (TargetHostException e)
        {
            foreach (var w in ws.Where(w => w.Ok)) w.Outcome.Fail(FailureKind.HostUnavailable, e.Message);
            // Rows written as in-flight stay so (with the reason): only the live state can tell what happened.
            var inflight = ws.Where(w => w.Row.Id != 0 && w.Row.PendingOperation is not null).ToList();
            foreach (var w in inflight) { w.Row.ErrorMessage = $"{e.Message} (interrupted during {w.Row.PendingOperation}; run Sync-IscsiTarget)"; w.Row.Status = w.Row.Status == LunStatus.Creating || w.Row.Status == LunStatus.Deleting ? w.Row.Status : LunStatus.Error; }
            if (inflight.Count > 0) CommitRows(inflight, op + "-lun", w => w.Row.ErrorMessage);
        }
        Report("PureBoot", "done", 100);
    }

    // ================================================================ assign / unassign

    public async Task<IReadOnlyList<LunOutcome>> AssignLunsAsync(IReadOnlyList<LunAssignRequest> requests, CancellationToken ct = default)
    {
        var outcomes = new List<LunOutcome>();
        var todo = new List<(Backend B, Work W, Node N)>();
        var seen = new HashSet<string>();
        foreach (var r in requests)
        {
            var o = new LunOutcome { Name = r.Lun };
            outcomes.Add(o);
            try
            {
                var lunName = InputValidator.Name(r.Lun, "Lun");
                var nodeName = InputValidator.Name(r.Node, "Node");
                var lun = _inventory.GetLun(lunName) ?? throw new InventoryNotFoundException($"No LUN named '{r.Lun}'.");
                var node = _inventory.GetNode(nodeName) ?? throw new InventoryNotFoundException($"No node named '{r.Node}'.");
                o.Lun = lun;
                if (!seen.Add(lun.Name)) throw new InventoryConflictException($"LUN '{lun.Name}' appears twice in this batch.");
                if (lun.Status == LunStatus.Active && lun.NodeId == node.Id) continue;   // already so: nothing to do
                if (lun.Status == LunStatus.Active) throw new InventoryConflictException($"LUN '{lun.Name}' is assigned to node '{lun.NodeName}'; unassign it first.");
                if (lun.Status != LunStatus.Ready) throw new InventoryConflictException($"LUN '{lun.Name}' is {lun.Status}; only a Ready LUN can be assigned.");
                var b = _inventory.GetBackendById(lun.BackendId)!;
                todo.Add((b, new Work { Outcome = o, Row = lun }, node));
            }
            catch (ValidationException e) { o.Fail(FailureKind.InvalidArgument, e.Message); }
            catch (InventoryNotFoundException e) { o.Fail(FailureKind.NotFound, e.Message); }
            catch (InventoryConflictException e) { o.Fail(FailureKind.Conflict, e.Message); }
        }
        foreach (var g in todo.GroupBy(t => t.B.Id))
        {
            var items = g.ToList();
            await RunOnBackendAsync(items[0].B, items.Select(i => i.W).ToList(), "assign", (s, _) => AssignOnHostAsync(s, items[0].B, items, ct), ct);
        }
        return outcomes;
    }

    async Task AssignOnHostAsync(ITargetHostSession s, Backend b, List<(Backend B, Work W, Node N)> items, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        var known = _inventory.ListLunsOnTarget(b.Id);
        var mappedInBatch = new Dictionary<(string T, string I), HashSet<int>>();
        var aclInBatch = new Dictionary<(string T, string I), Work>();   // first item that brings the ACL
        var lines = new List<TargetcliLine>();
        foreach (var (_, w, node) in items)
        {
            var lun = w.Row;
            var problem = LioChecks.CheckExport(live, b, lun);
            if (problem is not null) { w.Outcome.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not exported as recorded ({problem}); run Sync-IscsiTarget."); continue; }
            var others = LioChecks.OtherInitiatorsSeeing(live, lun, null).ToList();
            if (others.Count > 0) { w.Outcome.Fail(FailureKind.Conflict, $"LUN '{lun.Name}' is already mapped into ACLs {string.Join(", ", others)} on the target; run Sync-IscsiTarget."); continue; }
            var target = lun.TargetIqn!;
            var key = (target, node.InitiatorIqn);
            var acl = live.FindTarget(target)!.Tpg1!.FindAcl(node.InitiatorIqn);
            // In Shared mode a node's LUNs share its one ACL, and so its CHAP credential: the first LUN's wins.
            var partner = known.FirstOrDefault(l => l.NodeId == node.Id && l.TargetIqn == target && l.Status == LunStatus.Active && l.Id != lun.Id)
                          ?? (aclInBatch.TryGetValue(key, out var pw) ? pw.Row : null);
            if (partner is not null) AdoptChap(lun, partner, w);
            try
            {
                (w.Secret, w.MutualSecret) = OpenChap(lun);
            }
            catch (Exception e) when (e is SecretDecryptionException or SecretKeyException) { w.Outcome.Fail(FailureKind.SecretUnavailable, e.Message); continue; }
            if (acl is null && !aclInBatch.ContainsKey(key))
            {
                lines.Add(new(w.Key, CreateAcl(target, node.InitiatorIqn)));
                lines.AddRange(AuthLines(target, node.InitiatorIqn, lun, w, freshAcl: true).Select(t => new TargetcliLine(w.Key, t)));
                aclInBatch[key] = w; w.CreatedAcl = true;
            }
            else if (acl is not null && partner is null)
            {
                // An ACL no inventory LUN of this node explains: take it over only if it maps nothing.
                if (acl.MappedLuns.Count > 0) { w.Outcome.Fail(FailureKind.Conflict, $"ACL {node.InitiatorIqn} on {target} already maps {acl.MappedLuns.Count} LUNs PureBoot did not assign to node '{node.Name}'; run Sync-IscsiTarget."); continue; }
                lines.AddRange(AuthLines(target, node.InitiatorIqn, lun, w, freshAcl: false).Select(t => new TargetcliLine(w.Key, t)));
                aclInBatch[key] = w;
            }
            if (!mappedInBatch.TryGetValue(key, out var used))
                mappedInBatch[key] = used = new HashSet<int>(acl?.MappedLuns.Select(m => m.Index) ?? Enumerable.Empty<int>());
            int mi = 0; while (used.Contains(mi)) mi++;
            used.Add(mi);
            lun.NodeId = node.Id; lun.NodeName = node.Name; lun.InitiatorIqn = node.InitiatorIqn; lun.MappedLunIndex = mi;
            lun.PendingOperation = "assign";
            lines.Add(new(w.Key, CreateMappedLun(target, node.InitiatorIqn, mi, lun.TpgLunIndex!.Value)));
        }
        // New ACLs inherit the TPG's authentication: make sure it is the locked-down 1 before they appear.
        foreach (var t in items.Where(i => i.W.Ok).Select(i => i.W.Row.TargetIqn!).Distinct().ToList())
            if (live.FindTarget(t)?.Tpg1 is { } tpg && (tpg.Attribute("authentication") != "1" || tpg.Attribute("generate_node_acls") != "0"))
                lines.Insert(0, new(TargetKey, SecureTpg(t)));
        var ws = items.Select(i => i.W).ToList();
        var going = ws.Where(w => w.Ok).ToList();
        if (going.Count == 0) { ResetFailedAssignments(ws); return; }
        CommitRows(going, null, null);   // in flight: a crash leaves "assign" pending with the node recorded
        var run = await RunTargetcliAsync(s, lines, ct);
        foreach (var w in going)
        {
            var problem = LioChecks.CheckMapping(run.Saved, w.Row, w.Row.InitiatorIqn!, w.Row.MappedLunIndex!.Value, w.Secret, w.MutualSecret);
            problem ??= LioChecks.OtherInitiatorsSeeing(run.Saved, w.Row, w.Row.InitiatorIqn).Select(i => $"LUN also visible to {i}").FirstOrDefault();
            if (problem is not null) w.Outcome.Fail(FailureKind.TargetRejected, Explain(problem, run, w.Key));
        }
        // Undo half-made mappings of failed items in a follow-up exchange.
        var cleanup = new List<TargetcliLine>();
        foreach (var w in going.Where(w => !w.Ok))
        {
            var tpg = run.Saved.FindTarget(w.Row.TargetIqn!)?.Tpg1;
            var acl = tpg?.FindAcl(w.Row.InitiatorIqn!);
            if (acl is null) continue;
            if (acl.MappedLuns.Any(m => m.Index == w.Row.MappedLunIndex)) cleanup.Add(new(w.Key, DeleteMappedLun(w.Row.TargetIqn!, w.Row.InitiatorIqn!, w.Row.MappedLunIndex!.Value)));
            var stillMapped = acl.MappedLuns.Count(m => m.Index != w.Row.MappedLunIndex);
            if (w.CreatedAcl && stillMapped == 0 && !going.Any(o => o.Ok && o.Row.InitiatorIqn == w.Row.InitiatorIqn && o.Row.TargetIqn == w.Row.TargetIqn))
                cleanup.Add(new(w.Key, DeleteAcl(w.Row.TargetIqn!, w.Row.InitiatorIqn!)));
        }
        var final = cleanup.Count > 0 ? (await RunTargetcliAsync(s, cleanup, ct)).Saved : run.Saved;
        foreach (var w in going)
        {
            if (w.Ok) { w.Row.Status = LunStatus.Active; w.Row.ErrorMessage = null; w.Row.PendingOperation = null; continue; }
            var stillThere = final.FindTarget(w.Row.TargetIqn!)?.Tpg1?.FindAcl(w.Row.InitiatorIqn!)?.MappedLuns.Any(m => m.TpgLun == w.Row.TpgLunIndex) == true;
            w.Row.ErrorMessage = w.Outcome.Error + (stillThere ? " (the mapping could not be removed; run Sync-IscsiTarget)" : "");
            w.Row.Status = stillThere ? LunStatus.Error : LunStatus.Ready;
            if (!stillThere) { w.Row.NodeId = null; w.Row.NodeName = null; w.Row.InitiatorIqn = null; w.Row.MappedLunIndex = null; w.Row.PendingOperation = null; }
        }
        CommitRows(going, "assign-lun", w => w.Ok ? $"to {w.Row.NodeName} ({w.Row.InitiatorIqn}) as mapped LUN {w.Row.MappedLunIndex}, CHAP {w.Row.Chap}" : w.Outcome.Error);
        ResetFailedAssignments(ws.Except(going));
    }

    void ResetFailedAssignments(IEnumerable<Work> ws)
    {
        foreach (var w in ws) w.Row = _inventory.GetLun(w.Row.Name) ?? w.Row;   // drop unsaved changes
        foreach (var w in ws) w.Outcome.Lun = w.Row;
        var list = ws.ToList();
        if (list.Count > 0) _inventory.Transact(t => { foreach (var w in list) t.WriteAudit(Audit("assign-lun", "lun", w.Row.Name, AuditOutcome.Failure, w.Outcome.Error)); });
    }

    void AdoptChap(Lun lun, Lun partner, Work w)
    {
        var changed = lun.ChapEnabled != partner.ChapEnabled || lun.ChapUser != partner.ChapUser || lun.MutualChapEnabled != partner.MutualChapEnabled;
        lun.ChapEnabled = partner.ChapEnabled; lun.ChapUser = partner.ChapUser;
        lun.MutualChapEnabled = partner.MutualChapEnabled; lun.MutualChapUser = partner.MutualChapUser;
        lun.ChapSecretSealed = partner.ChapSecretSealed is null ? null : Secrets.Seal(Secrets.Open(partner.ChapSecretSealed, SecretContext(partner.Name, false)), SecretContext(lun.Name, false));
        lun.MutualChapSecretSealed = partner.MutualChapSecretSealed is null ? null : Secrets.Seal(Secrets.Open(partner.MutualChapSecretSealed, SecretContext(partner.Name, true)), SecretContext(lun.Name, true));
        w.Outcome.Warnings.Add($"LUN '{lun.Name}' shares node '{w.Outcome.Lun?.NodeName ?? partner.NodeName}''s ACL on {partner.TargetIqn} with LUN '{partner.Name}' and now uses its CHAP credential{(changed ? " (its own settings differed)" : "")}.");
    }

    /// <summary>
    /// The lines that give an ACL the LUN's CHAP settings. An ACL made in the same script starts at
    /// authentication=-1 and so inherits its TPG's 1 (PureBoot locks every TPG down so, and checks it): CHAP needs no
    /// attribute line there. A CHAP-less ACL always gets an explicit 0, an existing ACL an explicit setting.
    /// </summary>
    static IEnumerable<string> AuthLines(string target, string initiator, Lun lun, Work w, bool freshAcl)
    {
        if (!lun.ChapEnabled) { yield return AclAuthentication(target, initiator, false); yield break; }
        if (!freshAcl) yield return AclAuthentication(target, initiator, true);
        yield return lun.MutualChapEnabled
            ? SetChap(target, initiator, lun.ChapUser!, w.Secret!, lun.MutualChapUser!, w.MutualSecret!)
            : SetChap(target, initiator, lun.ChapUser!, w.Secret!);
    }

    public async Task<IReadOnlyList<LunOutcome>> UnassignLunsAsync(IReadOnlyList<string> lunNames, CancellationToken ct = default)
    {
        var outcomes = new List<LunOutcome>();
        var todo = new List<(Backend B, Work W)>();
        foreach (var name in lunNames)
        {
            var o = new LunOutcome { Name = name };
            outcomes.Add(o);
            try
            {
                var lun = _inventory.GetLun(InputValidator.Name(name, "Lun")) ?? throw new InventoryNotFoundException($"No LUN named '{name}'.");
                o.Lun = lun;
                if (lun.NodeId is null) continue;   // not assigned: nothing to do
                if (todo.Any(t => t.W.Row.Id == lun.Id)) continue;
                todo.Add((_inventory.GetBackendById(lun.BackendId)!, new Work { Outcome = o, Row = lun }));
            }
            catch (ValidationException e) { o.Fail(FailureKind.InvalidArgument, e.Message); }
            catch (InventoryNotFoundException e) { o.Fail(FailureKind.NotFound, e.Message); }
        }
        foreach (var g in todo.GroupBy(t => t.B.Id))
        {
            var b = g.First().B; var ws = g.Select(x => x.W).ToList();
            await RunOnBackendAsync(b, ws, "unassign", async (s, _) =>
            {
                var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
                foreach (var w in ws) w.Row.PendingOperation = "unassign";
                CommitRows(ws, null, null);
                var lines = UnmapLines(live, ws.Select(w => (w.Row, w.Key)).ToList());
                var saved = lines.Count > 0 ? (await RunTargetcliAsync(s, lines, ct)).Saved : live;
                foreach (var w in ws)
                {
                    var still = LioChecks.OtherInitiatorsSeeing(saved, w.Row, null).ToList();
                    if (still.Count > 0) { w.Outcome.Fail(FailureKind.TargetRejected, $"LUN '{w.Row.Name}' is still mapped for {string.Join(", ", still)}"); w.Row.Status = LunStatus.Error; w.Row.ErrorMessage = w.Outcome.Error; continue; }
                    w.Row.NodeId = null; w.Row.NodeName = null; w.Row.InitiatorIqn = null; w.Row.MappedLunIndex = null; w.Row.PendingOperation = null;
                    var exported = LioChecks.CheckExport(saved, b, w.Row);
                    w.Row.Status = exported is null ? LunStatus.Ready : LunStatus.Error;
                    w.Row.ErrorMessage = exported;
                }
                CommitRows(ws, "unassign-lun", w => w.Outcome.Error);
            }, ct);
        }
        return outcomes;
    }

    /// <summary>Lines that remove every mapping of these LUNs, and each ACL that is left with nothing mapped.</summary>
    static List<TargetcliLine> UnmapLines(LioConfig live, List<(Lun Lun, string Key)> luns)
    {
        var lines = new List<TargetcliLine>();
        var removed = new Dictionary<(string, string), HashSet<int>>();
        foreach (var (lun, key) in luns)
        {
            var tpg = lun.TargetIqn is null ? null : live.FindTarget(lun.TargetIqn)?.Tpg1;
            if (tpg is null || lun.TpgLunIndex is null) continue;
            foreach (var acl in tpg.NodeAcls)
                foreach (var m in acl.MappedLuns.Where(m => m.TpgLun == lun.TpgLunIndex))
                {
                    lines.Add(new(key, DeleteMappedLun(lun.TargetIqn!, acl.NodeWwn, m.Index)));
                    var k = (lun.TargetIqn!, acl.NodeWwn);
                    if (!removed.TryGetValue(k, out var set)) removed[k] = set = new();
                    set.Add(m.Index);
                    if (acl.MappedLuns.All(x => set.Contains(x.Index))) lines.Add(new(key, DeleteAcl(lun.TargetIqn!, acl.NodeWwn)));
                }
        }
        return lines;
    }
}
