using System.Management.Automation;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// New-IscsiNode and New-IscsiBackend under the same contract as the LUN batches (<see cref="LunBatchCmdlet{TItem}"/>),
/// for inventory rows: each piped item (a CSV of nodes) is checked through Core as it arrives and a failed check is
/// written at once (under -ErrorAction Stop nothing has been written yet); the rows are written at the end, successes
/// before failures; -SummaryVariable receives the <see cref="BatchSummary"/>.
/// </summary>
public abstract class CatalogBatchCmdlet<TItem, TResult> : PureBootCmdlet where TResult : class
{
    /// <summary>The name of a variable (without $) that receives the command's <see cref="BatchSummary"/>.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SummaryVariable { get; set; }

    readonly List<(string Name, TItem Item, BatchItemResult Result)> _pending = new();
    BatchSummary? _summary;

    /// <summary>What adding would do, nothing written; throws as adding would.</summary>
    protected abstract CatalogCheck<TResult> Check(PureBootEngine engine, TItem item);

    protected abstract TResult Add(PureBootEngine engine, TItem item);

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

    /// <summary>Checks the item now, asks ShouldProcess, and queues it for EndProcessing.</summary>
    protected void Submit(string name, TItem item, string target, string action)
    {
        var result = new BatchItemResult { Name = name };
        Summary.Items.Add(result);
        CatalogCheck<TResult> check;
        try { check = Check(Engine, item); }
        catch (Exception e) when (IsReportable(e))
        {
            var record = PureBootErrors.FromException(e, name, ParameterNames);
            result.Fail(record);
            WriteError(record);
            return;
        }
        result.Object = check.Object;
        if (!ShouldProcess(target, check.Unchanged ? action + " (it exists as asked: nothing to change)" : action))
        {
            result.State = IsWhatIf ? (check.Unchanged ? BatchItemState.Unchanged : BatchItemState.Planned) : BatchItemState.Declined;
            return;
        }
        _pending.Add((name, item, result));
    }

    protected override void EndProcessing()
    {
        var failures = new List<(BatchItemResult Result, ErrorRecord Record)>();
        foreach (var (name, item, result) in _pending)
        {
            try
            {
                var existed = Check(Engine, item).Unchanged;
                result.Object = Add(Engine, item);
                result.State = existed ? BatchItemState.Unchanged : BatchItemState.Done;
            }
            catch (Exception e) when (IsReportable(e)) { failures.Add((result, PureBootErrors.FromException(e, name, ParameterNames))); }
        }
        // Successes first, then failures.
        foreach (var (_, _, r) in _pending.Where(p => p.Result.State is BatchItemState.Done or BatchItemState.Unchanged)) WriteObject(r.Object);
        foreach (var (r, record) in failures)
        {
            r.Fail(record);
            WriteError(record);
        }
        if (_summary is not null) WriteVerbose(_summary.ToString());
        else if (SummaryVariable is not null) _ = Summary;
        base.EndProcessing();
    }
}
