using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

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

public enum SyncActionKind : long { Finish, RollBack, Repair, RemoveLeak, RemoveOrphan, KeepOrphan, Fail }

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

/// <summary>
/// Sync-IscsiTarget: makes a backend's target match the inventory again (<see cref="SyncPlanner"/> decides), in one
/// session: steps first, one LIO plan, data removal once confirmed safe, verdicts from the saved config, rows and
/// audit entries in one transaction, and the drift that remains read back.
/// </summary>
internal sealed class SyncTarget(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    public async Task<SyncReport> RunAsync(string backendName, SyncOptions options, CancellationToken ct)
    {
        var b = _ctx.Backend(backendName);
        var report = new SyncReport { Backend = b.Name };
        await using var s = await _ctx.Connector.OpenAsync(b, ct);
        // The disk lifecycle's interrupted work first (replacements, images, snapshots); the convergence below skips it.
        var recovery = new LifecycleRecovery(_ctx, b);
        if (recovery.HasWork)
        {
            report.Actions.AddRange(await recovery.PlanAsync(s, ct));
            if (!options.PlanOnly) report.Outcomes.AddRange(await recovery.RunAsync(s, ct));
        }
        var snap = await s.SnapshotAsync(new SnapshotRequest(), ct);
        var plan = new SyncPlanner(_ctx, b, snap, _ctx.Inventory.ListLunsOnTarget(b.Id), options).Plan();
        report.Actions.AddRange(plan.Actions);
        var status = new TargetStatus(_ctx);
        if (options.PlanOnly)
        {
            report.RemainingDrift = status.Build(b, snap, TimeSpan.Zero, 0, 0).Drift;
            return report;
        }

        var works = plan.Converged.Concat(plan.Removals).ToList();
        foreach (var r in await s.RunStepsAsync(plan.Before, ct))
            if (!r.Ok) works.First(x => x.Key == r.Step.ItemKey).Fail(FailureKind.TargetRejected, r.Message);
        var saved = plan.Changes.Count > 0 ? (await _runner.ApplyAsync(s, plan.Changes, ct)).Saved : snap.Live;
        var safe = plan.RemovedLunData.Where(x => !saved.UsesDevice(x.Row.BackingPath!)).Select(x => x.Step)
            .Concat(plan.OrphanData.Where(st => !saved.UsesDevice(st.RemovedPath!))).ToList();
        var removed = await s.RunStepsAsync(safe, ct);
        Verify(b, plan, saved, removed);
        Commit(b, plan, report);
        report.Outcomes.AddRange(works.Select(w => w.Outcome));
        report.Applied = true;
        report.RemainingDrift = status.Build(b, await s.SnapshotAsync(new SnapshotRequest(), ct), TimeSpan.Zero, 0, 0).Drift;
        if (LifecycleStatus.Applies(_ctx, b)) report.RemainingDrift = report.RemainingDrift.Concat((await LifecycleStatus.ReadAsync(_ctx, s, b, ct)).Drift).ToList();
        return report;
    }

    static void Verify(Backend b, SyncPlan plan, LioConfig saved, IReadOnlyList<StepResult> removed)
    {
        foreach (var w in plan.Converged.Where(w => w.Ok))
        {
            if (plan.RolledBack.Contains(w)) { w.Row.PendingOperation = null; w.Row.ClearLioObjects(); continue; }
            if (w.Row.Status == LunStatus.Error) continue;
            var active = w.Row.Status == LunStatus.Active;
            var problem = ExportChecks.Export(saved, b, w.Row)
                ?? (active ? ExportChecks.Mapping(saved, w.Row, w.Row.InitiatorIqn!, w.Row.MappedLunIndex ?? -1, w.Chap) : null)
                ?? ExportChecks.Leak(saved, w.Row, active ? w.Row.InitiatorIqn : null);
            if (problem is not null) { w.Fail(FailureKind.TargetRejected, problem.Message); w.Row.SetError(problem.Message); }
        }
        foreach (var w in plan.Removals)
        {
            var left = w.Row.StorageObjectName is not null && saved.FindStorageObject(b.StoragePlugin, w.Row.StorageObjectName) is not null;
            if (left || removed.Any(r => !r.Ok && r.Step.ItemKey == w.Key)) { w.Fail(FailureKind.TargetRejected, "the removal could not be finished"); w.Row.SetError(w.Outcome.Error); }
        }
    }

    void Commit(Backend b, SyncPlan plan, SyncReport report)
    {
        var gone = plan.Removals.Where(w => w.Ok).ToList();
        var updated = plan.Converged.Concat(plan.Removals.Where(w => !w.Ok)).Select(w => w.Row).ToList();
        _ctx.Inventory.Transact(t =>
        {
            if (gone.Count > 0) t.DeleteLuns(gone.Select(w => w.Row.Id).ToList());
            if (updated.Count > 0) t.UpdateLuns(updated);
            foreach (var a in report.Actions.Where(a => a.Kind is not SyncActionKind.KeepOrphan))
                t.WriteAudit(EngineContext.Audit("sync-target", a.Lun is null ? "lio-object" : "lun", a.Lun ?? a.Object, a.Kind == SyncActionKind.Fail ? AuditOutcome.Failure : AuditOutcome.Success, $"{a.Kind}: {a.Description}"));
            if (report.Actions.Count == 0) t.WriteAudit(EngineContext.Audit("sync-target", "backend", b.Name, AuditOutcome.Success, "in sync: nothing to do"));
        });
        foreach (var w in gone) w.Outcome.Removed = true;
    }
}
