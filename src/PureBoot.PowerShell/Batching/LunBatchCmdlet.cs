using System.Diagnostics;
using System.Management.Automation;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// A cmdlet that takes many items and sends them in batches of up to <see cref="BatchSize"/>, so each backend sees
/// one session per batch. The scheduled-script contract:
/// <list type="number">
/// <item>Each item is checked through Core as it arrives (<see cref="Check"/>: names, sizes, that the backend, node or
/// LUN exists, that the name is free, ...; the same checks the real run makes first). A failed check is written at
/// once: under -ErrorAction Stop the command ends there and nothing has been sent. Under -WhatIf the checks run too.</item>
/// <item>Items that passed (and ShouldProcess) are queued; at the end they are sent, 250 at a time.</item>
/// <item>Per batch, the successes are written first, then the failures (each an error with a stable id).</item>
/// <item>-SummaryVariable receives a <see cref="BatchSummary"/>: ok/failed counts and every item's result (under
/// -WhatIf: the plan).</item>
/// </list>
/// </summary>
public abstract class LunBatchCmdlet<TItem> : PureBootCmdlet where TItem : notnull
{
    /// <summary>The most items sent to the engine in one call.</summary>
    public const int BatchSize = 250;

    /// <summary>The name of a variable (without $) that receives the command's <see cref="BatchSummary"/>.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SummaryVariable { get; set; }

    readonly List<(string Name, TItem Item, BatchItemResult Result)> _pending = new();
    BatchSummary? _summary;
    int _batches, _sent;
    bool _outerShown;

    /// <summary>For progress and -Verbose, e.g. "Creating LUNs".</summary>
    protected abstract string Activity { get; }

    /// <summary>The error id for an item the target did not take (FailureKind.TargetRejected).</summary>
    protected abstract string RejectedErrorId { get; }

    protected abstract Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<TItem> batch, CancellationToken ct);

    /// <summary>Core's check of one item (nothing sent, nothing written). Null: the item is only checked when sent.</summary>
    protected virtual IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, TItem item) => null;

    /// <summary>An item that passed its check, under -WhatIf (a cmdlet that writes a plan collects it here).</summary>
    protected virtual void OnPlanned(TItem item) { }

    /// <summary>Writes what a successful item gives (the default: its Lun).</summary>
    protected virtual void WriteSucceeded(LunOutcome outcome)
    {
        if (outcome.Lun is not null) WriteObject(outcome.Lun);
    }

    protected override int ParentProgressId => _outerShown ? OuterProgressId : -1;

    /// <summary>The summary; the variable is set as soon as it exists, so it is there even when -ErrorAction Stop ends the command early.</summary>
    BatchSummary Summary
    {
        get
        {
            if (_summary is not null) return _summary;
            _summary = new BatchSummary { Command = MyInvocation.MyCommand.Name, WhatIf = IsWhatIf };
            if (SummaryVariable is not null) SessionState.PSVariable.Set(SummaryVariable, _summary);
            return _summary;
        }
    }

    /// <summary>
    /// Checks one item through Core now, then asks ShouldProcess (<paramref name="target"/>, <paramref name="action"/>),
    /// then queues it. A failed check is written at once and the item is not queued.
    /// </summary>
    protected void Submit(string name, TItem item, string target, string action)
    {
        var result = new BatchItemResult { Name = name };
        Summary.Items.Add(result);
        IReadOnlyList<LunOutcome>? checkd;
        try { checkd = Check(Engine, item); }
        catch (Exception e) when (IsReportable(e))
        {
            var record = PureBootErrors.FromException(e, name, ParameterNames);
            result.Fail(record);
            WriteError(record);
            return;
        }
        if (checkd?.FirstOrDefault(o => !o.Succeeded) is { } failed)
        {
            var record = PureBootErrors.FromOutcome(failed, RejectedErrorId, ParameterNames);
            result.Fail(record);
            WriteError(record);
            return;
        }
        var unchanged = checkd is { Count: > 0 } && checkd.All(o => o.Unchanged);
        result.Object = checkd?.FirstOrDefault()?.Lun;
        if (!ShouldProcess(target, unchanged ? action + " (already as asked: nothing to change)" : action))
        {
            result.State = IsWhatIf ? (unchanged ? BatchItemState.Unchanged : BatchItemState.Planned) : BatchItemState.Declined;
            if (IsWhatIf) OnPlanned(item);
            return;
        }
        _pending.Add((name, item, result));
    }

    /// <summary>Queues one item that the caller checked and confirmed itself.</summary>
    protected void Enqueue(string name, TItem item)
    {
        var result = new BatchItemResult { Name = name };
        Summary.Items.Add(result);
        _pending.Add((name, item, result));
    }

    protected override void EndProcessing()
    {
        try
        {
            for (var i = 0; i < _pending.Count; i += BatchSize)
                Send(_pending.Skip(i).Take(BatchSize).ToList());
        }
        finally
        {
            if (_outerShown)
            {
                _outerShown = false;
                TryWriteProgress(new ProgressRecord(OuterProgressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
        if (_summary is not null) WriteVerbose(_summary.ToString());
        else if (SummaryVariable is not null) _ = Summary;   // no input at all: an empty summary
        base.EndProcessing();
    }

    void Send(List<(string Name, TItem Item, BatchItemResult Result)> batch)
    {
        _batches++;
        _outerShown = true;
        TryWriteProgress(new ProgressRecord(OuterProgressId, Activity, $"Batch {_batches}: {batch.Count} items ({_sent} sent before)"));
        WriteVerbose($"{Activity}: sending batch {_batches} of {batch.Count} items: {string.Join(", ", batch.Take(10).Select(b => b.Name))}{(batch.Count > 10 ? ", ..." : "")}");
        var sw = Stopwatch.StartNew();
        IReadOnlyList<LunOutcome> outcomes;
        try
        {
            outcomes = RunEngine((engine, ct) => SendAsync(engine, batch.Select(b => b.Item).ToList(), ct), Activity);
        }
        catch (Exception e) when (IsReportable(e))
        {
            // The whole call failed (e.g. the inventory is unreadable): every item of the batch gets the error.
            foreach (var b in batch)
            {
                var record = PureBootErrors.FromException(e, b.Name, ParameterNames, RejectedErrorId);
                b.Result.Fail(record);
                WriteError(record);
            }
            return;
        }
        _sent += batch.Count;
        WriteVerbose($"{Activity}: batch {_batches} done in {sw.Elapsed.TotalSeconds:0.00} s: {outcomes.Count(o => o.Succeeded)} succeeded, {outcomes.Count(o => !o.Succeeded)} failed");
        var paired = Pair(batch, outcomes);
        foreach (var (_, o) in paired)
            foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
        // Successes first, then failures: a script that stops at the first error has seen every LUN that was made.
        foreach (var (r, o) in paired.Where(p => p.Outcome.Succeeded))
        {
            r.State = o.Unchanged ? BatchItemState.Unchanged : BatchItemState.Done;
            r.Object = o.Lun;
            WriteSucceeded(o);
        }
        foreach (var (r, o) in paired.Where(p => !p.Outcome.Succeeded))
        {
            var record = PureBootErrors.FromOutcome(o, RejectedErrorId, ParameterNames);
            r.Fail(record);
            r.Object = o.Lun;
            WriteError(record);
        }
    }

    /// <summary>Each outcome with its item's result: outcomes come back in request order, one each.</summary>
    static List<(BatchItemResult Result, LunOutcome Outcome)> Pair(List<(string Name, TItem Item, BatchItemResult Result)> batch, IReadOnlyList<LunOutcome> outcomes)
    {
        if (outcomes.Count == batch.Count) return batch.Select((b, i) => (b.Result, outcomes[i])).ToList();
        var byName = outcomes.GroupBy(o => o.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        return batch.Where(b => byName.ContainsKey(b.Name)).Select(b => (b.Result, byName[b.Name])).ToList();
    }
}
