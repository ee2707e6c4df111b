using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.Tests.Integration.Reliability;

/// <summary>What the VM holds for one backend of one test: backing files (or LVs), the saved config, PureBoot temp dirs.</summary>
public sealed record VmView(IReadOnlyList<string> Storage, LioConfig Saved, string SavedJson, IReadOnlyList<string> TempDirs);

/// <summary>The invariants a converged backend must satisfy, checked against the inventory, PureBoot's status and the VM itself.</summary>
public static class Convergence
{
    public static VmView ReadVm(RelContext ctx, Backend b)
    {
        var listing = b.Storage == StorageKind.FileIO
            ? $"ls -1A '{b.StoragePath}' 2>/dev/null"
            : $"lvs --noheadings -o lv_name {b.StoragePath} 2>/dev/null | tr -d ' ' | grep '^{ctx.Id}'";
        var o = ctx.VmOk($"{listing}; echo @@PB-SPLIT; cat /etc/rtslib-fb-target/saveconfig.json 2>/dev/null; echo @@PB-SPLIT; ls -1d /tmp/pureboot.* 2>/dev/null; true");
        var parts = o.Split("@@PB-SPLIT\n");
        var json = parts[1].Trim();
        if (json.Length == 0) json = "{}";
        return new VmView(Lines(parts[0]), SaveConfigParser.Parse(json), json, Lines(parts[2]));
    }

    static List<string> Lines(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>
    /// Every violated invariant, as text (empty = converged): no drift in PureBoot's status, no row in flight, every
    /// file or volume owned by a Ready/Active row and vice versa, every LIO object of the test's namespace in the saved
    /// config owned by such a row and every such row present in it, and (optionally) every Active LUN readable by its
    /// node's initiator with its CHAP credential.
    /// </summary>
    /// <param name="drift">Drift already read from the target right before (a sync's RemainingDrift, computed by the same code as
    /// Get-IscsiTargetStatus from a fresh rtslib read); null reads the status again.</param>
    public static async Task<(List<string> Problems, VmView Vm)> CheckAsync(RelContext ctx, PureBootEngine engine, Backend b, bool readThroughInitiator = true, IReadOnlyList<DriftItem>? drift = null)
    {
        var problems = new List<string>();
        drift ??= (await engine.GetTargetStatusAsync(b.Name, includeSessions: false)).Drift;
        problems.AddRange(drift.Select(d => $"status drift: {d.Kind} {d.Object}: {d.Detail}"));
        var rows = engine.ListLuns(new LunFilter { Backend = b.Name });
        foreach (var r in rows.Where(r => r.Status is LunStatus.Creating or LunStatus.Deleting || r.PendingOperation is not null))
            problems.Add($"row {r.Name} is still {r.Status} (pending {r.PendingOperation?.Text ?? "-"})");
        var live = rows.Where(r => r.Status is LunStatus.Ready or LunStatus.Active).ToList();
        foreach (var r in rows.Where(r => r.Status == LunStatus.Error && r.BackingPath is not null))
            problems.Add($"Error row {r.Name} still records {r.BackingPath}: {r.ErrorMessage}");

        var vm = ReadVm(ctx, b);
        var fileio = b.Storage == StorageKind.FileIO;
        var prefix = fileio ? b.StoragePath.TrimEnd('/') + "/" : $"/dev/{b.StoragePath}/";
        foreach (var f in vm.Storage)
            if (!live.Any(r => r.BackingPath == prefix + f)) problems.Add($"{prefix + f} on the VM belongs to no Ready/Active row");
        foreach (var r in live)
            if (!vm.Storage.Contains(Path.GetFileName(r.BackingPath ?? "?"))) problems.Add($"row {r.Name} ({r.Status}): its backing {r.BackingPath} is not on the VM");

        var cfg = vm.Saved;
        var plugin = fileio ? "fileio" : "block";
        string SoPath(Lun r) => $"/backstores/{plugin}/{r.StorageObjectName}";
        foreach (var so in cfg.StorageObjects.Where(s => s.Dev?.StartsWith(prefix) == true && (fileio || s.Name.StartsWith(ctx.Id))))
            if (!live.Any(r => so.Plugin == plugin && r.StorageObjectName == so.Name && r.BackingPath == so.Dev))
                problems.Add($"saved storage object {so.Path} ({so.Dev}) is owned by no Ready/Active row");
        foreach (var t in cfg.Targets.Where(t => t.Wwn == b.SharedTargetIqn || t.Wwn.StartsWith($"{b.IqnPrefix}:{b.Name}.")))
        {
            if (t.Wwn != b.SharedTargetIqn && !live.Any(r => r.TargetIqn == t.Wwn)) problems.Add($"saved target {t.Wwn} is owned by no Ready/Active row");
            var tpg = t.Tpg1;
            if (tpg is null) continue;
            foreach (var l in tpg.Luns)
                if (!live.Any(r => r.TargetIqn == t.Wwn && r.TpgLunIndex == l.Index && l.StorageObject == SoPath(r)))
                    problems.Add($"saved {t.Wwn} lun{l.Index} ({l.StorageObject}) is owned by no Ready/Active row");
            foreach (var a in tpg.NodeAcls)
            {
                if (!live.Any(r => r.Status == LunStatus.Active && r.TargetIqn == t.Wwn && r.InitiatorIqn == a.NodeWwn))
                    problems.Add($"saved ACL {a.NodeWwn} on {t.Wwn} serves no Active row");
                foreach (var m in a.MappedLuns)
                    if (!live.Any(r => r.Status == LunStatus.Active && r.TargetIqn == t.Wwn && r.InitiatorIqn == a.NodeWwn && r.MappedLunIndex == m.Index && r.TpgLunIndex == m.TpgLun))
                        problems.Add($"saved mapping {a.NodeWwn} mapped_lun{m.Index} -> lun{m.TpgLun} on {t.Wwn} is owned by no Active row");
            }
        }
        foreach (var r in live)
        {
            var so = r.StorageObjectName is null ? null : cfg.FindStorageObject(plugin, r.StorageObjectName);
            if (so is null || so.Dev != r.BackingPath) { problems.Add($"row {r.Name} ({r.Status}): no storage object for {r.BackingPath} in the saved config"); continue; }
            var l = r.TargetIqn is null || r.TpgLunIndex is null ? null : cfg.FindTarget(r.TargetIqn)?.Tpg1?.FindLun(r.TpgLunIndex.Value);
            if (l is null || l.StorageObject != so.Path) { problems.Add($"row {r.Name} ({r.Status}): {r.TargetIqn} lun{r.TpgLunIndex} is not in the saved config"); continue; }
            if (r.Status == LunStatus.Active && cfg.FindTarget(r.TargetIqn!)?.Tpg1?.FindAcl(r.InitiatorIqn!)?.MappedLuns.Any(m => m.Index == r.MappedLunIndex && m.TpgLun == r.TpgLunIndex) != true)
                problems.Add($"row {r.Name} (Active for {r.NodeName}): mapping {r.InitiatorIqn} mapped_lun{r.MappedLunIndex} is not in the saved config");
        }

        if (readThroughInitiator)
            foreach (var r in live.Where(r => r.Status == LunStatus.Active))
            {
                var c = r.ChapEnabled ? engine.GetChapCredential(r.Name) : null;
                var cap = Initiator.CapacityBytes(ctx.Lab, r.InitiatorIqn!, r.TargetIqn!, r.MappedLunIndex!.Value, c?.User, c?.RevealSecret());
                if (cap != r.SizeBytes)
                    problems.Add($"row {r.Name} (Active for {r.NodeName}): the initiator read {(cap is null ? "nothing (login or READ CAPACITY failed)" : cap + " bytes")}, expected {r.SizeBytes}");
            }
        return (problems, vm);
    }
}
