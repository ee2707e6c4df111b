using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>Why an item failed; the PowerShell layer maps these to ErrorCategory and stable error ids.</summary>
public enum FailureKind : long
{
    InvalidArgument, NotFound,
    /// <summary>The object's state or use forbids the change (assigned, Creating, still has LUNs, ...).</summary>
    Conflict,
    TargetRejected, HostUnavailable, SecretUnavailable,
    /// <summary>An object of that name already exists and differs from what was asked.</summary>
    AlreadyExists,
    /// <summary>The backend's thin pool or filesystem would fill beyond its MaxFillPercent: nothing was made.</summary>
    InsufficientSpace,
}

/// <summary>The outcome of one item of a batch. Failed items carry a message that never holds a secret.</summary>
public sealed class LunOutcome
{
    public required string Name { get; init; }
    public Lun? Lun { get; set; }
    /// <summary>The snapshot an item made, restored or removed (Checkpoint-, Restore-, Remove-IscsiLunSnapshot, rollouts).</summary>
    public LunSnapshot? Snapshot { get; set; }
    /// <summary>The image version an item registered or removed (New-/Remove-IscsiImage).</summary>
    public DiskImage? Image { get; set; }
    public bool Succeeded => Failure is null;
    public FailureKind? Failure { get; set; }
    public string? Error { get; set; }
    /// <summary>For InvalidArgument: Core's name of the offending value, and what is wrong without naming it.</summary>
    public string? Parameter { get; set; }
    public string? Reason { get; set; }
    /// <summary>Set on Remove: the row no longer exists.</summary>
    public bool Removed { get; set; }
    /// <summary>True when nothing had to change (the object already was as asked).</summary>
    public bool Unchanged { get; set; }
    /// <summary>Non-fatal remarks (e.g. a backing file kept because another storage object uses it).</summary>
    public List<string> Warnings { get; } = new();

    internal void Fail(FailureKind kind, string message)
    {
        if (Failure is not null) { Error += "; " + message; return; }
        Failure = kind; Error = message;
    }

    public override string ToString() => Succeeded ? $"{Name}: ok" : $"{Name}: {Failure}: {Error}";
}

/// <summary>Progress of a batch, for Write-Progress.</summary>
public sealed record BatchProgress(string Activity, string Status, int PercentComplete);
