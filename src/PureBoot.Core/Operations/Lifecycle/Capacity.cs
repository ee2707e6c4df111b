using System.Globalization;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Reads a backend's space and clone method from the host (one <see cref="ProbeSpace"/> step) and refuses provisioning
/// that would fill it beyond the backend's MaxFillPercent. A thin pool must never fill silently: when its data or
/// metadata would pass the limit, nothing of the batch is made.
/// </summary>
internal static class Capacity
{
    /// <summary>Everything the backend reports (status, Test-IscsiBackend, Get-IscsiBackendSpace).</summary>
    public static ProbeSpace Probe(Backend b) => new(LioChange.SharedItem, b.Storage == StorageKind.FileIO, b.StoragePath, b.EffectiveImageDirectory, b.ThinPool);

    /// <summary>What a provisioning guard (<see cref="Ensure"/>) reads: on a thin pool only the pool's fill, not the volume group's.</summary>
    public static ProbeSpace Guard(Backend b) => Probe(b) with { PoolOnly = b.ThinPool is not null };

    public static async Task<BackendSpace> ReadAsync(ITargetHostSession s, Backend b, CancellationToken ct) => await ReadAsync(s, Probe(b), b, ct);

    /// <summary>The space a provisioning guard checks (<see cref="Guard"/>).</summary>
    public static async Task<BackendSpace> ReadGuardAsync(ITargetHostSession s, Backend b, CancellationToken ct) => await ReadAsync(s, Guard(b), b, ct);

    static async Task<BackendSpace> ReadAsync(ITargetHostSession s, ProbeSpace probe, Backend b, CancellationToken ct) =>
        Of(b, (await s.RunStepsAsync(new HostStep[] { probe }, ct))[0]);

    /// <summary>The space from a live read that carried the probe (<see cref="SnapshotRequest.Probes"/>), else the guard's read now.</summary>
    public static async Task<BackendSpace> ReadAsync(ITargetHostSession s, Backend b, HostSnapshot snap, CancellationToken ct) =>
        snap.ProbeResults.FirstOrDefault(r => r.Step is ProbeSpace) is { } r ? Of(b, r) : await ReadGuardAsync(s, b, ct);

    static BackendSpace Of(Backend b, StepResult r) => Parse(b, r.Ok ? r.Message : "", r.Ok ? null : r.Message);

    public static BackendSpace Parse(Backend b, string output, string? error)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[]? Line(string key) => lines.Where(l => l.StartsWith(key + " ", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).FirstOrDefault();
        if (error is not null) return new BackendSpace { Backend = b.Name, Storage = b.Storage, MaxFillPercent = b.MaxFillPercent, CloneMethod = CloneMethod.None, Problem = error };
        if (b.Storage == StorageKind.FileIO)
        {
            var df = Line("df");
            var clone = Line("clone");
            var method = clone?.FirstOrDefault() switch { "reflink" => CloneMethod.Reflink, "copy" => CloneMethod.SparseCopy, _ => CloneMethod.None };
            return new BackendSpace
            {
                Backend = b.Name, Storage = b.Storage, MaxFillPercent = b.MaxFillPercent, FilesystemType = Line("fs")?.FirstOrDefault(),
                SizeBytes = Num(df, 0), UsedBytes = Num(df, 1), FreeBytes = Num(df, 2), CloneMethod = method,
                CloneDetail = method switch
                {
                    CloneMethod.Reflink => "FICLONE (cp --reflink=always)",
                    CloneMethod.SparseCopy => "sparse copy: the filesystem did not reflink" + (clone!.Length > 1 ? $" ({string.Join(' ', clone.Skip(1))})" : ""),
                    _ => clone is null ? null : string.Join(' ', clone.Skip(1)),
                },
                Problem = df is null ? "df printed nothing for " + b.StoragePath : null,
            };
        }
        var vg = Line("vg");
        var pool = Line("pool");
        string? problem = null;
        long? vgSize = Num(vg, 0), vgFree = Num(vg, 1);
        // A pool-only probe (Guard) prints no "vg" line: the volume group's figures stay unknown.
        if (vgSize is null && !(vg is null && pool is not null && b.ThinPool is not null)) problem = $"volume group {b.StoragePath}: {string.Join(' ', vg ?? Array.Empty<string>())}".Trim();
        long? poolSize = null; double? data = null, meta = null;
        if (b.ThinPool is not null)
        {
            poolSize = Num(pool, 0); data = Pct(pool, 1); meta = Pct(pool, 2);
            var seg = pool is { Length: >= 4 } ? pool[3] : null;
            if (poolSize is null || data is null) problem ??= $"thin pool {b.StoragePath}/{b.ThinPool}: {string.Join(' ', pool ?? Array.Empty<string>())}".Trim();
            else if (seg != "thin-pool") problem ??= $"{b.StoragePath}/{b.ThinPool} is not a thin pool (segment type {seg})";
        }
        return new BackendSpace
        {
            Backend = b.Name, Storage = b.Storage, MaxFillPercent = b.MaxFillPercent, SizeBytes = vgSize, FreeBytes = vgFree,
            UsedBytes = vgSize - vgFree, ThinPool = b.ThinPool, ThinPoolSizeBytes = poolSize, ThinPoolDataPercent = data, ThinPoolMetadataPercent = meta,
            CloneMethod = b.ThinPool is not null && problem is null ? CloneMethod.ThinSnapshot : CloneMethod.None,
            CloneDetail = b.ThinPool is null ? "no thin pool (Set-IscsiBackend -ThinPool)" : $"thin snapshots in {b.StoragePath}/{b.ThinPool}",
            Problem = problem,
        };
    }

    static long? Num(string[]? f, int i) => f is not null && f.Length > i && long.TryParse(f[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    static double? Pct(string[]? f, int i) => f is not null && f.Length > i && double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>
    /// Throws <see cref="InsufficientSpaceException"/> when adding <paramref name="addBytes"/> of data would take the
    /// backend beyond its limit (thin pool data or metadata, the FileIO filesystem, or the volume group's free space).
    /// </summary>
    public static void Ensure(Backend b, BackendSpace space, long addBytes, string parameter)
    {
        string Limit() => $"over the backend's limit of {b.MaxFillPercent}% (MaxFillPercent)";
        string Fix(string grow) => $"Nothing was provisioned. {grow}, remove LUNs, snapshots or images, or raise the limit (Set-IscsiBackend {b.Name} -MaxFillPercent N).";
        string P(double v) => v.ToString("0.##", CultureInfo.InvariantCulture) + "%";
        if (space.Problem is not null)
            throw new InsufficientSpaceException(b.Name, parameter, $"Backend '{b.Name}': its space could not be read ({space.Problem}); nothing was provisioned.");
        if (b.Storage == StorageKind.FileIO)
        {
            if (space.SizeBytes is not > 0 || space.UsedBytes is not { } used) return;
            var after = 100.0 * (used + addBytes) / space.SizeBytes.Value;
            if (after > b.MaxFillPercent)
                throw new InsufficientSpaceException(b.Name, parameter,
                    $"Backend '{b.Name}': the filesystem of {b.StoragePath} is {P(100.0 * used / space.SizeBytes.Value)} full; this would take it to {P(after)}, {Limit()}. {Fix("Grow the filesystem")}");
            return;
        }
        if (b.ThinPool is not null)
        {
            var data = (space.ThinPoolDataPercent ?? 0) + (space.ThinPoolSizeBytes is > 0 ? 100.0 * addBytes / space.ThinPoolSizeBytes.Value : 0);
            var meta = space.ThinPoolMetadataPercent ?? 0;
            if (data > b.MaxFillPercent || meta > b.MaxFillPercent)
                throw new InsufficientSpaceException(b.Name, parameter,
                    $"Backend '{b.Name}': thin pool {b.StoragePath}/{b.ThinPool} is at {P(space.ThinPoolDataPercent ?? 0)} data and {P(meta)} metadata; this would take it to {P(data)} data, {Limit()}. "
                    + Fix($"Extend the pool (lvextend -L +SIZE {b.StoragePath}/{b.ThinPool}{(meta > b.MaxFillPercent ? $", or its metadata: lvextend --poolmetadatasize +SIZE {b.StoragePath}/{b.ThinPool}" : "")})"));
            return;
        }
        if (space.FreeBytes is { } free && addBytes > free)
            throw new InsufficientSpaceException(b.Name, parameter,
                $"Backend '{b.Name}': volume group {b.StoragePath} has {free} bytes free; this needs {addBytes}. {Fix("Add a physical volume (vgextend)")}");
    }

    /// <summary>Bytes a clone of data that occupies <paramref name="allocated"/> bytes adds: none when shared, all of them when copied.</summary>
    public static long CloneCost(BackendSpace space, long allocated) => space.CloneMethod is CloneMethod.Reflink or CloneMethod.ThinSnapshot ? 0 : allocated;
}
