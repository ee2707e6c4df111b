namespace PureBoot.Core.Lio;

/// <summary>One LUN a logged-in initiator sees: its mapped LUN index and the storage object behind it.</summary>
public sealed record SessionLun(int MappedLun, string StorageObject);

/// <summary>An initiator logged in to a target, read from configfs (rtslib's NodeACL.session) in the state dump.</summary>
public sealed class IscsiSession
{
    public string TargetIqn { get; init; } = "";
    public string InitiatorIqn { get; init; } = "";
    public int? Sid { get; init; }
    /// <summary>LIO's session state, e.g. LOGGED_IN.</summary>
    public string State { get; init; } = "";
    public bool? Authenticated { get; init; }
    public IReadOnlyList<SessionLun> Luns { get; init; } = Array.Empty<SessionLun>();
    public IReadOnlyList<string> Addresses { get; init; } = Array.Empty<string>();

    /// <summary>True when the session sees the storage object at this path (e.g. /backstores/fileio/web01).</summary>
    public bool Sees(string storageObjectPath) => Luns.Any(l => l.StorageObject == storageObjectPath);

    public override string ToString() => $"{InitiatorIqn} on {TargetIqn} ({State})";
}
