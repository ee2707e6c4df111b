using System.Diagnostics;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

public enum DriftKind
{
    /// <summary>An object the inventory records is missing or different on the target.</summary>
    Missing,
    /// <summary>A LUN is visible to an initiator the inventory did not assign it to.</summary>
    Leak,
    /// <summary>An object on the target that no inventory row owns.</summary>
    Orphan,
    /// <summary>A row whose last change did not finish (Creating/Deleting/pending).</summary>
    InFlight,
}

public sealed record DriftItem(DriftKind Kind, string Object, string Detail, string? Lun = null);

/// <summary>One line per LUN: what the inventory says, what the target shows, who is logged in.</summary>
public sealed class LunTargetStatus
{
    public required string Name { get; init; }
    public required string Backend { get; init; }
    public LunStatus Status { get; init; }
    public string? Node { get; init; }
    public string? TargetIqn { get; init; }
    public int? TpgLun { get; init; }
    public int? MappedLun { get; init; }
    public double SizeGB { get; init; }
    public bool Exported { get; init; }
    public bool Mapped { get; init; }
    public string? Session { get; init; }
    public string Drift { get; init; } = "";
    public bool InSync => Drift.Length == 0;
}

public sealed class TargetSummary
{
    public required string Iqn { get; init; }
    public bool Enabled { get; init; }
    public IReadOnlyList<string> Portals { get; init; } = Array.Empty<string>();
    public int Luns { get; init; }
    public int Acls { get; init; }
    public string? GenerateNodeAcls { get; init; }
    public override string ToString() => Iqn;
}

public sealed class TargetStatusReport
{
    public required Backend Backend { get; init; }
    public DateTimeOffset ReadAt { get; init; }
    public string? SaveConfigPath { get; init; }
    public string? TargetcliVersion { get; init; }
    public IReadOnlyList<LunTargetStatus> Luns { get; init; } = Array.Empty<LunTargetStatus>();
    public IReadOnlyList<TargetSummary> Targets { get; init; } = Array.Empty<TargetSummary>();
    public IReadOnlyList<IscsiSession> Sessions { get; init; } = Array.Empty<IscsiSession>();
    public IReadOnlyList<DriftItem> Drift { get; init; } = Array.Empty<DriftItem>();
    public int TargetcliStarts { get; init; }
    public int Exchanges { get; init; }
    public TimeSpan Elapsed { get; init; }
    internal LioConfig Live { get; init; } = LioConfig.Empty;
    internal HostSnapshot? Snapshot { get; init; }
}

public sealed class BackendTestReport
{
    public required string Backend { get; init; }
    public required string Endpoint { get; init; }
    public bool Reachable { get; init; }
    public bool? Sudo { get; init; }
    public string? TargetcliVersion { get; init; }
    public bool Configfs { get; init; }
    public bool DBus { get; init; }
    public string? SaveConfigPath { get; init; }
    public bool Storage { get; init; }
    public string? StorageDetail { get; init; }
    public string? Error { get; init; }
    public TimeSpan Elapsed { get; init; }
    public bool Passed => Reachable && Configfs && DBus && Storage && Error is null;
}

public sealed partial class PureBootEngine
{
    /// <summary>
    /// Reads a backend's live state in one session: rtslib's dump of configfs (no targetcli start) and
    /// <c>targetcli sessions detail</c> (one start), then compares it with the inventory.
    /// </summary>
    public async Task<TargetStatusReport> GetTargetStatusAsync(string backendName, bool includeSessions = true, CancellationToken ct = default)
    {
        var b = GetBackendForParam(backendName);
        var sw = Stopwatch.StartNew();
        await using var s = await _connector.OpenAsync(b, ct);
        var snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: includeSessions), ct);
        var report = BuildStatus(b, snap, sw.Elapsed, s.TargetcliStarts, s.Exchanges);
        Say($"[{b.Name}] status: {report.Luns.Count} LUNs, {report.Drift.Count} drift items, {s.TargetcliStarts} targetcli starts, {s.Exchanges} exchanges, {sw.Elapsed.TotalSeconds:0.0} s");
        return report;
    }

    internal TargetStatusReport BuildStatus(Backend b, HostSnapshot snap, TimeSpan elapsed, int starts, int exchanges)
    {
        var live = snap.Live;
        var plugin = LioChecks.Plugin(b);
        var rows = _inventory.ListLunsOnTarget(b.Id);
        var sessions = SessionsDetailParser.Parse(snap.SessionsDetail);
        var drift = new List<DriftItem>();
        var lunRows = new List<LunTargetStatus>();
        foreach (var lun in rows.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            var problems = new List<string>();
            if (lun.PendingOperation is not null || lun.Status is LunStatus.Creating or LunStatus.Deleting)
            {
                var d = $"{lun.Status}, {lun.PendingOperation ?? "no operation"} did not finish";
                drift.Add(new(DriftKind.InFlight, lun.Name, d, lun.Name)); problems.Add(d);
            }
            var exported = false; var mapped = false;
            if (lun.Status is LunStatus.Ready or LunStatus.Active)
            {
                var p = LioChecks.CheckExport(live, b, lun);
                exported = p is null;
                if (p is not null) { drift.Add(new(DriftKind.Missing, lun.StorageObjectName ?? lun.Name, p, lun.Name)); problems.Add(p); }
                if (lun.Status == LunStatus.Active && exported)
                {
                    string? secret = null, mutual = null;
                    try
                    {
                        (secret, mutual) = OpenChap(lun);
                        var m = LioChecks.CheckMapping(live, lun, lun.InitiatorIqn!, lun.MappedLunIndex ?? -1, secret, mutual);
                        mapped = m is null;
                        if (m is not null) { drift.Add(new(DriftKind.Missing, lun.InitiatorIqn!, m, lun.Name)); problems.Add(m); }
                    }
                    catch (Exception e) when (e is SecretDecryptionException or SecretKeyException) { problems.Add("CHAP not checked: " + e.Message); }
                }
                foreach (var other in LioChecks.OtherInitiatorsSeeing(live, lun, lun.Status == LunStatus.Active ? lun.InitiatorIqn : null))
                {
                    var d = $"visible to {other}, which PureBoot did not assign it to";
                    drift.Add(new(DriftKind.Leak, other, d, lun.Name)); problems.Add(d);
                }
            }
            var session = sessions.FirstOrDefault(x => x.MappedLuns.Any(m => m.Backstore == $"{plugin}/{lun.StorageObjectName}"));
            lunRows.Add(new LunTargetStatus
            {
                Name = lun.Name, Backend = b.Name, Status = lun.Status, Node = lun.NodeName, TargetIqn = lun.TargetIqn, TpgLun = lun.TpgLunIndex,
                MappedLun = lun.MappedLunIndex, SizeGB = lun.SizeGB, Exported = exported, Mapped = mapped,
                Session = session is null ? null : $"{session.InitiatorIqn} ({session.State})",
                Drift = string.Join("; ", problems),
            });
        }

        // Orphans: objects in PureBoot's namespace (its storage, its targets) that no row owns.
        var ownedSo = rows.Where(l => l.StorageObjectName is not null).Select(l => l.StorageObjectName!).ToHashSet();
        var prefix = b.Storage == StorageKind.FileIO ? b.StoragePath.TrimEnd('/') + "/" : $"/dev/{b.StoragePath}/";
        foreach (var so in live.StorageObjects.Where(x => x.Plugin == plugin && x.Dev is not null && x.Dev.StartsWith(prefix) && !ownedSo.Contains(x.Name)))
            drift.Add(new(DriftKind.Orphan, so.Path, $"storage object for {so.Dev} has no inventory row"));
        var ours = live.Targets.Where(t => t.Wwn == b.SharedTargetIqn || t.Wwn.StartsWith(b.IqnPrefix + ":" + b.Name + ".")).ToList();
        var ownedTargets = rows.Where(l => l.TargetIqn is not null).Select(l => l.TargetIqn!).ToHashSet();
        foreach (var t in ours)
        {
            if (t.Wwn != b.SharedTargetIqn && !ownedTargets.Contains(t.Wwn)) { drift.Add(new(DriftKind.Orphan, t.Wwn, "target has no inventory row")); continue; }
            var tpg = t.Tpg1; if (tpg is null) continue;
            var problem = LioChecks.CheckTpg(tpg, t.Wwn, b);
            if (problem is not null) drift.Add(new(DriftKind.Missing, t.Wwn, problem));
            foreach (var l in tpg.Luns.Where(l => !rows.Any(r => r.TargetIqn == t.Wwn && r.TpgLunIndex == l.Index)))
                drift.Add(new(DriftKind.Orphan, $"{t.Wwn} lun{l.Index}", $"LUN {l.Index} ({l.StorageObject}) has no inventory row"));
            foreach (var acl in tpg.NodeAcls.Where(a => !rows.Any(r => r.TargetIqn == t.Wwn && r.InitiatorIqn == a.NodeWwn && r.Status == LunStatus.Active)))
                drift.Add(new(DriftKind.Orphan, $"{t.Wwn} acl {acl.NodeWwn}", $"ACL for {acl.NodeWwn} serves no assigned LUN"));
        }
        var referenced = rows.SelectMany(l => new[] { l.BackingPath, l.SourceImage }).Where(p => p is not null).ToHashSet();
        foreach (var e in snap.Storage)
        {
            var path = b.Storage == StorageKind.FileIO ? prefix + e.Name : prefix + e.Name;
            if (!referenced.Contains(path) && !live.StorageObjects.Any(x => x.Dev == path))
                drift.Add(new(DriftKind.Orphan, path, $"{(b.Storage == StorageKind.FileIO ? "file" : "logical volume")} of {e.SizeBytes} bytes ({e.AllocatedBytes} allocated) is not used by any LUN"));
        }

        return new TargetStatusReport
        {
            Backend = b, ReadAt = DateTimeOffset.UtcNow, SaveConfigPath = snap.SaveConfigPath, TargetcliVersion = snap.TargetcliVersion,
            Luns = lunRows, Sessions = sessions, Drift = drift, TargetcliStarts = starts, Exchanges = exchanges, Elapsed = elapsed,
            Targets = live.Targets.Select(t => new TargetSummary
            {
                Iqn = t.Wwn, Enabled = t.Tpg1?.Enable ?? false, Portals = t.Tpg1?.Portals.Select(p => p.ToString()).ToList() ?? new(),
                Luns = t.Tpg1?.Luns.Count ?? 0, Acls = t.Tpg1?.NodeAcls.Count ?? 0, GenerateNodeAcls = t.Tpg1?.Attribute("generate_node_acls"),
            }).ToList(),
            Live = live, Snapshot = snap,
        };
    }

    /// <summary>Checks a backend end to end without changing it: SSH, sudo, configfs via rtslib, storage, and a targetcli start (D-Bus).</summary>
    public async Task<BackendTestReport> TestBackendAsync(string backendName, CancellationToken ct = default)
    {
        var b = GetBackendForParam(backendName);
        var sw = Stopwatch.StartNew();
        ITargetHostSession? s = null;
        try
        {
            s = await _connector.OpenAsync(b, ct);
            HostSnapshot snap;
            try { snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: false), ct); }
            catch (TargetHostException e)
            {
                return new BackendTestReport { Backend = b.Name, Endpoint = b.Endpoint, Reachable = true, Sudo = b.UseSudo ? true : null, Error = e.Message, Elapsed = sw.Elapsed };
            }
            string? dbusError = null;
            try { await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: true, IncludeStorage: false), ct); }
            catch (TargetHostException e) { dbusError = e.Message; }
            return new BackendTestReport
            {
                Backend = b.Name, Endpoint = b.Endpoint, Reachable = true, Sudo = b.UseSudo ? true : null,
                TargetcliVersion = snap.TargetcliVersion, Configfs = true, DBus = dbusError is null, SaveConfigPath = snap.SaveConfigPath,
                Storage = snap.StorageError is null, StorageDetail = snap.StorageError ?? $"{b.StoragePath}: {snap.Storage.Count} {(b.Storage == StorageKind.FileIO ? "files" : "logical volumes")}",
                Error = dbusError, Elapsed = sw.Elapsed,
            };
        }
        catch (TargetHostException e)
        {
            return new BackendTestReport
            {
                Backend = b.Name, Endpoint = b.Endpoint, Reachable = e.Failure is not (TargetHostFailure.Unreachable or TargetHostFailure.HostKeyRejected or TargetHostFailure.AuthenticationFailed),
                Sudo = e.Failure == TargetHostFailure.SudoRefused ? false : null, Error = e.Message, Elapsed = sw.Elapsed,
            };
        }
        finally { if (s is not null) await s.DisposeAsync(); }
    }
}
