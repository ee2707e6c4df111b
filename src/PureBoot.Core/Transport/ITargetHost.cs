using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport;

/// <summary>Opens sessions on a backend's storage host.</summary>
public interface ITargetHostConnector
{
    /// <summary>Opens one session: one shell (one SSH connection), holding the host's PureBoot lock until disposed.</summary>
    Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default);
}

/// <summary>
/// One conversation with a storage host under its exclusive lock. Core reads the live state, decides
/// (LUN indexes, names), sends host steps and one LIO plan per batch, and reads the saved config back,
/// all without letting go of the lock. Every method may throw <see cref="TargetHostException"/>.
/// </summary>
public interface ITargetHostSession : IAsyncDisposable
{
    Backend Backend { get; }

    /// <summary>The live LIO state (configfs, via rtslib), the saveconfig path, sessions and the storage listing.</summary>
    Task<HostSnapshot> SnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs shell steps in order; a failed step does not stop the ones after it.</summary>
    Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a plan with the backend's executor (rtslib in this session, or one targetcli start), saves the
    /// configuration, and returns what each change reported and the saved config read back. Whether a change took
    /// effect is decided from that saved config, never from the executor's word.
    /// </summary>
    Task<LioApplyResult> ApplyAsync(IReadOnlyList<LioChange> changes, CancellationToken cancellationToken = default);

    /// <summary>Starts targetcli once and reports its version (D-Bus and the targetcli install are checked by this).</summary>
    Task<string?> ProbeTargetcliAsync(CancellationToken cancellationToken = default);

    /// <summary>How many targetcli processes this session started (for -Verbose and the benchmark).</summary>
    int TargetcliStarts { get; }

    /// <summary>Request/response exchanges made on this session.</summary>
    int Exchanges { get; }

    /// <summary>Bytes sent to the host on this session (scripts, plans); 0 where nothing goes over a wire.</summary>
    long BytesSent { get; }
}

/// <param name="IncludeSessions">Also read the logged-in iSCSI sessions (from configfs, no targetcli start).</param>
/// <param name="IncludeStorage">Also list the backend's files or logical volumes.</param>
/// <param name="Focus">
/// When set, a host may answer with its saved config in which only these objects (and their TPGs' own settings) are
/// read again from live, after checking the saved file has live's shape (the same storage objects, targets, LUN
/// exports and mapped LUNs); it reads everything when that check fails. For a batch on a few LUNs of a big target.
/// </param>
/// <param name="Probes">
/// Read-only host steps (space and existence probes) run in the same exchange, beside the read: their results come
/// back in <see cref="HostSnapshot.ProbeResults"/>. Saves an exchange, and on a shell host they run while python reads.
/// </param>
public sealed record SnapshotRequest(bool IncludeSessions = false, bool IncludeStorage = true, LiveFocus? Focus = null, IReadOnlyList<HostStep>? Probes = null)
{
    /// <summary>The probes, checked: only steps that change nothing may run beside a read.</summary>
    public IReadOnlyList<HostStep> CheckedProbes() => Probes is null ? Array.Empty<HostStep>()
        : Probes.All(p => p is ProbeSpace or FindMissing or MeasureData) ? Probes
        : throw new ArgumentException("Only probes (ProbeSpace, FindMissing, MeasureData) run beside a live read.", nameof(Probes));
}

/// <summary>What a live read must read fresh: storage objects (plugin, name), TPG LUNs (target, index), node ACLs (target, initiator); TPG 1.</summary>
public sealed record LiveFocus(IReadOnlyList<(string Plugin, string Name)> StorageObjects, IReadOnlyList<(string Target, int Index)> Luns, IReadOnlyList<(string Target, string Initiator)> Acls)
{
    public string ToJson() => new JsonObject
    {
        ["storage_objects"] = new JsonArray(StorageObjects.Select(x => (JsonNode)new JsonArray(x.Plugin, x.Name)).ToArray()),
        ["luns"] = new JsonArray(Luns.Select(x => (JsonNode)new JsonArray(x.Target, 1, x.Index)).ToArray()),
        ["acls"] = new JsonArray(Acls.Select(x => (JsonNode)new JsonArray(x.Target, 1, x.Initiator)).ToArray()),
    }.ToJsonString();
}

/// <summary>A file in the backend's storage directory, or a logical volume in its volume group.</summary>
public sealed record StorageEntry(string Name, long SizeBytes, long AllocatedBytes);

public sealed class HostSnapshot
{
    public required LioConfig Live { get; init; }
    /// <summary>Where rtslib saves the config on this host (found, not guessed).</summary>
    public string? SaveConfigPath { get; init; }
    public IReadOnlyList<StorageEntry> Storage { get; init; } = Array.Empty<StorageEntry>();
    /// <summary>Logged-in initiators, when asked for.</summary>
    public IReadOnlyList<IscsiSession> Sessions { get; init; } = Array.Empty<IscsiSession>();
    public string? TargetcliVersion { get; init; }
    /// <summary>Why the storage listing is missing (no such directory or volume group), if it is.</summary>
    public string? StorageError { get; init; }
    /// <summary>The results of the request's probes, in their order.</summary>
    public IReadOnlyList<StepResult> ProbeResults { get; init; } = Array.Empty<StepResult>();
}

/// <summary>What one change reported. Ok is null when the executor cannot tell (targetcli prints, it does not answer).</summary>
public sealed record LioChangeResult(LioChange Change, bool? Ok, string Output);

/// <summary>The outcome of applying one plan: per-change reports and the saved configuration read back.</summary>
public sealed class LioApplyResult
{
    public required IReadOnlyList<LioChangeResult> Changes { get; init; }
    /// <summary>The saved config read back after the save.</summary>
    public required LioConfig Saved { get; init; }
    public LioExecutorKind Executor { get; init; }
    public TimeSpan Elapsed { get; init; }
    /// <summary>Output not tied to one change (banner, wrapper, save), redacted.</summary>
    public string OtherOutput { get; init; } = "";

    /// <summary>The messages an item's changes printed, less the executor's routine confirmations, redacted.</summary>
    public IEnumerable<string> MessagesFor(string itemKey) =>
        Changes.Where(c => c.Change.Item == itemKey && c.Ok != true)
               .SelectMany(c => c.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
               .Where(m => !Targetcli.TargetcliSyntax.IsRoutine(m))
               .Select(Redaction.RedactText);
}

/// <summary>A transport or host failure: names the host; never holds a secret.</summary>
public class TargetHostException : Exception
{
    public string Host { get; }
    public TargetHostFailure Failure { get; }
    public TargetHostException(string host, TargetHostFailure failure, string message, Exception? inner = null)
        : base(message, inner) { Host = host; Failure = failure; }
}

public enum TargetHostFailure
{
    Unreachable, HostKeyRejected, AuthenticationFailed, SudoRefused, LockTimeout, Timeout, TargetcliMissing, TargetcliFailed,
    DbusUnavailable, ProtocolError,
    /// <summary>The SSH user may not take PureBoot's lock or change LIO: it needs root (or -UseSudo).</summary>
    NeedsRoot,
    /// <summary>rtslib-fb is missing on the host, or its python failed as a whole.</summary>
    RtslibFailed,
}
