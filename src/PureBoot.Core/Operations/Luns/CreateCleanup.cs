using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Removes, in a follow-up exchange of the create's session, what failed items half-made: their mappings, an ACL the
/// batch made for them (unless a good item uses it), their TPG LUN or PerLun target, their storage object and the
/// file or volume the batch made. Only objects this batch made are touched. Each row then says what, if anything,
/// was left (the names and index are freed when nothing was).
/// </summary>
internal sealed class CreateCleanup
{
    readonly EngineContext _ctx;
    readonly BatchRunner _runner;
    readonly ITargetHostSession _s;
    readonly Backend _b;
    readonly LioConfig _before;

    /// <param name="before">The live state the batch started from: what existed then is never removed.</param>
    public CreateCleanup(EngineContext ctx, BatchRunner runner, ITargetHostSession s, Backend b, LioConfig before)
    {
        (_ctx, _runner, _s, _b, _before) = (ctx, runner, s, b, before);
    }

    public async Task RunAsync(List<LunWork> failed, LioConfig saved, HashSet<string> createdPaths, CancellationToken ct)
    {
        var plugin = _b.StoragePlugin;
        var changes = Unmapping.Plan(saved, failed.Select(w => (w.Row, w.Key)));
        foreach (var w in failed.Where(w => w.CreatedAcl && w.Row.InitiatorIqn is not null))
        {
            var acl = saved.FindTpg(w.Row.TargetIqn!)?.FindAcl(w.Row.InitiatorIqn!);
            var delete = new DeleteNodeAcl(w.Key, w.Row.TargetIqn!, w.Row.InitiatorIqn!);
            if (acl is not null && acl.MappedLuns.All(m => m.TpgLun == w.Row.TpgLunIndex) && !changes.OfType<DeleteNodeAcl>().Any(c => c.Target == delete.Target && c.Initiator == delete.Initiator))
                changes.Add(delete);
        }
        var dataSteps = new List<HostStep>();
        foreach (var w in failed)
        {
            var row = w.Row;
            row.ClearAssignment();
            var soName = row.StorageObjectName!;
            if (_b.Mode == TargetMode.PerLun)
            {
                if (saved.FindTarget(row.TargetIqn!) is not null && _before.FindTarget(row.TargetIqn!) is null) changes.Add(new DeleteTarget(w.Key, row.TargetIqn!));
            }
            else if (saved.FindTpg(row.TargetIqn!)?.Exports(row.TpgLunIndex!.Value, _b.StorageObjectPath(soName)) == true)
                changes.Add(new DeleteLun(w.Key, row.TargetIqn!, row.TpgLunIndex!.Value));
            var madeSo = saved.FindStorageObject(plugin, soName) is not null && _before.FindStorageObject(plugin, soName) is null;
            if (madeSo) changes.Add(new DeleteStorageObject(w.Key, plugin, soName));
            if (createdPaths.Contains(row.BackingPath!) || (_b.Storage == StorageKind.FileIO && madeSo))
                dataSteps.Add(BackingData.Remove(_b, w.Key, row.BackingPath!, soName));
        }
        var final = changes.Count > 0 ? (await _runner.ApplyAsync(_s, changes, ct)).Saved : saved;
        // The data goes only once no storage object refers to it any more.
        var removed = await _s.RunStepsAsync(dataSteps.Where(st => !final.UsesDevice(st.RemovedPath!)).ToList(), ct);
        foreach (var w in failed)
        {
            var row = w.Row;
            var left = new List<string>();
            if (final.FindStorageObject(plugin, row.StorageObjectName!) is { } so && _before.FindStorageObject(plugin, so.Name) is null) left.Add(so.Path);
            if (_b.Mode == TargetMode.PerLun && final.FindTarget(row.TargetIqn!) is not null && _before.FindTarget(row.TargetIqn!) is null) left.Add(row.TargetIqn!);
            if (_b.Mode == TargetMode.Shared && final.FindTpg(row.TargetIqn!)?.FindLun(row.TpgLunIndex!.Value) is { } l && l.StorageObject.EndsWith("/" + row.StorageObjectName, StringComparison.Ordinal))
                left.Add($"LUN {l.Index}");
            left.AddRange(removed.Where(r => !r.Ok && r.Step.ItemKey == w.Key).Select(r => r.Message));
            if (left.Count == 0)
            {
                row.PendingOperation = null;
                row.ClearLioObjects();
                row.ErrorMessage = w.Outcome.Error + " (nothing was left on the target)";
            }
            else row.ErrorMessage = w.Outcome.Error + $" (cleanup left: {string.Join("; ", left)}; run Sync-IscsiTarget)";
            w.Outcome.Error = row.ErrorMessage;
        }
        _runner.Commit(failed, null, null);
    }
}
