using System.Diagnostics;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

public sealed class BackendTestReport
{
    public required string Backend { get; init; }
    public required string Endpoint { get; init; }
    public LioExecutorKind Executor { get; init; }
    public bool Reachable { get; init; }
    public bool? Sudo { get; init; }
    public string? TargetcliVersion { get; init; }
    public bool Configfs { get; init; }
    /// <summary>Whether targetcli can start (it needs D-Bus). Null when not checked: the rtslib executor does not start targetcli.</summary>
    public bool? DBus { get; init; }
    public string? SaveConfigPath { get; init; }
    public bool Storage { get; init; }
    public string? StorageDetail { get; init; }
    public string? Error { get; init; }
    /// <summary>How this backend clones images and snapshots (Reflink, SparseCopy, ThinSnapshot, or None), detected on the host.</summary>
    public CloneMethod CloneMethod { get; init; } = CloneMethod.None;
    /// <summary>The backend's space (filesystem, or volume group and thin pool) and its fill limit.</summary>
    public BackendSpace? Space { get; init; }
    public TimeSpan Elapsed { get; init; }
    public bool Passed => Reachable && Configfs && DBus != false && Storage && Error is null;
}

/// <summary>Test-IscsiBackend: checks a backend end to end without changing it (SSH, sudo, configfs via rtslib, storage, and targetcli when it is the executor).</summary>
internal sealed class TestBackend(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    public async Task<BackendTestReport> RunAsync(string backendName, CancellationToken ct)
    {
        var b = _ctx.Backend(backendName);
        var sw = Stopwatch.StartNew();
        BackendTestReport Report(bool reachable, string? error, bool? sudo = null) => new()
        {
            Backend = b.Name, Endpoint = b.Endpoint, Executor = b.Executor, Reachable = reachable, Sudo = sudo ?? (b.UseSudo && reachable ? true : null), Error = error, Elapsed = sw.Elapsed,
        };
        ITargetHostSession? s = null;
        try
        {
            s = await _ctx.Connector.OpenAsync(b, ct);
            HostSnapshot snap;
            try { snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: true), ct); }
            catch (TargetHostException e) { return Report(true, e.Message); }
            string? targetcliError = null;
            string? version = snap.TargetcliVersion;
            if (b.Executor == LioExecutorKind.Targetcli)
            {
                try { version = await s.ProbeTargetcliAsync(ct) ?? version; }
                catch (TargetHostException e) { targetcliError = e.Message; }
            }
            BackendSpace? space = null;
            try { space = await Capacity.ReadAsync(s, b, ct); }
            catch (TargetHostException e) { targetcliError ??= e.Message; }
            var poolProblem = b.ThinPool is not null ? space?.Problem : null;
            return new BackendTestReport
            {
                CloneMethod = space?.CloneMethod ?? CloneMethod.None, Space = space,
                Backend = b.Name, Endpoint = b.Endpoint, Executor = b.Executor, Reachable = true, Sudo = b.UseSudo ? true : null,
                TargetcliVersion = version, Configfs = true, DBus = b.Executor == LioExecutorKind.Targetcli ? targetcliError is null : null,
                SaveConfigPath = snap.SaveConfigPath, Storage = snap.StorageError is null && poolProblem is null,
                StorageDetail = snap.StorageError ?? poolProblem ?? $"{b.StoragePath}: {snap.Storage.Count} {(b.Storage == StorageKind.FileIO ? "files" : "logical volumes")}"
                    + (space is null ? "" : $"; clones by {space.CloneMethod}{(space.CloneDetail is null ? "" : $" ({space.CloneDetail})")}; {(space.FillPercent is { } f ? $"{f:0.##}% full" : "fill unknown")}, limit {b.MaxFillPercent}%"),
                Error = targetcliError, Elapsed = sw.Elapsed,
            };
        }
        catch (TargetHostException e)
        {
            var reachable = e.Failure is not (TargetHostFailure.Unreachable or TargetHostFailure.HostKeyRejected or TargetHostFailure.AuthenticationFailed);
            return Report(reachable, e.Message, e.Failure == TargetHostFailure.SudoRefused ? false : null);
        }
        finally { if (s is not null) await s.DisposeAsync(); }
    }
}
