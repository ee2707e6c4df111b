using System.Text;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Integration;

/// <summary>
/// A lab context for the disk lifecycle: FileIO backends on the lab's XFS (reflink=1) filesystem and Block backends in
/// its thin pool, each test in its own directory, IQN namespace and image names; cleans up snapshots and images too.
/// </summary>
sealed class LifecycleLab : IDisposable
{
    public LabContext Ctx { get; } = new();
    public Lab Lab => Ctx.Lab;
    public PureBootEngine E => Ctx.Engine;
    public string Id => Ctx.Id;
    public string XfsDir => $"{Lab.XfsDir ?? throw new InvalidOperationException("the lab has no XFS filesystem (PUREBOOT_LAB_XFS_DIR): rebuild it with start-vm.sh")}/{Id}";
    public string ImageDir => $"/var/lib/pureboot/images/{Id}";
    public string Pool => Lab.ThinPool ?? throw new InvalidOperationException("the lab has no thin pool (PUREBOOT_LAB_THIN_POOL): rebuild it with start-vm.sh");
    readonly List<string> _cleanup = new();

    /// <summary>The executors this build can drive on the lab: Targetcli always; Rtslib once PureBoot carries rtslib_apply.py.</summary>
    public static bool RtslibAvailable => typeof(PureBootEngine).Assembly.GetManifestResourceNames().Contains("PureBoot.Shell.rtslib_apply.py");
    public static LioExecutorKind DefaultExecutor => RtslibAvailable ? LioExecutorKind.Rtslib : LioExecutorKind.Targetcli;
    public static TheoryData<LioExecutorKind> Executors() { var d = new TheoryData<LioExecutorKind> { LioExecutorKind.Targetcli }; if (RtslibAvailable) d.Add(LioExecutorKind.Rtslib); return d; }

    BackendSpec Spec(string name, LioExecutorKind executor, TargetMode mode) => new()
    {
        Name = name, Transport = TransportKind.Ssh, Host = Lab.Host, Port = Lab.SshPort, User = "root", IdentityFile = Lab.RootKey,
        KnownHostsFile = Lab.KnownHosts, IqnPrefix = Ctx.IqnPrefix, Mode = mode, Executor = executor,
    };

    public Backend FileIO(string name, LioExecutorKind executor, TargetMode mode = TargetMode.Shared) =>
        E.AddBackend(Spec(name, executor, mode) with { Storage = StorageKind.FileIO, StoragePath = XfsDir });

    public Backend Thin(string name, LioExecutorKind executor, TargetMode mode = TargetMode.Shared, string? pool = null, int maxFill = 90) =>
        E.AddBackend(Spec(name, executor, mode) with { Storage = StorageKind.Block, StoragePath = Lab.VolumeGroup, ThinPool = pool ?? Pool, ImageDirectory = ImageDir, MaxFillPercent = maxFill });

    /// <summary>A sparse image file on the VM: SIZE bytes with DATA (bytes) written at its start.</summary>
    public void Upload(string path, byte[] data, long size)
    {
        Lab.SshOk($"mkdir -p $(dirname {path}) && echo {Convert.ToBase64String(data)} | base64 -d > {path} && truncate -s {size} {path} && sync");
    }

    /// <summary>A shell command to run when the test ends (after PureBoot's objects are gone).</summary>
    public void AtEnd(string command) => _cleanup.Add(command);

    public void Dispose()
    {
        try
        {
            var snaps = E.ListSnapshots().Select(s => new SnapshotRemoveRequest(s.LunName, s.SnapshotName)).ToList();
            if (snaps.Count > 0) E.RemoveSnapshotsAsync(snaps).GetAwaiter().GetResult();
            var luns = E.ListLuns().Select(l => new LunRemoveRequest(l.Name, Force: true)).ToList();
            if (luns.Count > 0) E.RemoveLunsAsync(luns).GetAwaiter().GetResult();
            foreach (var name in E.ListImages().Select(i => i.Name).Distinct().ToList())
                E.RemoveImageAsync(new ImageRemoveRequest(name, DetachLuns: true)).GetAwaiter().GetResult();
            var sh = new StringBuilder($"rm -rf '{ImageDir}'; ");
            if (Lab.XfsDir is not null) sh.Append($"rm -rf '{XfsDir}'; ");
            foreach (var c in _cleanup) sh.Append(c).Append("; ");
            Lab.Ssh(sh.Append("true").ToString());
        }
        catch { }
        Ctx.Dispose();
    }
}

/// <summary>tests/Integration/boot/lifecycle.asm assembled with this run's strings: a disk that says which image it is and what the node wrote.</summary>
sealed class LifecycleBootImage
{
    public string Marker { get; }
    public string Data { get; }
    public string Written { get; }
    public byte[] Bytes { get; }

    public LifecycleBootImage(LifecycleLab l, string version, ITestOutputHelper output)
    {
        var run = l.Id;
        Marker = $"PUREBOOT-BOOTED-{run}";
        Data = $"PUREBOOT-IMAGE-{version}-{run}";
        Written = $"PUREBOOT-WRITTEN-{run}";
        var bin = Path.Combine(l.Ctx.Dir, $"boot-{version}.bin");
        var asm = Path.Combine(Lab.RepoRoot, "tests", "Integration", "boot", "lifecycle.asm");
        var (code, o) = Lab.RunHost("timeout", "60", "nasm", "-f", "bin", $"-DMARKER=\"{Marker}\"", $"-DDATA=\"{Data}\"", $"-DWMARK=\"{Written}\"", "-o", bin, asm);
        Assert.True(code == 0, $"nasm failed ({code}): {o}");
        Bytes = File.ReadAllBytes(bin);
        Assert.Equal(1024, Bytes.Length);
        output.WriteLine($"boot image {version}: marker {Marker}, data {Data}, writes {Written}");
    }
}
