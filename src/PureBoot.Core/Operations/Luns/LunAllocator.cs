using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Gives new LUNs their LIO names and indexes from the live state under the host's lock: a storage object name (the
/// LUN's, or LUN-2, LUN-3 ... when taken on the host or by a row), its backing path, its target and TPG LUN index.
/// Never reuses a name or index an inventory row still holds.
/// </summary>
internal sealed class LunAllocator
{
    readonly Backend _b;
    readonly HashSet<string> _usedStorageObjects;
    readonly HashSet<string> _usedTargets;
    readonly HashSet<int> _usedSharedIndexes;

    public LunAllocator(Backend b, HostSnapshot snap, IReadOnlyList<Lun> known)
    {
        _b = b;
        var live = snap.Live;
        _usedStorageObjects = new HashSet<string>(live.StorageObjects.Where(x => x.Plugin == b.StoragePlugin).Select(x => x.Name));
        _usedStorageObjects.UnionWith(known.Where(l => l.StorageObjectName is not null).Select(l => l.StorageObjectName!));
        _usedStorageObjects.UnionWith(snap.Storage.Select(e => b.Storage == StorageKind.FileIO && e.Name.EndsWith(".img", StringComparison.Ordinal) ? e.Name[..^4] : e.Name));
        _usedTargets = new HashSet<string>(live.Targets.Select(t => t.Wwn));
        if (b.Mode == TargetMode.PerLun) _usedTargets.UnionWith(known.Where(l => l.TargetIqn is not null).Select(l => l.TargetIqn!));
        var shared = b.SharedTargetIqn;
        _usedSharedIndexes = new HashSet<int>(live.FindTpg(shared)?.Luns.Select(l => l.Index) ?? Enumerable.Empty<int>());
        _usedSharedIndexes.UnionWith(known.Where(l => l.TargetIqn == shared && l.TpgLunIndex is not null).Select(l => l.TpgLunIndex!.Value));
    }

    public void Allocate(Lun row)
    {
        var so = row.Name;
        for (int n = 2; _usedStorageObjects.Contains(so) || (_b.Mode == TargetMode.PerLun && _usedTargets.Contains(_b.PerLunTargetIqn(so))); n++)
            so = $"{row.Name}-{n}";
        _usedStorageObjects.Add(so);
        row.StorageObjectName = so;
        row.BackingPath = _b.BackingPathOf(so);
        if (_b.Mode == TargetMode.Shared)
        {
            int idx = 0; while (_usedSharedIndexes.Contains(idx)) idx++;
            _usedSharedIndexes.Add(idx);
            row.TargetIqn = _b.SharedTargetIqn;
            row.TpgLunIndex = idx;
        }
        else
        {
            row.TargetIqn = _b.PerLunTargetIqn(so);
            row.TpgLunIndex = 0;
            _usedTargets.Add(row.TargetIqn);
        }
    }
}
