using System.Diagnostics;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

public enum DriftKind : long
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
    public IReadOnlyList<DriftItem> Drift { get; internal set; } = Array.Empty<DriftItem>();
    /// <summary>For a backend that uses the disk lifecycle (thin pool, images, snapshots): its space and fill against its limit.</summary>
    public BackendSpace? Space { get; internal set; }
    public int TargetcliStarts { get; init; }
    public int Exchanges { get; internal set; }
    public TimeSpan Elapsed { get; init; }
    internal LioConfig Live { get; init; } = LioConfig.Empty;
    internal HostSnapshot? Snapshot { get; init; }
}

/// <summary>
/// Get-IscsiTargetStatus: one exchange reads the live state and the logged-in sessions (rtslib, no targetcli start),
/// then each LUN row is compared with it, and objects no row owns are reported (<see cref="Ownership"/>).
/// </summary>
internal sealed class TargetStatus(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    public async Task<TargetStatusReport> RunAsync(string backendName, bool includeSessions, CancellationToken ct)
    {
        var b = _ctx.Backend(backendName);
        var sw = Stopwatch.StartNew();
        await using var s = await _ctx.Connector.OpenAsync(b, ct);
        var snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: includeSessions), ct);
        var report = Build(b, snap, sw.Elapsed, s.TargetcliStarts, s.Exchanges);
        if (LifecycleStatus.Applies(_ctx, b))
        {
            (report.Space, var lifecycleDrift) = await LifecycleStatus.ReadAsync(_ctx, s, b, ct);
            report.Drift = report.Drift.Concat(lifecycleDrift).ToList();
            report.Exchanges = s.Exchanges;
        }
        _ctx.Say($"[{b.Name}] status: {report.Luns.Count} LUNs, {report.Drift.Count} drift items, {s.TargetcliStarts} targetcli starts, {s.Exchanges} exchanges, {sw.Elapsed.TotalSeconds:0.0} s");
        return report;
    }

    public TargetStatusReport Build(Backend b, HostSnapshot snap, TimeSpan elapsed, int starts, int exchanges)
    {
        var live = snap.Live;
        var rows = _ctx.Inventory.ListLunsOnTarget(b.Id);
        var drift = new List<DriftItem>();
        var lunRows = rows.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => LunLine(b, live, snap.Sessions, l, drift)).ToList();
        foreach (var t in live.Targets.Where(t => t.Tpg1 is not null && b.OwnsTargetName(t.Wwn) && rows.Any(r => r.TargetIqn == t.Wwn)))
            if (ExportChecks.Tpg(t.Tpg1!, t.Wwn, b) is { } problem) drift.Add(new(DriftKind.Missing, t.Wwn, problem.Message));
        drift.AddRange(Ownership.Find(b, live, rows, snap.Storage, LifecyclePaths.Owned(_ctx, b)).Select(o => new DriftItem(DriftKind.Orphan, o.Object, o.Detail)));
        return new TargetStatusReport
        {
            Backend = b, ReadAt = DateTimeOffset.UtcNow, SaveConfigPath = snap.SaveConfigPath, TargetcliVersion = snap.TargetcliVersion,
            Luns = lunRows, Sessions = snap.Sessions, Drift = drift, TargetcliStarts = starts, Exchanges = exchanges, Elapsed = elapsed,
            Targets = live.Targets.Select(t => new TargetSummary
            {
                Iqn = t.Wwn, Enabled = t.Tpg1?.Enable ?? false, Portals = t.Tpg1?.Portals.Select(p => p.ToString()).ToList() ?? new(),
                Luns = t.Tpg1?.Luns.Count ?? 0, Acls = t.Tpg1?.NodeAcls.Count ?? 0, GenerateNodeAcls = t.Tpg1?.Attribute("generate_node_acls"),
            }).ToList(),
            Live = live, Snapshot = snap,
        };
    }

    LunTargetStatus LunLine(Backend b, LioConfig live, IReadOnlyList<IscsiSession> sessions, Lun lun, List<DriftItem> drift)
    {
        var problems = new List<string>();
        void Add(DriftItem d) { drift.Add(d); problems.Add(d.Detail); }
        if (lun.PendingOperation is not null || lun.Status is LunStatus.Creating or LunStatus.Deleting)
            Add(new(DriftKind.InFlight, lun.Name, $"{lun.Status}, {lun.PendingOperation?.Text ?? "no operation"} did not finish", lun.Name));
        var exported = false; var mapped = false;
        if (lun.Status is LunStatus.Ready or LunStatus.Active)
        {
            var p = ExportChecks.Export(live, b, lun);
            exported = p is null;
            if (p is not null) Add(new(DriftKind.Missing, lun.StorageObjectName ?? lun.Name, p.Message, lun.Name));
            if (lun.Status == LunStatus.Active && exported)
            {
                try
                {
                    var m = ExportChecks.Mapping(live, lun, lun.InitiatorIqn!, lun.MappedLunIndex ?? -1, _ctx.Chap.Open(lun));
                    mapped = m is null;
                    if (m is not null) Add(new(DriftKind.Missing, lun.InitiatorIqn!, m.Message, lun.Name));
                }
                catch (Exception e) when (FailureMap.KindOf(e) == FailureKind.SecretUnavailable) { problems.Add("CHAP not checked: " + e.Message); }
            }
            foreach (var other in ExportChecks.OtherInitiatorsSeeing(live, lun, lun.Status == LunStatus.Active ? lun.InitiatorIqn : null))
                Add(new(DriftKind.Leak, other, $"visible to {other}, which PureBoot did not assign it to", lun.Name));
        }
        var soPath = b.StorageObjectPath(lun.StorageObjectName!);
        var session = lun.StorageObjectName is null ? null : sessions.FirstOrDefault(x => x.TargetIqn == lun.TargetIqn && x.Sees(soPath));
        return new LunTargetStatus
        {
            Name = lun.Name, Backend = b.Name, Status = lun.Status, Node = lun.NodeName, TargetIqn = lun.TargetIqn, TpgLun = lun.TpgLunIndex,
            MappedLun = lun.MappedLunIndex, SizeGB = lun.SizeGB, Exported = exported, Mapped = mapped,
            Session = session is null ? null : $"{session.InitiatorIqn} ({session.State})",
            Drift = string.Join("; ", problems),
        };
    }
}

