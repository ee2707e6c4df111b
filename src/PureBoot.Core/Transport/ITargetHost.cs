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
/// (LUN indexes, names), sends host steps and one targetcli script per batch, and reads the saved config back,
/// all without letting go of the lock. Every method may throw <see cref="TargetHostException"/>.
/// </summary>
public interface ITargetHostSession : IAsyncDisposable
{
    Backend Backend { get; }

    /// <summary>The live LIO state (configfs, via rtslib), the saveconfig path, and the storage listing.</summary>
    Task<HostSnapshot> SnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs shell steps in order; a failed step does not stop the ones after it.</summary>
    Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken cancellationToken = default);

    /// <summary>
    /// One targetcli start: the session wraps the lines in <c>set global auto_save_on_exit=false</c> ...
    /// <c>saveconfig</c>, feeds them on stdin, and returns each line's output and the saved config read back.
    /// </summary>
    Task<TargetcliRun> RunTargetcliAsync(IReadOnlyList<TargetcliLine> lines, CancellationToken cancellationToken = default);

    /// <summary>How many targetcli processes this session started (for -Verbose and the benchmark).</summary>
    int TargetcliStarts { get; }

    /// <summary>Request/response exchanges made on this session.</summary>
    int Exchanges { get; }
}

public sealed record SnapshotRequest(bool IncludeSessions = false, bool IncludeStorage = true);

/// <summary>A file in the backend's storage directory, or a logical volume in its volume group.</summary>
public sealed record StorageEntry(string Name, long SizeBytes, long AllocatedBytes);

public sealed class HostSnapshot
{
    public required LioConfig Live { get; init; }
    /// <summary>Where rtslib saves the config on this host (found, not guessed).</summary>
    public string? SaveConfigPath { get; init; }
    public IReadOnlyList<StorageEntry> Storage { get; init; } = Array.Empty<StorageEntry>();
    /// <summary>Output of <c>targetcli sessions detail</c>, when asked for.</summary>
    public string? SessionsDetail { get; init; }
    public string? TargetcliVersion { get; init; }
    /// <summary>Why the storage listing is missing (no such directory or volume group), if it is.</summary>
    public string? StorageError { get; init; }
}

/// <summary>One targetcli command line, tied to the batch item it serves.</summary>
public sealed record TargetcliLine(string ItemKey, string Text)
{
    /// <summary>The line with CHAP secrets replaced, for logs and -Verbose.</summary>
    public string Redacted => Redaction.RedactTargetcliLine(Text);
    public override string ToString() => Redacted;
}

/// <summary>
/// What one line printed. targetcli runs with stdout and stderr merged (and unbuffered), so the text after the
/// line's prompt holds both its confirmations and its error; whether the line worked is decided from the state
/// read back, never from this text.
/// </summary>
public sealed record TargetcliLineResult(TargetcliLine Line, string Output);

public sealed class TargetcliRun
{
    public required IReadOnlyList<TargetcliLineResult> Lines { get; init; }
    public int ExitCode { get; init; }
    /// <summary>The saved config read back after <c>saveconfig</c>.</summary>
    public required LioConfig Saved { get; init; }
    public TimeSpan Elapsed { get; init; }
    /// <summary>Output not tied to one of the given lines (banner, wrapper lines, saveconfig), redacted.</summary>
    public string OtherOutput { get; init; } = "";

    /// <summary>The messages an item's lines printed, less targetcli's routine confirmations.</summary>
    public IEnumerable<string> MessagesFor(string itemKey) =>
        Lines.Where(l => l.Line.ItemKey == itemKey)
             .SelectMany(l => l.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
             .Where(m => !TargetcliText.IsRoutine(m))
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

public enum TargetHostFailure { Unreachable, HostKeyRejected, AuthenticationFailed, SudoRefused, LockTimeout, Timeout, TargetcliMissing, TargetcliFailed, DbusUnavailable, ProtocolError }
