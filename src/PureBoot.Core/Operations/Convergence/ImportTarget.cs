using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

public sealed class ImportReport
{
    public required string Backend { get; init; }
    public List<Lun> Luns { get; } = new();
    public List<Node> Nodes { get; } = new();
    public List<string> Warnings { get; } = new();
}

/// <summary>
/// Import-IscsiTargetConfig: adopts a host's existing LUNs and ACLs into the inventory (a target set up by hand, or an
/// inventory rebuilt after the admin host's disk died), with their CHAP credentials sealed.
/// </summary>
internal sealed class ImportTarget(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>
    /// Adopts a host's existing LUNs and ACLs into the inventory: a target set up by hand, or an inventory rebuilt
    /// after the admin host's disk died. Targets are filtered by <paramref name="targetLike"/> (wildcards).
    /// </summary>
    public async Task<ImportReport> RunAsync(string backendName, string? targetLike, CancellationToken ct)
    {
        var b = _ctx.Backend(backendName);
        var report = new ImportReport { Backend = b.Name };
        await using var s = await _ctx.Connector.OpenAsync(b, ct);
        var snap = await s.SnapshotAsync(new SnapshotRequest(), ct);
        var live = snap.Live;
        var known = _ctx.Inventory.ListLuns();
        var nodes = _ctx.Inventory.ListNodes().ToList();
        var newLuns = new List<Lun>();
        var newNodes = new List<Node>();
        var usedNames = known.Select(l => l.Name).ToHashSet();
        var rx = targetLike is null ? null : new Regex("^" + Regex.Escape(targetLike).Replace("\\*", ".*").Replace("\\?", ".") + "$");
        foreach (var t in live.Targets.Where(t => rx is null || rx.IsMatch(t.Wwn)))
        {
            var tpg = t.Tpg1; if (tpg is null) continue;
            foreach (var l in tpg.Luns)
            {
                if (known.Any(k => k.TargetIqn == t.Wwn && k.TpgLunIndex == l.Index)) continue;
                var so = live.FindStorageObjectByPath(l.StorageObject);
                if (so is null || so.Plugin is not ("fileio" or "block")) { report.Warnings.Add($"{t.Wwn} LUN {l.Index}: {l.StorageObject} is not a fileio or block storage object; skipped"); continue; }
                if (so.Plugin != b.StoragePlugin) { report.Warnings.Add($"{t.Wwn} LUN {l.Index}: {so.Path} is {so.Plugin} but backend '{b.Name}' is {b.Storage}; skipped"); continue; }
                var name = UniqueName(Sanitise(so.Name), usedNames);
                usedNames.Add(name);
                long size = so.Size ?? snap.Storage.FirstOrDefault(e => so.Dev == $"/dev/{b.StoragePath}/{e.Name}")?.SizeBytes ?? 0;
                if (size == 0) report.Warnings.Add($"LUN '{name}': size of {so.Dev} unknown; recorded as 0");
                var now = DateTimeOffset.UtcNow;
                var lun = new Lun
                {
                    Name = name, SizeBytes = size, BackendId = b.Id, BackendName = b.Name, Status = LunStatus.Ready, Purpose = LunPurpose.BootFromSan,
                    StorageObjectName = so.Name, BackingPath = so.Dev, TargetIqn = t.Wwn, TpgLunIndex = l.Index,
                    Description = $"imported from {t.Wwn} LUN {l.Index}", Created = now, Updated = now,
                };
                var acls = tpg.NodeAcls.Where(a => a.MappedLuns.Any(m => m.TpgLun == l.Index)).ToList();
                if (acls.Count > 1) report.Warnings.Add($"LUN '{name}' is visible to {acls.Count} initiators; imported as assigned to {acls[0].NodeWwn}; Sync-IscsiTarget will remove the others");
                if (acls.Count > 0)
                {
                    var acl = acls[0];
                    var node = nodes.FirstOrDefault(n => n.InitiatorIqn == acl.NodeWwn) ?? newNodes.FirstOrDefault(n => n.InitiatorIqn == acl.NodeWwn);
                    if (node is null)
                    {
                        node = NodeFromIqn(acl.NodeWwn, nodes.Concat(newNodes).ToList(), report);
                        if (node is null) { newLuns.Add(lun); continue; }
                        newNodes.Add(node);
                    }
                    lun.Status = LunStatus.Active; lun.NodeName = node.Name; lun.InitiatorIqn = acl.NodeWwn;
                    lun.MappedLunIndex = acl.MappedLuns.First(m => m.TpgLun == l.Index).Index;
                    lun.ChapEnabled = acl.HasChap && acl.Attribute("authentication") != "0";
                    if (lun.ChapEnabled)
                    {
                        lun.ChapUser = acl.ChapUserId;
                        lun.MutualChapEnabled = acl.HasMutualChap;
                        lun.MutualChapUser = acl.HasMutualChap ? acl.ChapMutualUserId : null;
                        _ctx.Chap.Seal(lun, acl.ChapPassword, acl.HasMutualChap ? acl.ChapMutualPassword : null);
                    }
                }
                newLuns.Add(lun);
            }
        }
        _ctx.Inventory.Transact(t =>
        {
            foreach (var n in newNodes) { t.AddNode(n); t.WriteAudit(EngineContext.Audit("import-node", "node", n.Name, AuditOutcome.Success, $"{n.InitiatorIqn} from {b.Name}")); }
            foreach (var l in newLuns.Where(l => l.NodeName is not null))
                l.NodeId = newNodes.Concat(nodes).First(n => n.Name == l.NodeName).Id;
            if (newLuns.Count > 0) t.AddLuns(newLuns);
            foreach (var l in newLuns) t.WriteAudit(EngineContext.Audit("import-lun", "lun", l.Name, AuditOutcome.Success, $"{l.TargetIqn} LUN {l.TpgLunIndex} ({l.BackingPath}), {l.Status}, CHAP {l.Chap}"));
        });
        report.Luns.AddRange(newLuns);
        report.Nodes.AddRange(newNodes);
        return report;
    }

    static string Sanitise(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s.ToLowerInvariant()) sb.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        var v = sb.ToString().Trim('-');
        if (v.Length > 55) v = v[..55].Trim('-');
        return v.Length == 0 ? "imported" : v;
    }

    static string UniqueName(string baseName, HashSet<string> used)
    {
        var n = baseName;
        for (int i = 2; used.Contains(n); i++) n = $"{baseName}-{i}";
        return n;
    }

    Node? NodeFromIqn(string iqn, List<Node> existing, ImportReport report)
    {
        var tail = iqn.Contains(':') ? iqn[(iqn.LastIndexOf(':') + 1)..] : iqn;
        var name = UniqueName(Sanitise(tail), existing.Select(n => n.Name).ToHashSet());
        // PureBoot's own rule puts the MAC in the IQN; otherwise record a locally administered placeholder.
        var m = Regex.Match(iqn, ":node:([0-9a-f]{12})$");
        string mac;
        string? fromIqn = null;
        try { if (m.Success) fromIqn = InputValidator.MacAddress(m.Groups[1].Value, "MacAddress"); } catch (ValidationException) { }
        if (fromIqn is not null) mac = fromIqn;
        else
        {
            var h = SHA256.HashData(Encoding.UTF8.GetBytes(iqn));
            mac = $"02:{h[0]:x2}:{h[1]:x2}:{h[2]:x2}:{h[3]:x2}:{h[4]:x2}";
            report.Warnings.Add($"node '{name}' ({iqn}): MAC unknown; recorded placeholder {mac}");
        }
        if (existing.Any(n => n.MacAddress == mac)) { report.Warnings.Add($"initiator {iqn}: MAC {mac} already belongs to another node; its LUN is imported unassigned"); return null; }
        var now = DateTimeOffset.UtcNow;
        return new Node { Name = name, MacAddress = mac, InitiatorIqn = iqn, Description = "imported", Created = now, Updated = now };
    }
}
