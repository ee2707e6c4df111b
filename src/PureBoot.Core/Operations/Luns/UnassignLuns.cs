using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>Remove-IscsiLunAssignment: unmaps LUNs from their nodes (ACLs left mapping nothing go too); the LUNs stay exported, Ready.</summary>
internal sealed class UnassignLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<string> lunNames, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(lunNames, outcomes);
        await _runner.RunPerBackendAsync(works, "unassign", (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);
        return outcomes;
    }

    public List<LunWork> Check(IReadOnlyList<string> lunNames, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(lunNames, n => n, Prepare, outcomes, duplicateIsConflict: false);

    LunWork? Prepare(string name, LunOutcome o)
    {
        var lun = _ctx.Lun(name, "Lun");
        o.Lun = lun;
        if (lun.NodeId is null) { o.Unchanged = true; return null; }   // not assigned: nothing to do
        return new LunWork { Outcome = o, Row = lun, Backend = _ctx.BackendOf(lun) };
    }

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        _runner.MarkInFlight(ws, PendingOperation.Unassign);
        var changes = Unmapping.Plan(live, ws.Select(w => (w.Row, w.Key)));
        var saved = changes.Count > 0 ? (await _runner.ApplyAsync(s, changes, ct)).Saved : live;
        foreach (var w in ws)
        {
            var still = ExportChecks.OtherInitiatorsSeeing(saved, w.Row, null).ToList();
            if (still.Count > 0)
            {
                w.Fail(FailureKind.TargetRejected, $"LUN '{w.Row.Name}' is still mapped for {string.Join(", ", still)}");
                w.Row.SetError(w.Outcome.Error);
                continue;
            }
            w.Row.ClearAssignment();
            w.Row.PendingOperation = null;
            var exported = ExportChecks.Export(saved, b, w.Row);
            w.Row.Status = exported is null ? LunStatus.Ready : LunStatus.Error;
            w.Row.ErrorMessage = exported?.Message;
        }
        _runner.Commit(ws, "unassign-lun", w => w.Outcome.Error);
    }
}
