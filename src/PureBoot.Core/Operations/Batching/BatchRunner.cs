using System.Diagnostics;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// The template every batched use case follows: take in and validate every item before anything is sent, group
/// the good ones by backend, open one session per backend (its host lock held throughout), run the use case's body
/// in it, and commit rows with their audit entries. A transport failure fails every item still standing and leaves
/// rows written as in flight as they are, with the reason: only the live state can tell what happened.
/// </summary>
internal sealed class BatchRunner(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>
    /// Runs <paramref name="prepare"/> on every request (validation, inventory checks: no host is contacted), one
    /// outcome each; a Core exception lands on that item's outcome. Returns the items to send.
    /// </summary>
    /// <param name="duplicateIsConflict">A LUN named twice fails the second time (create, assign); otherwise the second is a no-op.</param>
    public static List<LunWork> Intake<TRequest>(IEnumerable<TRequest> requests, Func<TRequest, string> nameOf,
        Func<TRequest, LunOutcome, LunWork?> prepare, List<LunOutcome> outcomes, bool duplicateIsConflict = true)
    {
        var works = new List<LunWork>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            var o = new LunOutcome { Name = nameOf(r) };
            outcomes.Add(o);
            try
            {
                var w = prepare(r, o);
                if (w is null) continue;
                if (!seen.Add(w.Row.Name))
                {
                    if (duplicateIsConflict) o.Fail(FailureKind.Conflict, $"LUN '{w.Row.Name}' appears twice in this batch.");
                    else o.Unchanged = true;
                    continue;
                }
                works.Add(w);
            }
            catch (Exception e) when (FailureMap.TryFail(o, e)) { }
        }
        return works;
    }

    /// <summary>One session per backend for the items, in the order the backends first appear.</summary>
    public async Task RunPerBackendAsync(IReadOnlyList<LunWork> works, string op,
        Func<ITargetHostSession, Backend, List<LunWork>, Task> body, CancellationToken ct)
    {
        foreach (var group in works.GroupBy(w => w.Backend.Id))
        {
            var ws = group.ToList();
            await RunOnBackendAsync(ws[0].Backend, ws, op, s => body(s, ws[0].Backend, ws), ct);
        }
        _ctx.Report("PureBoot", "done", 100);
    }

    public async Task RunOnBackendAsync(Backend b, List<LunWork> ws, string op, Func<ITargetHostSession, Task> body, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            await using var s = await _ctx.Connector.OpenAsync(b, ct);
            await body(s);
            _ctx.Say($"[{b.Name}] {op}: {ws.Count} items, {ws.Count(w => w.Ok)} succeeded, {s.TargetcliStarts} targetcli starts, {s.Exchanges} exchanges, {sw.Elapsed.TotalSeconds:0.0} s");
        }
        catch (TargetHostException e)
        {
            foreach (var w in ws.Where(w => w.Ok)) w.Fail(FailureKind.HostUnavailable, e.Message);
            var inflight = ws.Where(w => w.Row.Id != 0 && w.Row.PendingOperation is not null).ToList();
            foreach (var w in inflight)
            {
                w.Row.ErrorMessage = $"{e.Message} (interrupted during {w.Row.PendingOperation}; run Sync-IscsiTarget)";
                if (w.Row.Status is not (LunStatus.Creating or LunStatus.Deleting)) w.Row.Status = LunStatus.Error;
            }
            if (inflight.Count > 0) Commit(inflight, op + "-lun", w => w.Row.ErrorMessage);
        }
    }

    /// <summary>Writes the rows (and, with <paramref name="operation"/>, one audit row each) in one transaction.</summary>
    public void Commit(IEnumerable<LunWork> ws, string? operation, Func<LunWork, string?>? message)
    {
        var list = ws.ToList();
        if (list.Count == 0) return;
        _ctx.Inventory.Transact(t =>
        {
            t.UpdateLuns(list.Select(w => w.Row).ToList());
            if (operation is not null)
                foreach (var w in list)
                    t.WriteAudit(EngineContext.Audit(operation, "lun", w.Row.Name, w.Ok ? AuditOutcome.Success : AuditOutcome.Failure, message?.Invoke(w)));
        });
        foreach (var w in list) w.Outcome.Lun = w.Row;
    }

    /// <summary>Rows as in flight before the plan goes out: a crash leaves rows that say what may exist.</summary>
    public void MarkInFlight(IEnumerable<LunWork> ws, PendingOperation op)
    {
        var list = ws.ToList();
        foreach (var w in list) w.Row.PendingOperation = op;
        Commit(list, null, null);
    }

    /// <summary>Applies a plan with the backend's executor, logging it (redacted) for -Verbose.</summary>
    public async Task<LioApplyResult> ApplyAsync(ITargetHostSession s, IReadOnlyList<LioChange> changes, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        _ctx.Say($"[{s.Backend.Name}] applying {changes.Count} changes ({s.Backend.Executor})");
        foreach (var c in changes) _ctx.Say($"[{s.Backend.Name}]   {c.Describe()}");
        var run = await s.ApplyAsync(changes, ct);
        var failed = run.Changes.Count(c => c.Ok == false || (c.Ok is null && c.Output.Split('\n').Any(l => l.Length > 0 && !Transport.Targetcli.TargetcliSyntax.IsRoutine(l))));
        _ctx.Say($"[{s.Backend.Name}] plan applied in {sw.Elapsed.TotalSeconds:0.0} s ({failed} changes reported errors)");
        return run;
    }

    /// <summary>A check's finding, with what the executor said about the item's changes.</summary>
    public static string Explain(LioProblem problem, LioApplyResult run, params string[] keys)
    {
        var msgs = keys.Append(LioChange.SharedItem).SelectMany(run.MessagesFor).Distinct().ToList();
        return msgs.Count == 0 ? problem.Message : $"{problem.Message}; the target said: {string.Join(" | ", msgs)}";
    }
}
