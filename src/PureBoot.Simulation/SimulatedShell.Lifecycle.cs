using System.Globalization;
using PureBoot.Core.Transport;

namespace PureBoot.Simulation;

/// <summary>The disk lifecycle's shell helpers (pb_clone, pb_thin_*, pb_space_*, ...) on a simulated host, with their messages.</summary>
internal static partial class SimulatedShell
{
    static (int, string)? Lifecycle(SimulatedHostState s, HostStep step) => step switch
    {
        CloneFile c => Clone(s, c.Source, c.Destination, c.Mode),
        ReplaceFile r => ReplaceFile(s, r.Source, r.Destination),
        CreateThinVolume t => ThinCreate(s, t.VolumeGroup, t.Pool, t.Name, t.SizeBytes),
        ThinSnapshot t => ThinSnap(s, t.VolumeGroup, t.Origin, t.Name, t.ReadOnly),
        ReplaceThinVolume t => ThinReplace(s, t.VolumeGroup, t.Source, t.Name),
        RemoveLogicalVolumes r => LvRemoveMany(s, r.VolumeGroup, r.Names),
        MakeVolumeReadOnly m => ReadOnly(s, m.VolumeGroup, m.Name),
        InspectImageFile i => Inspect(s, i.Path, i.ImageDirectory),
        MeasureData m => Measure(s, m.Path),
        FindMissing f => (0, string.Join("\n", f.Paths.Where(p => !Exists(s, p)))),
        ProbeSpace p => p.FileIO ? SpaceFileIO(s, p.StoragePath, p.ImageDirectory) : SpaceBlock(s, p.StoragePath, p.ThinPool, p.PoolOnly),
        FillThinVolume f => Fill(s, f.Source, f.Device),
        SyncData => (0, ""),
        _ => null,
    };

    static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
    static bool Exists(SimulatedHostState s, string p) => s.FileExists(p) || s.DirectoryExists(p) || s.TryGetLogicalVolume(p, out _, out _);

    /// <summary>pb__cp: a reflink when both paths are on one filesystem that reflinks, else a sparse copy (and why).</summary>
    static string CopyInto(SimulatedHostState s, SimulatedFile src, string srcPath, SimulatedFile dst, string dstPath)
    {
        var a = s.FilesystemOf(srcPath); var b = s.FilesystemOf(dstPath);
        if (a == b && a.Reflink) { s.Reflink(src, dst); return "reflink"; }
        dst.SizeBytes = src.SizeBytes; dst.AllocatedBytes = s.BlocksOf(src); dst.Content = src.Content; dst.Magic = src.Magic; dst.Shared = null;
        return "copy: " + (a != b ? "Invalid cross-device link" : "Operation not supported");
    }

    static (int, string)? NotRegular(SimulatedHostState s, string src) =>
        s.FileExists(src) ? null : (2, $"source {src} is not a regular file");

    static (int, string) Clone(SimulatedHostState s, string source, string destination, string mode)
    {
        var src = N(source); var dst = N(destination);
        if (Exists(s, dst)) return (17, $"refusing to overwrite existing {destination}");
        if (NotRegular(s, src) is { } e) return e;
        if (!s.DirectoryExists(SimulatedHostState.ParentOf(dst))) return (1, $"cp: cannot create regular file '{destination}.pbtmp': No such file or directory");
        var f = new SimulatedFile { Mode = mode };
        var how = CopyInto(s, s.Files[src], src, f, dst);
        s.Files[dst] = f;
        return (0, how);
    }

    static (int, string) ReplaceFile(SimulatedHostState s, string source, string destination)
    {
        var src = N(source); var dst = N(destination);
        if (NotRegular(s, src) is { } e) return e;
        if (!s.DirectoryExists(SimulatedHostState.ParentOf(dst))) return (1, $"cp: cannot create regular file '{destination}.pbnew': No such file or directory");
        var f = new SimulatedFile { Mode = "0600" };
        var how = CopyInto(s, s.Files[src], src, f, dst);
        s.Files[dst] = f;   // mv -f: the old file is gone (LIO no longer holds it: its storage object went first)
        s.PruneExtents();
        return (0, how);
    }

    static SimulatedLogicalVolume? Lv(SimulatedHostState s, string vg, string name) =>
        s.VolumeGroups.TryGetValue(vg, out var g) && g.LogicalVolumes.TryGetValue(name, out var lv) ? lv : null;

    static (int, string) ThinCreate(SimulatedHostState s, string vgName, string pool, string name, long size)
    {
        if (NoVg(s, vgName) is { } e) return e;
        var vg = s.VolumeGroups[vgName];
        if (Lv(s, vgName, pool) is not { SegmentType: "thin-pool" }) return (5, $"  Failed to find logical volume \"{vgName}/{pool}\"");
        if (vg.LogicalVolumes.ContainsKey(name)) return (5, $"  Logical Volume \"{name}\" already exists in volume group \"{vgName}\"");
        var extents = (size + vg.ExtentBytes - 1) / vg.ExtentBytes;
        vg.LogicalVolumes[name] = new SimulatedLogicalVolume { SizeBytes = extents * vg.ExtentBytes, SegmentType = "thin", ThinPool = pool };
        return (0, (size % vg.ExtentBytes != 0 ? $"  Rounding up size to full physical extent {LvmSize(extents * vg.ExtentBytes)}\n" : "") + $"  Logical volume \"{name}\" created.");
    }

    static (int, string) ThinSnap(SimulatedHostState s, string vgName, string originName, string name, bool readOnly)
    {
        if (NoVg(s, vgName) is { } e) return e;
        if (Lv(s, vgName, name) is not null) return (17, $"refusing to overwrite existing {vgName}/{name}");
        var origin = Lv(s, vgName, originName);
        if (origin is null) return (5, $"  Failed to find logical volume \"{vgName}/{originName}\"");
        if (origin.SegmentType != "thin") return (3, "  Please specify either size or extents with snapshots.");
        var lv = new SimulatedLogicalVolume { SizeBytes = origin.SizeBytes, SegmentType = "thin", ThinPool = origin.ThinPool, ReadOnly = readOnly };
        s.ThinShare(origin, lv);
        s.VolumeGroups[vgName].LogicalVolumes[name] = lv;
        return (0, $"  Logical volume \"{name}\" created.\nthin");
    }

    static (int, string) ThinReplace(SimulatedHostState s, string vgName, string source, string name)
    {
        // pb_thin_replace: the snapshot under the name of the volume pb_lvremove_many just removed; still there: unchanged.
        if (Lv(s, vgName, name) is not null) return (17, $"refusing to overwrite existing {vgName}/{name}");
        // A fault here fails the snapshot after the removal (the pool's metadata full, the source gone meanwhile).
        var (rc, made) = s.TakeFault($"lvcreate -s -n {name} {vgName}/{source}") is { } fault ? (5, fault.Message) : ThinSnap(s, vgName, source, name, readOnly: false);
        s.PruneExtents();
        return rc == 0 ? (0, "thin") : (75, made + $"\n{ReplaceThinVolume.OldVolumeRemoved} {vgName}/{name}");
    }

    /// <summary>pb_lvremove_many: one lvremove; volumes already gone are fine; those left are named on the last line.</summary>
    static (int, string) LvRemoveMany(SimulatedHostState s, string vgName, IReadOnlyList<string> names)
    {
        if (NoVg(s, vgName) is { } e) return e;
        var said = new List<string>();
        var left = new List<string>();
        foreach (var name in names)
        {
            if (Lv(s, vgName, name) is null) continue;
            // A fault here: LVM refused this volume (in use by something other than LIO, say).
            var (rc, msg) = s.TakeFault($"lvremove {vgName}/{name}") is { } fault ? (5, fault.Message) : LvRemove(s, vgName, name);
            if (rc != 0) { said.Add(msg); left.Add(name); }
        }
        s.PruneExtents();
        return left.Count == 0 ? (0, "") : (1, string.Join("\n", said) + $"\n{RemoveLogicalVolumes.NotRemovedPrefix} {string.Join(" ", left)}");
    }

    static (int, string) ReadOnly(SimulatedHostState s, string vgName, string name)
    {
        if (Lv(s, vgName, name) is not { } lv) return (5, $"  Failed to find logical volume \"{vgName}/{name}\"");
        lv.ReadOnly = true;
        return (0, $"  Logical volume {vgName}/{name} changed.");
    }

    static (int, string) Inspect(SimulatedHostState s, string path, string directory)
    {
        var p = N(path);
        if (s.DirectoryExists(p)) return (2, $"{path} is not a regular file");
        if (!s.Files.TryGetValue(p, out var f)) return s.TryGetLogicalVolume(p, out _, out _) ? (2, $"{path} is not a regular file") : (2, $"{path} does not exist");
        if (!p.StartsWith(N(directory).TrimEnd('/') + "/", StringComparison.Ordinal)) return (2, $"{path} resolves to {p}, outside the image directory {directory}");
        return (0, $"file {I(f.SizeBytes)} {I((s.BlocksOf(f) + 511) / 512)} 512 {f.Magic ?? "0000000000000000"}");
    }

    static (int, string) Measure(SimulatedHostState s, string path)
    {
        var p = N(path);
        if (s.TryGetLogicalVolume(p, out var vg, out var name))
        {
            var lv = s.VolumeGroups[vg].LogicalVolumes[name];
            var mapped = lv.MappedBytes + (lv.Shared?.Sum(id => s.Extents.GetValueOrDefault(id)) ?? 0);
            var pct = lv.SizeBytes == 0 ? 0 : 100.0 * mapped / lv.SizeBytes;
            return (0, $"lv {I(lv.SizeBytes)} {pct.ToString("0.00", CultureInfo.InvariantCulture)}{(lv.SegmentType == "thin" ? " " + I(mapped / 512) : "")}");
        }
        if (s.Files.TryGetValue(p, out var f)) return (0, $"file {I(f.SizeBytes)} {I((s.BlocksOf(f) + 511) / 512)} 512");
        return (2, $"{path} does not exist");
    }

    static (int, string) SpaceFileIO(SimulatedHostState s, string storage, string images)
    {
        var d = N(storage);
        while (!s.DirectoryExists(d)) d = SimulatedHostState.ParentOf(d);
        var i = s.DirectoryExists(images) ? N(images) : d;
        var fs = s.FilesystemOf(d);
        var used = s.UsedBytes(fs);
        var clone = s.FilesystemOf(i) != fs ? "clone copy Invalid cross-device link" : fs.Reflink ? "clone reflink" : "clone copy Operation not supported";
        return (0, $"fs {fs.Type}\ndf {I(fs.SizeBytes)} {I(used)} {I(Math.Max(0, fs.SizeBytes - used))}\n{clone}");
    }

    static (int, string) SpaceBlock(SimulatedHostState s, string vgName, string? pool, bool poolOnly)
    {
        // pb_space_block's "pool" mode: the kernel's thin-pool status, no vg line (lvs's answer when the pool is not active).
        if (poolOnly && pool is not null && s.VolumeGroups.ContainsKey(vgName) && Lv(s, vgName, pool) is { SegmentType: "thin-pool" } tp)
            return (0, $"pool {I(tp.SizeBytes)} {Pct4(s.PoolUsedBytes(vgName, pool), tp.SizeBytes)} {Pct4(s.PoolMetadataUsedBytes(vgName, pool), tp.MetadataBytes)} thin-pool");
        if (!s.VolumeGroups.TryGetValue(vgName, out var vg)) return (0, $"vg   Volume group \"{vgName}\" not found   Cannot process volume group {vgName} " + (pool is null ? "" : $"\npool   Volume group \"{vgName}\" not found   Cannot process volume group {vgName} "));
        var text = $"vg {I(vg.SizeBytes)} {I(vg.FreeExtents * vg.ExtentBytes)}";
        if (pool is null) return (0, text);
        if (Lv(s, vgName, pool) is not { } p) return (0, text + $"\npool   Failed to find logical volume \"{vgName}/{pool}\" ");
        if (p.SegmentType != "thin-pool") return (0, text + $"\npool {I(p.SizeBytes)}   linear");
        string Pct(long used, long size) => (size == 0 ? 0 : 100.0 * used / size).ToString("0.00", CultureInfo.InvariantCulture);
        return (0, text + $"\npool {I(p.SizeBytes)} {Pct(s.PoolUsedBytes(vgName, pool), p.SizeBytes)} {Pct(s.PoolMetadataUsedBytes(vgName, pool), p.MetadataBytes)} thin-pool");
    }

    /// <summary>pb__pct: a percentage to four decimals, truncated (bash integer arithmetic).</summary>
    static string Pct4(long used, long size)
    {
        var p = size == 0 ? 0 : (long)((decimal)used * 1_000_000 / size);
        return $"{I(p / 10000)}.{I(p % 10000).PadLeft(4, '0')}";
    }

    static (int, string) Fill(SimulatedHostState s, string source, string device)
    {
        var src = N(source);
        if (!s.Files.TryGetValue(src, out var f)) return (2, $"source image {source} does not exist");
        if (!s.TryGetLogicalVolume(device, out var vg, out var name)) return (2, $"{device} is not a block device");
        var lv = s.VolumeGroups[vg].LogicalVolumes[name];
        if (f.SizeBytes > lv.SizeBytes) return (1, $"dd: error writing '{device}': No space left on device");
        lv.MappedBytes = s.BlocksOf(f);   // conv=sparse: only the blocks that hold data
        lv.Content = f.Content;
        return (0, "");
    }
}
