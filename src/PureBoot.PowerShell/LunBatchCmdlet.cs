using System.Diagnostics;
using System.Management.Automation;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// A cmdlet that gathers pipeline input and sends it in batches of up to <see cref="BatchSize"/> items, so each
/// backend sees one session and one targetcli start per batch. Subclasses check ShouldProcess per item BEFORE
/// calling <see cref="Enqueue"/> (so -WhatIf sends nothing). A batch is sent when full (from ProcessRecord) and at
/// EndProcessing. Every item comes out on its own: an object, or a non-terminating error with a stable id.
/// </summary>
public abstract class LunBatchCmdlet<TItem> : PureBootCmdlet where TItem : notnull
{
    /// <summary>The most items sent to the engine in one call.</summary>
    public const int BatchSize = 250;

    readonly List<(string Name, TItem Item)> _pending = new();
    int _batches, _sent;
    bool _outerShown;

    /// <summary>For progress and -Verbose, e.g. "Creating LUNs".</summary>
    protected abstract string Activity { get; }

    /// <summary>The error id for an item the target did not take (FailureKind.TargetRejected).</summary>
    protected abstract string RejectedErrorId { get; }

    protected abstract Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<TItem> batch, CancellationToken ct);

    /// <summary>Writes what a successful item gives (the default: its Lun).</summary>
    protected virtual void WriteSucceeded(LunOutcome outcome)
    {
        if (outcome.Lun is not null) WriteObject(outcome.Lun);
    }

    protected override int ParentProgressId => _outerShown ? OuterProgressId : -1;

    /// <summary>Queues one item (already confirmed by ShouldProcess); sends the batch when it is full.</summary>
    protected void Enqueue(string name, TItem item)
    {
        _pending.Add((name, item));
        if (_pending.Count >= BatchSize) Flush();
    }

    protected override void EndProcessing()
    {
        Flush();
        if (_outerShown)
        {
            _outerShown = false;
            TryWriteProgress(new ProgressRecord(OuterProgressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
        base.EndProcessing();
    }

    void Flush()
    {
        if (_pending.Count == 0) return;
        var batch = _pending.ToList();
        _pending.Clear();
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
            foreach (var b in batch) WriteFailure(e, b.Name);
            return;
        }
        _sent += batch.Count;
        WriteVerbose($"{Activity}: batch {_batches} done in {sw.Elapsed.TotalSeconds:0.00} s: {outcomes.Count(o => o.Succeeded)} succeeded, {outcomes.Count(o => !o.Succeeded)} failed");
        foreach (var o in outcomes)
        {
            foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
            if (o.Succeeded) WriteSucceeded(o);
            else WriteError(PureBootErrors.FromOutcome(o, RejectedErrorId, ParameterNames));
        }
    }
}
