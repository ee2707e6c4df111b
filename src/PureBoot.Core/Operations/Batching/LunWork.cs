using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>One item of a batch on its way through a use case: its row, its outcome, and what the batch learned.</summary>
internal sealed class LunWork
{
    public required LunOutcome Outcome { get; init; }
    public required Lun Row { get; set; }
    public required Backend Backend { get; init; }
    public bool Ok => Outcome.Succeeded;
    /// <summary>Ties LIO changes and host steps to this item.</summary>
    public string Key => Row.Name;
    /// <summary>The LUN's CHAP credential in plain text, memory only, for this batch.</summary>
    public ChapSettings? Chap { get; set; }
    /// <summary>This batch made the node's ACL (so a failure removes it again).</summary>
    public bool CreatedAcl { get; set; }
    /// <summary>Create-and-assign: the node the new LUN goes to in the same plan.</summary>
    public Node? AssignTo { get; init; }
    /// <summary>The request a use case keeps with the item (remove's options, ...).</summary>
    public object? Request { get; init; }

    public void Fail(FailureKind kind, string message) => Outcome.Fail(kind, message);
}
