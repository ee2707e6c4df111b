using System.Text.Json.Serialization;

namespace PureBoot.Simulation;

/// <summary>A mounted filesystem of the simulated host: whether it reflinks (XFS reflink=1, btrfs) and its size.</summary>
public sealed class SimulatedFilesystem
{
    public string MountPoint { get; set; } = "/";
    public string Type { get; set; } = "xfs";
    public long SizeBytes { get; set; } = 1L << 40;
    public bool Reflink { get; set; } = true;
}

// Space sharing: files and thin volumes hold data of their own (AllocatedBytes / MappedBytes) plus extents they share
// with reflinked files or thin snapshots. A reflink or thin snapshot moves the origin's own data into a new shared
// extent and gives the clone the same extents: no bytes are added. Used space counts each extent once.
public sealed partial class SimulatedHostState
{
    /// <summary>Mounted filesystems; none given: one XFS with reflinks at / of 1 TiB.</summary>
    public List<SimulatedFilesystem> Filesystems { get; set; } = new();
    /// <summary>Shared extents by id: their size in bytes.</summary>
    public SortedDictionary<string, long> Extents { get; set; } = new(StringComparer.Ordinal);
    public int NextExtent { get; set; } = 1;

    static readonly SimulatedFilesystem RootXfs = new();

    /// <summary>The filesystem a path is on (the longest mount point that is a prefix of it).</summary>
    public SimulatedFilesystem FilesystemOf(string path)
    {
        var p = NormalizePath(path);
        return Filesystems.Where(f => p == f.MountPoint || p.StartsWith(f.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal) || f.MountPoint == "/")
            .OrderByDescending(f => f.MountPoint.Length).FirstOrDefault() ?? RootXfs;
    }

    long SharedBytes(IEnumerable<string>? ids) => ids?.Sum(id => Extents.TryGetValue(id, out var b) ? b : 0) ?? 0;

    /// <summary>What st_blocks * 512 says: the file's own data and the extents it shares.</summary>
    public long BlocksOf(SimulatedFile f) => f.AllocatedBytes + SharedBytes(f.Shared);

    /// <summary>Bytes used on a filesystem: every file's own data, and each shared extent once.</summary>
    public long UsedBytes(SimulatedFilesystem fs)
    {
        var files = Files.Where(kv => FilesystemOf(kv.Key) == fs).Select(kv => kv.Value).ToList();
        return files.Sum(f => f.AllocatedBytes) + SharedBytes(files.SelectMany(f => f.Shared ?? new()).Distinct());
    }

    string NewExtent(long bytes)
    {
        var id = "x" + NextExtent++;
        Extents[id] = bytes;
        return id;
    }

    /// <summary>FICLONE: DEST shares all of SOURCE's data.</summary>
    public void Reflink(SimulatedFile source, SimulatedFile dest)
    {
        if (source.AllocatedBytes > 0) { (source.Shared ??= new()).Add(NewExtent(source.AllocatedBytes)); source.AllocatedBytes = 0; }
        dest.Shared = source.Shared is null ? null : new List<string>(source.Shared);
        dest.AllocatedBytes = 0;
        dest.SizeBytes = source.SizeBytes;
        dest.Content = source.Content;
        dest.Magic = source.Magic;
    }

    /// <summary>A thin snapshot: DEST (a new thin volume) shares all of ORIGIN's mapped blocks.</summary>
    public void ThinShare(SimulatedLogicalVolume origin, SimulatedLogicalVolume dest)
    {
        if (origin.MappedBytes > 0) { (origin.Shared ??= new()).Add(NewExtent(origin.MappedBytes)); origin.MappedBytes = 0; }
        dest.Shared = origin.Shared is null ? null : new List<string>(origin.Shared);
        dest.MappedBytes = 0;
        dest.Content = origin.Content;
    }

    /// <summary>A thin pool's used data bytes: its volumes' own blocks, and each shared extent once.</summary>
    public long PoolUsedBytes(string vg, string pool)
    {
        var vols = VolumeGroups.TryGetValue(vg, out var g) ? g.LogicalVolumes.Values.Where(l => l.ThinPool == pool).ToList() : new();
        return vols.Sum(v => v.MappedBytes) + SharedBytes(vols.SelectMany(v => v.Shared ?? new()).Distinct());
    }

    /// <summary>A thin pool's metadata use: a fixed base, each thin device, and a mapping per 64 KiB chunk (an approximation of dm-thin's btrees).</summary>
    public long PoolMetadataUsedBytes(string vg, string pool)
    {
        var count = VolumeGroups.TryGetValue(vg, out var g) ? g.LogicalVolumes.Values.Count(l => l.ThinPool == pool) : 0;
        return (6L << 20) + count * 4096L + PoolUsedBytes(vg, pool) / 65536 * 16;
    }

    /// <summary>A node (or a test) writes BYTES of new data to a LUN's file or thin volume; CONTENT labels what it holds now.</summary>
    public void WriteData(string path, long bytes, string? content)
    {
        var p = NormalizePath(path);
        if (Files.TryGetValue(p, out var f)) { f.AllocatedBytes = Math.Min(f.SizeBytes, f.AllocatedBytes + bytes); f.Content = content; return; }
        if (TryGetLogicalVolume(p, out var vg, out var lv))
        {
            var v = VolumeGroups[vg].LogicalVolumes[lv];
            v.MappedBytes = Math.Min(v.SizeBytes, v.MappedBytes + bytes);
            v.Content = content;
            return;
        }
        throw new FileNotFoundException($"no file or logical volume {path} on the simulated host");
    }

    /// <summary>A thin pool in a volume group (lvcreate --type thin-pool), for tests of thin backends.</summary>
    public void AddThinPool(string vg, string pool, long dataBytes, long metadataBytes = 64L << 20)
    {
        if (!VolumeGroups.TryGetValue(vg, out var g)) VolumeGroups[vg] = g = new SimulatedVolumeGroup { SizeBytes = dataBytes * 2 + metadataBytes };
        g.LogicalVolumes[pool] = new SimulatedLogicalVolume { SizeBytes = dataBytes, MetadataBytes = metadataBytes, SegmentType = "thin-pool" };
    }

    /// <summary>Drops shared extents no file or volume refers to any more.</summary>
    public void PruneExtents()
    {
        var used = Files.Values.SelectMany(f => f.Shared ?? new()).Concat(VolumeGroups.Values.SelectMany(g => g.LogicalVolumes.Values).SelectMany(l => l.Shared ?? new())).ToHashSet();
        foreach (var id in Extents.Keys.Where(k => !used.Contains(k)).ToList()) Extents.Remove(id);
    }
}
