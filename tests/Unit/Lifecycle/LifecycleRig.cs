using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Simulation;
using PureBoot.Tests.Unit.Engine;
using Xunit;

namespace PureBoot.Tests.Unit.Lifecycle;

/// <summary>
/// A simulated backend for the disk lifecycle: FileIO on a reflinking filesystem (or not), or Block with a thin pool;
/// two golden image files (10 GiB, 1 and 2 MiB of data, labelled deb12-v1 and deb12-v2) in its image directory.
/// </summary>
public sealed class LifecycleRig : IDisposable
{
    public EngineHarness H { get; } = new();
    public StorageKind Kind { get; }
    public Backend B { get; }
    public PureBootEngine E => H.Engine;
    public const long TenGiB = 10L << 30;

    public LifecycleRig(StorageKind kind, bool reflink = true, long poolBytes = 64L << 30, int maxFill = 90, string? name = "san1")
    {
        Kind = kind;
        B = E.AddBackend(new BackendSpec
        {
            Name = name!, Transport = TransportKind.Simulated, SimulationStatePath = H.StatePath, Storage = kind,
            StoragePath = kind == StorageKind.FileIO ? "/var/lib/pureboot/luns" : "pureboot", ThinPool = kind == StorageKind.Block ? "pool" : null,
            MaxFillPercent = maxFill,
        });
        H.Mutate(s =>
        {
            if (kind == StorageKind.Block) s.AddThinPool("pureboot", "pool", poolBytes);
            if (!reflink) s.Filesystems.Add(new SimulatedFilesystem { MountPoint = "/", Type = "ext4", Reflink = false, SizeBytes = 1L << 40 });
            var dir = B.EffectiveImageDirectory;
            s.AddFile($"{dir}/golden/deb12.img", TenGiB, 1L << 20, "deb12-v1");
            s.AddFile($"{dir}/golden/deb12-v2.img", TenGiB, 2L << 20, "deb12-v2");
        });
    }

    public SimulatedHostState State => H.State;
    public LioConfig Saved => SaveConfigParser.Parse(State.Saved ?? "{}");

    public async Task<DiskImage> Image(string file = "golden/deb12.img", string name = "deb12")
    {
        var o = await E.NewImageAsync(new ImageCreateRequest { Name = name, Backend = B.Name, Path = file });
        Assert.True(o.Succeeded, o.Error);
        return o.Image!;
    }

    /// <summary>Nodes n00..n(count-1) with LUNs of the same names cloned from the image and assigned, in one batch.</summary>
    public async Task<IReadOnlyList<LunOutcome>> Clones(int count, string image = "deb12", int? version = null)
    {
        for (int i = 0; i < count; i++)
            if (E.FindNode($"n{i:00}") is null) E.AddNode($"n{i:00}", $"52:54:00:10:{i / 256:x2}:{i % 256:x2}");
        var r = await E.CreateLunsAsync(Enumerable.Range(0, count).Select(i => new LunCreateRequest { Name = $"n{i:00}", Backend = B.Name, Image = image, ImageVersion = version, Node = $"n{i:00}" }).ToList());
        Assert.All(r, o => Assert.True(o.Succeeded, o.Error));
        return r;
    }

    /// <summary>Bytes the backend has used: the filesystem's, or the thin pool's data.</summary>
    public long Used()
    {
        var s = State;
        return Kind == StorageKind.FileIO ? s.UsedBytes(s.FilesystemOf(B.StoragePath)) : s.PoolUsedBytes("pureboot", "pool");
    }

    public string? ContentOf(string lun)
    {
        var path = E.GetLun(lun).BackingPath!;
        var s = State;
        if (s.Files.TryGetValue(path, out var f)) return f.Content;
        return s.TryGetLogicalVolume(path, out var vg, out var lv) ? s.VolumeGroups[vg].LogicalVolumes[lv].Content : null;
    }

    public void Write(string lun, string content, long bytes = 4L << 20) => H.Mutate(s => s.WriteData(E.GetLun(lun).BackingPath!, bytes, content));

    /// <summary>The LUN's node logs in with its CHAP credential (recording a session when asked).</summary>
    public SimulatedLoginResult Login(string lun, bool session = false)
    {
        var l = E.GetLun(lun);
        var c = E.GetChapCredential(lun);
        SimulatedLoginResult r = null!;
        H.Mutate(s => r = SimulatedInitiator.Login(s, l.InitiatorIqn!, l.TargetIqn!, l.MappedLunIndex!.Value, c.User, c.RevealSecret(), recordSession: session));
        return r;
    }

    public async Task InSync()
    {
        var st = await E.GetTargetStatusAsync(B.Name);
        Assert.True(st.Drift.Count == 0, string.Join("; ", st.Drift));
    }

    public void Dispose() => H.Dispose();
}
