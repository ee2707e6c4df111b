using System.Management.Automation;

namespace PureBoot.PowerShell;

/// <summary>What became of one item of a command's input.</summary>
public enum BatchItemState : long
{
    /// <summary>Sent and done as asked.</summary>
    Done,
    /// <summary>Already as asked (e.g. -IfNotExists found it): nothing was changed.</summary>
    Unchanged,
    /// <summary>Refused by a check (written as an error on arrival) or by the target.</summary>
    Failed,
    /// <summary>-WhatIf: passed every check and would be sent.</summary>
    Planned,
    /// <summary>-Confirm answered No: not sent.</summary>
    Declined,
}

/// <summary>One item of a <see cref="BatchSummary"/>.</summary>
public sealed class BatchItemResult
{
    public required string Name { get; init; }
    public BatchItemState State { get; internal set; }
    /// <summary>For a failed item: its error id (PureBoot.NotFound, PureBoot.LunCreateFailed, ...), category and message.</summary>
    public string? ErrorId { get; internal set; }
    public string? Category { get; internal set; }
    public string? Message { get; internal set; }
    /// <summary>The object as written (for -WhatIf: as it is now or would be); null when there is none.</summary>
    public object? Object { get; internal set; }

    internal void Fail(ErrorRecord r)
    {
        State = BatchItemState.Failed;
        ErrorId = r.FullyQualifiedErrorId.Split(',')[0];
        Category = r.CategoryInfo.Category.ToString();
        Message = r.ErrorDetails?.Message ?? r.Exception.Message;
    }

    public override string ToString() => $"{Name}: {State}{(Message is null ? "" : ": " + Message)}";
}

/// <summary>
/// The end of a command that takes many items (-SummaryVariable): how many went through, and each item's result.
/// Successes come out of the pipeline and failures as errors; the summary is the one place that has both.
/// </summary>
public sealed class BatchSummary
{
    public required string Command { get; init; }
    /// <summary>True when the command ran with -WhatIf: the summary is the plan (Planned items would be sent).</summary>
    public bool WhatIf { get; init; }
    public List<BatchItemResult> Items { get; } = new();
    public int Total => Items.Count;
    /// <summary>Done or Unchanged.</summary>
    public int Ok => Items.Count(i => i.State is BatchItemState.Done or BatchItemState.Unchanged);
    public int Failed => Items.Count(i => i.State == BatchItemState.Failed);
    public int Unchanged => Items.Count(i => i.State == BatchItemState.Unchanged);
    public int Planned => Items.Count(i => i.State == BatchItemState.Planned);
    public int Declined => Items.Count(i => i.State == BatchItemState.Declined);
    public bool Succeeded => Failed == 0;

    public override string ToString() =>
        $"{Command}: {Ok} ok ({Unchanged} unchanged), {Failed} failed{(WhatIf ? $", {Planned} planned (WhatIf)" : "")}{(Declined > 0 ? $", {Declined} declined" : "")}";
}
