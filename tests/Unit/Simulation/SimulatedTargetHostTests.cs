using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Simulation;
using PureBoot.Core.Transport;
using Xunit;

namespace PureBoot.Tests.Unit.Simulation;

public sealed class SimulatedTargetHostTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "pureboot-sim-" + Guid.NewGuid().ToString("N"));
    string StatePath => Path.Combine(_dir, "host.json");

    public void Dispose() { try { Directory.Delete(_dir, true); } catch { } }

    Backend FileBackend(string? statePath = null, LioExecutorKind executor = LioExecutorKind.Targetcli) => new()
    {
        Name = "sim1", Transport = TransportKind.Simulated, SimulationStatePath = statePath ?? StatePath,
        StoragePath = "/var/lib/pureboot/luns", Storage = StorageKind.FileIO, Executor = executor,
    };

    Backend BlockBackend() => new()
    {
        Name = "simlvm", Transport = TransportKind.Simulated, SimulationStatePath = StatePath,
        StoragePath = "pureboot", Storage = StorageKind.Block, Executor = LioExecutorKind.Targetcli,
    };

    const string Target = "iqn.2026-01.local.pureboot:sim1";
    const string Node1 = "iqn.2026-01.local.pureboot:node:aabbcc000001";
    static LioChange MakeTarget(string wwn = Target) => new CreateTarget("t", wwn, "0.0.0.0", 3260);

    static readonly SimulatedTargetHostOptions Fast = new() { LockTimeout = TimeSpan.FromSeconds(5), LockRetryInterval = TimeSpan.FromMilliseconds(10) };

    [Fact]
    public async Task Open_WithoutAStatePath_IsAClearArgumentError()
    {
        var b = FileBackend();
        b.SimulationStatePath = null;
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new SimulatedTargetHostConnector().OpenAsync(b));
        Assert.Contains("SimulationStatePath", e.Message);
    }

    [Fact]
    public async Task NewStateFile_IsADefaultHost_AndIsWrittenOnDispose()
    {
        await using (var s = await new SimulatedTargetHostConnector(Fast).OpenAsync(FileBackend()))
        {
            var snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: true));
            Assert.Empty(snap.Live.StorageObjects);
            Assert.Empty(snap.Live.Targets);
            Assert.Equal("/etc/rtslib-fb-target/saveconfig.json", snap.SaveConfigPath);
            Assert.Equal("2.1.53", snap.TargetcliVersion);
            Assert.Empty(snap.Storage);
            Assert.Null(snap.StorageError);
            Assert.Empty(snap.Sessions);
            Assert.Equal(0, s.TargetcliStarts);   // sessions come from configfs, not from targetcli
        }
        var state = SimulatedHostState.Load(StatePath);
        Assert.True(state.VolumeGroups.ContainsKey("pureboot"));
        Assert.Equal(64L << 30, state.VolumeGroups["pureboot"].SizeBytes);
        Assert.True(state.DirectoryExists("/var/lib/pureboot/luns"));
    }

    [Fact]
    public async Task Targetcli_RunsThePlanAsOneScript_SplitsTheOutputPerChange_AndReadsTheSavedConfigBack()
    {
        Seed(st => st.AddFile("/var/lib/pureboot/luns/web01.img", 32L << 20, 0));
        await using var s = await new SimulatedTargetHostConnector(Fast).OpenAsync(FileBackend());
        var run = await s.ApplyAsync(new LioChange[]
        {
            new CreateStorageObject("lun:web01", "fileio", "web01", "/var/lib/pureboot/luns/web01.img"),
            new CreateStorageObject("lun:web01", "fileio", "web01", "/var/lib/pureboot/luns/web01.img"),
            MakeTarget(),
            new CreateNodeAcl("node:n1", Target, Node1),
            new SetNodeAclChap("node:n1", Target, Node1, new ChapSettings("n1", "secretpass1234")),
        });
        Assert.Equal(LioExecutorKind.Targetcli, run.Executor);
        Assert.Equal("Created fileio web01 with size 33554432", run.Changes[0].Output);
        Assert.Null(run.Changes[0].Ok);   // targetcli prints; it does not answer
        Assert.Equal("storage object for /var/lib/pureboot/luns/web01.img already exists: web01", run.Changes[1].Output);
        Assert.Equal("Created target iqn.2026-01.local.pureboot:sim1.\nCreated TPG 1.\nGlobal pref auto_add_default_portal=true\n"
                     + "Created default portal listening on all IPs (0.0.0.0), port 3260.", run.Changes[2].Output);
        Assert.Equal(new[] { "storage object for /var/lib/pureboot/luns/web01.img already exists: web01" }, run.MessagesFor("lun:web01"));
        Assert.Empty(run.MessagesFor("node:n1"));
        Assert.DoesNotContain("secretpass1234", run.Changes[4].Output + run.OtherOutput + run.Changes[4].Change);
        Assert.Contains("Parameter auto_save_on_exit is now 'false'.", run.OtherOutput);
        Assert.Contains("Configuration saved to /etc/rtslib-fb-target/saveconfig.json", run.OtherOutput);
        Assert.NotNull(run.Saved.FindStorageObject("fileio", "web01"));
        Assert.True(run.Saved.FindTpg(Target)!.FindAcl(Node1)!.HasChap);
        Assert.Equal(1, s.TargetcliStarts);
        Assert.Equal(1, s.Exchanges);
    }

    [Fact]
    public async Task Rtslib_AppliesThePlanWithoutATargetcliStart_AndAnswersPerChange()
    {
        Seed(st => st.AddFile("/var/lib/pureboot/luns/web01.img", 32L << 20, 0));
        await using var s = await new SimulatedTargetHostConnector(Fast).OpenAsync(FileBackend(executor: LioExecutorKind.Rtslib));
        var run = await s.ApplyAsync(new LioChange[]
        {
            new CreateStorageObject("lun:web01", "fileio", "web01", "/var/lib/pureboot/luns/web01.img"),
            new CreateStorageObject("lun:web01", "fileio", "web01", "/var/lib/pureboot/luns/web01.img"),
            MakeTarget(),
            SetTpgAttributes.LockDown("t", Target),
            new CreateNodeAcl("node:n1", Target, Node1),
            new SetNodeAclChap("node:n1", Target, Node1, new ChapSettings("n1", "secretpass1234")),
        });
        Assert.Equal(LioExecutorKind.Rtslib, run.Executor);
        Assert.Equal(new bool?[] { true, false, true, true, true, true }, run.Changes.Select(c => c.Ok));
        Assert.Equal("storage object for /var/lib/pureboot/luns/web01.img already exists: web01", run.Changes[1].Output);
        Assert.Equal(new[] { "storage object for /var/lib/pureboot/luns/web01.img already exists: web01" }, run.MessagesFor("lun:web01"));
        Assert.Equal("1", run.Saved.FindTpg(Target)!.Attribute("authentication"));
        Assert.True(run.Saved.FindTpg(Target)!.FindAcl(Node1)!.HasChap);
        Assert.Equal(0, s.TargetcliStarts);
        Assert.Equal(0, ((SimulatedTargetHost)s).State.TargetcliStarts);
    }

    [Fact]
    public async Task State_PersistsAcrossSessions()
    {
        await using (var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast))
            await s.ApplyAsync(new[] { MakeTarget() });
        await using (var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast))
        {
            var snap = await s.SnapshotAsync(new SnapshotRequest());
            Assert.NotNull(snap.Live.FindTarget("iqn.2026-01.local.pureboot:sim1"));
            Assert.NotNull(s.State.Saved);
            Assert.Equal(1, s.State.TargetcliStarts);
            // as on a real host, the wrapper's "set global auto_save_on_exit=false" stays in targetcli's prefs
            Assert.False(s.State.TargetcliPrefs["auto_save_on_exit"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task WithoutDbus_EveryTargetcliStartFails_AsDbusUnavailable_ButRtslibWorks()
    {
        Seed(s => s.DbusRunning = false);
        await using (var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast))
        {
            var e = await Assert.ThrowsAsync<TargetHostException>(() => s.ApplyAsync(new[] { MakeTarget() }));
            Assert.Equal(TargetHostFailure.DbusUnavailable, e.Failure);
            Assert.Contains("exit 255", e.Message);
            e = await Assert.ThrowsAsync<TargetHostException>(() => s.ProbeTargetcliAsync());
            Assert.Equal(TargetHostFailure.DbusUnavailable, e.Failure);
            // rtslib alone (the live dump and sessions) does not need D-Bus
            Assert.Empty((await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: true))).Live.Targets);
        }
        await using (var s = await SimulatedTargetHost.OpenAsync(FileBackend(executor: LioExecutorKind.Rtslib), Fast))
            Assert.Single((await s.ApplyAsync(new[] { MakeTarget() })).Saved.Targets);
    }

    [Fact]
    public async Task SecondSessionOnTheSameStateFile_WaitsForTheFirst()
    {
        var first = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast);
        var second = SimulatedTargetHost.OpenAsync(FileBackend(), Fast);
        await Task.Delay(300);
        Assert.False(second.IsCompleted);
        await first.ApplyAsync(new[] { MakeTarget() });
        await first.DisposeAsync();
        await using var s2 = await second.WaitAsync(TimeSpan.FromSeconds(10));
        // the second session sees what the first wrote
        Assert.NotNull((await s2.SnapshotAsync(new SnapshotRequest())).Live.FindTarget("iqn.2026-01.local.pureboot:sim1"));
    }

    [Fact]
    public async Task LockHeldTooLong_IsALockTimeout()
    {
        await using var first = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast);
        var e = await Assert.ThrowsAsync<TargetHostException>(() => SimulatedTargetHost.OpenAsync(FileBackend(),
            new SimulatedTargetHostOptions { LockTimeout = TimeSpan.FromMilliseconds(200), LockRetryInterval = TimeSpan.FromMilliseconds(20) }));
        Assert.Equal(TargetHostFailure.LockTimeout, e.Failure);
        Assert.Equal("simulated:sim1", e.Host);
    }

    void Seed(Action<SimulatedHostState> change)
    {
        var state = SimulatedHostState.Load(StatePath);
        change(state);
        state.Save(StatePath);
    }

    [Fact]
    public async Task FaultedLine_DoesNothingAndPrintsItsMessage_ThenWearsOff()
    {
        Seed(s => s.Faults.Add(new SimulatedFault { Pattern = @"^/iscsi create ", Message = "Could not create Target in configFS", Times = 1 }));
        await using var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast);
        var run = await s.ApplyAsync(new[] { MakeTarget() });
        Assert.Equal("Could not create Target in configFS", run.Changes[0].Output);
        Assert.Empty(run.Saved.Targets);
        run = await s.ApplyAsync(new[] { MakeTarget() });
        Assert.Single(run.Saved.Targets);
        Assert.Equal(1, s.State.Faults[0].Hits);
    }

    [Fact]
    public async Task FaultedStep_FailsWithItsMessage_AndTheOthersStillRun()
    {
        Seed(s => s.Faults.Add(new SimulatedFault { Pattern = "^mkdir -p /srv/a$", Message = "mkdir: cannot create directory '/srv/a': Read-only file system" }));
        await using var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast);
        var r = await s.RunStepsAsync(new HostStep[] { new MakeDirectory("a", "/srv/a"), new MakeDirectory("b", "/srv/b") });
        Assert.False(r[0].Ok);
        Assert.Equal("mkdir -p /srv/a failed (exit 1): mkdir: cannot create directory '/srv/a': Read-only file system", r[0].Message);
        Assert.True(r[1].Ok);
        Assert.True(s.State.DirectoryExists("/srv/b"));
    }

    [Fact]
    public async Task FaultedTargetcliStartOrConnect_Throw()
    {
        Seed(s =>
        {
            s.Faults.Add(new SimulatedFault { Pattern = "^@targetcli$", Message = "g-io-error-quark: Could not connect: No such file or directory (39)", Times = 1 });
            s.Faults.Add(new SimulatedFault { Pattern = "^@connect$", Message = "ssh: connect to host lab port 22: Connection refused", Times = 1 });
        });
        var e = await Assert.ThrowsAsync<TargetHostException>(() => SimulatedTargetHost.OpenAsync(FileBackend(), Fast));
        Assert.Equal(TargetHostFailure.Unreachable, e.Failure);
        await using var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast);
        var t = await Assert.ThrowsAsync<TargetHostException>(() => s.ApplyAsync(new[] { MakeTarget() }));
        Assert.Equal(TargetHostFailure.TargetcliFailed, t.Failure);
        Assert.Contains("g-io-error-quark", t.Message);
    }

    [Fact]
    public async Task Reboot_RestoresTheSavedConfig_NotTheLiveOne_AndDropsSessions()
    {
        await using (var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast))
            await s.ApplyAsync(new[] { MakeTarget("iqn.2026-01.local.pureboot:saved") });
        var state = SimulatedHostState.Load(StatePath);
        new TargetcliSimulator(state).Run(new[] { "set global auto_save_on_exit=false", "/iscsi create iqn.2026-01.local.pureboot:unsaved", "exit" });
        state.Sessions.Add(new SimulatedSession { InitiatorIqn = "iqn.x", TargetIqn = "iqn.2026-01.local.pureboot:saved", Sid = 1 });
        Assert.Equal(2, SaveConfigParser.Parse(state.LiveText()).Targets.Count);
        state.Reboot();
        var live = SaveConfigParser.Parse(state.LiveText());
        Assert.Equal(new[] { "iqn.2026-01.local.pureboot:saved" }, live.Targets.Select(t => t.Wwn));
        Assert.Empty(state.Sessions);
        // what rtslib restored is what was saved (configfs lists it newest first, so compare as sets)
        var saved = SaveConfigParser.Parse(state.Saved!);
        Assert.Equal(saved.Targets.Select(t => t.Wwn).OrderBy(x => x), live.Targets.Select(t => t.Wwn).OrderBy(x => x));
    }

    [Fact]
    public void Reboot_LosesBackstoresWhoseDeviceIsGone_AndTheirLuns()
    {
        var state = SimulatedHostState.CreateDefault();
        state.VolumeGroups["pureboot"].LogicalVolumes["lv1"] = new SimulatedLogicalVolume { SizeBytes = 1L << 30 };
        new TargetcliSimulator(state).Run(new[]
        {
            "/backstores/block create name=b1 dev=/dev/pureboot/lv1",
            "/backstores/fileio create name=f1 file_or_dev=/var/lib/pureboot/luns/f1.img size=1M",
            "/iscsi create iqn.2026-01.local.pureboot:t",
            "/iscsi/iqn.2026-01.local.pureboot:t/tpg1/luns create /backstores/block/b1",
            "/iscsi/iqn.2026-01.local.pureboot:t/tpg1/luns create /backstores/fileio/f1",
            "saveconfig",
        });
        state.VolumeGroups["pureboot"].LogicalVolumes.Remove("lv1");
        state.Files.Remove("/var/lib/pureboot/luns/f1.img");
        state.Reboot();
        var live = SaveConfigParser.Parse(state.LiveText());
        Assert.Equal(new[] { "f1" }, live.StorageObjects.Select(o => o.Name));   // fileio reopens its path with O_CREAT
        Assert.Equal(new[] { "/backstores/fileio/f1" }, live.Targets[0].Tpg1!.Luns.Select(l => l.StorageObject));
        Assert.Equal(0, state.Files["/var/lib/pureboot/luns/f1.img"].SizeBytes);
    }

    [Fact]
    public async Task FileSteps_BehaveLikeTheShellHelpers()
    {
        Seed(s => s.AddFile("/var/lib/pureboot/images/base.img", 10L << 30, 1L << 30, content: "debian-12"));
        await using var s = await SimulatedTargetHost.OpenAsync(FileBackend(), Fast);
        var dst = "/var/lib/pureboot/luns/n1.img";
        var r = await s.RunStepsAsync(new HostStep[]
        {
            new CopyImage("n1", "/var/lib/pureboot/images/base.img", dst),
            new CopyImage("n1", "/var/lib/pureboot/images/base.img", dst),
            new CopyImage("n2", "/var/lib/pureboot/images/none.img", "/var/lib/pureboot/luns/n2.img"),
            new GrowFile("n1", dst, 20L << 30),
            new GrowFile("n1", dst, 5L << 30),
            new RemoveFile("n3", "/var/lib/pureboot/luns/never-there.img"),
        });
        Assert.Equal(new[] { true, false, false, true, false, true }, r.Select(x => x.Ok));
        Assert.Equal($"cp --reflink=auto --sparse=always /var/lib/pureboot/images/base.img {dst} failed (exit 17): refusing to overwrite existing {dst}", r[1].Message);
        Assert.EndsWith("failed (exit 2): source image /var/lib/pureboot/images/none.img does not exist", r[2].Message);
        Assert.Equal($"grow {dst} to 5368709120 bytes failed (exit 1): refusing to shrink {dst} from 21474836480 to 5368709120 bytes", r[4].Message);
        var snap = await s.SnapshotAsync(new SnapshotRequest());
        // the sparse copy kept the source's allocation; growing did not allocate
        Assert.Equal(new StorageEntry("n1.img", 20L << 30, 1L << 30), Assert.Single(snap.Storage));
        Assert.Equal("debian-12", s.State.Files[dst].Content);
    }

    [Fact]
    public async Task LvmSteps_AccountForFreeSpace_AndRefuseToRemoveAVolumeLioUses()
    {
        await using var s = await SimulatedTargetHost.OpenAsync(BlockBackend(), Fast);
        var r = await s.RunStepsAsync(new HostStep[]
        {
            new CreateLogicalVolume("a", "pureboot", "a", 40L << 30),
            new CreateLogicalVolume("b", "pureboot", "b", 30L << 30),
            new CreateLogicalVolume("c", "pureboot", "c", (10L << 30) + 1),
            new ExtendLogicalVolume("a", "pureboot", "a", 50L << 30),
            new CreateLogicalVolume("d", "nosuchvg", "d", 1L << 30),
        });
        Assert.Equal(new[] { true, false, true, true, false }, r.Select(x => x.Ok));
        Assert.Equal("  Logical volume \"a\" created.", r[0].Message);
        Assert.Equal("lvcreate -L 32212254720b -n b pureboot failed (exit 5): "
                     + "  Volume group \"pureboot\" has insufficient free space (6144 extents): 7680 required.", r[1].Message);
        Assert.Equal("  Rounding up size to full physical extent <10.01 GiB\n  Logical volume \"c\" created.", r[2].Message);
        Assert.Contains("Volume group \"nosuchvg\" not found", r[4].Message);
        var snap = await s.SnapshotAsync(new SnapshotRequest());
        Assert.Equal(new[] { "a", "c" }, snap.Storage.Select(e => e.Name));
        Assert.Equal(50L << 30, snap.Storage[0].SizeBytes);

        var run = await s.ApplyAsync(new[] { new CreateStorageObject("a", "block", "a", "/dev/pureboot/a") });
        Assert.Equal("Created block storage object a using /dev/pureboot/a.", run.Changes[0].Output);
        var rm = await s.RunStepsAsync(new HostStep[] { new RemoveLogicalVolume("a", "pureboot", "a"), new RemoveLogicalVolume("c", "pureboot", "c") });
        Assert.Equal("lvremove -f pureboot/a failed (exit 5):   Logical volume pureboot/a in use.", rm[0].Message);
        Assert.Equal("  Logical volume \"c\" successfully removed.", rm[1].Message);
    }

    [Fact]
    public async Task Snapshot_ReportsAMissingStorageDirectoryOrVolumeGroup()
    {
        var b = FileBackend();
        b.StoragePath = "/srv/nowhere";
        await using (var s = await SimulatedTargetHost.OpenAsync(b, Fast))
            Assert.Equal("storage directory /srv/nowhere does not exist", (await s.SnapshotAsync(new SnapshotRequest())).StorageError);
        var v = BlockBackend();
        v.StoragePath = "vg0";
        await using (var s = await SimulatedTargetHost.OpenAsync(v, Fast))
            Assert.Equal("Volume group \"vg0\" not found\n  Cannot process volume group vg0", (await s.SnapshotAsync(new SnapshotRequest())).StorageError);
    }
}
