using System.Diagnostics;
using System.Text.RegularExpressions;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Integration;

/// <summary>
/// The disk lifecycle on the lab VM: a FileIO backend on XFS with reflinks and a Block backend in an LVM thin pool,
/// real targetcli/LIO, a second qemu that sanboots its clone through iPXE and writes to it, and libiscsi's qemu-io
/// reading data back. Each test runs in its own directory, IQN namespace and image names.
/// </summary>
[Collection("lab")]
public class LifecycleTests(ITestOutputHelper output)
{
    static string RandomMac() => "52:54:00:" + string.Join(":", Guid.NewGuid().ToByteArray()[..3].Select(b => b.ToString("x2")));
    void Dump(LifecycleLab l) { lock (l.Ctx.Log) foreach (var line in l.Ctx.Log) output.WriteLine(line); }
    static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    string BootOnce(LifecycleLab l, Node node, string tftp, string until, Action<string>? whileRunning = null)
    {
        using var vm = NodeVm.Start(tftp, node.MacAddress, output);
        var sw = Stopwatch.StartNew();
        var ok = vm.WaitFor(o => o.Contains(until), TimeSpan.FromSeconds(180));
        output.WriteLine($"---- node console ({sw.Elapsed.TotalSeconds:0.0} s) ----\n{vm.Tail(1200)}");
        Assert.True(ok, $"the node did not print {until} within 180 s");
        whileRunning?.Invoke(vm.Output);
        return vm.Output;
    }

    /// <summary>Waits until LIO shows no session on the LUN (a powered-off node's connection closes).</summary>
    async Task NoSession(LifecycleLab l, string backend, string lun)
    {
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < TimeSpan.FromSeconds(90); await Task.Delay(2000))
            if ((await l.E.GetTargetStatusAsync(backend)).Luns.Single(x => x.Name == lun).Session is null) return;
        Assert.Fail($"LUN {lun} still has a session 90 s after its node stopped");
    }

    string Sector(LifecycleLab l, string device, int sector) => l.Lab.SshOk($"dd if={device} bs=512 skip={sector} count=1 status=none | tr -d '\\000' | head -c 64");

    // ================================================================ boot, write, reset

    [LabTheory]
    [MemberData(nameof(LifecycleLab.Executors), MemberType = typeof(LifecycleLab))]
    public async Task ANodeBootsItsCloneAndWritesToIt_ResetErasesWhatItWrote_FileIOOnXfs(LioExecutorKind executor)
    {
        using var l = new LifecycleLab();
        try
        {
            var be = l.FileIO("lcfile", executor);
            var boot = new LifecycleBootImage(l, "v1", output);
            l.Upload($"{l.XfsDir}/golden/boot.img", boot.Bytes, 64L << 20);
            var image = await l.E.NewImageAsync(new ImageCreateRequest { Name = "deb12", Backend = be.Name, Path = "golden/boot.img" });
            Assert.True(image.Succeeded, image.Error);
            var node = l.E.AddNode("seat1", RandomMac());
            var lun = Assert.Single(await l.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "seat1", Backend = be.Name, Image = "deb12", Node = "seat1" } }));
            Assert.True(lun.Succeeded, lun.Error);
            Assert.Equal("deb12:v1", lun.Lun!.Image);
            var tftp = Directory.CreateDirectory(Path.Combine(l.Ctx.Dir, "tftp")).FullName;
            l.E.WriteBootScript("seat1", Path.Combine(tftp, "boot.ipxe"), "10.0.2.2", l.Lab.IscsiPort);

            // Boot 1: the node sees image v1, no marker; it writes its marker. While it runs, a reset is refused.
            var first = BootOnce(l, node, tftp, "MARKER-WRITTEN", _ =>
            {
                var refused = Assert.Single(l.E.ResetLunsAsync(new[] { new LunResetRequest("seat1") }).GetAwaiter().GetResult());
                output.WriteLine($"reset while the node runs: {refused}");
                Assert.Equal(FailureKind.Conflict, refused.Failure);
                Assert.Contains("logged in", refused.Error);
            });
            Assert.Contains(boot.Data, first);
            Assert.Contains("MARKER-ABSENT", first);
            Assert.StartsWith(boot.Written, Sector(l, lun.Lun.BackingPath!, 2));         // its write reached the clone ...
            Assert.DoesNotContain(boot.Written, Sector(l, image.Image!.Path, 2));        // ... not the image
            await NoSession(l, be.Name, "seat1");

            // Boot 2: the marker is on its disk.
            Assert.Contains("MARKER-PRESENT", BootOnce(l, node, tftp, "MARKER-WRITTEN"));
            await NoSession(l, be.Name, "seat1");

            // Reset, then boot 3: a fresh clone of v1, the marker is gone.
            var sw = Stopwatch.StartNew();
            var reset = Assert.Single(await l.E.ResetLunsAsync(new[] { new LunResetRequest("seat1") }));
            output.WriteLine($"Reset-IscsiLun took {sw.Elapsed.TotalSeconds:0.0} s ({executor})");
            Assert.True(reset.Succeeded, reset.Error);
            Assert.Equal("", Sector(l, lun.Lun.BackingPath!, 2));
            var third = BootOnce(l, node, tftp, "MARKER-WRITTEN");
            Assert.Contains("MARKER-ABSENT", third);
            Assert.Contains(boot.Data, third);
            Assert.Contains(l.E.ListAudit(), a => a.Operation == "reset-lun" && a.ObjectName == "seat1" && a.Outcome == AuditOutcome.Success);
            await NoSession(l, be.Name, "seat1");
            Assert.Empty((await l.E.GetTargetStatusAsync(be.Name)).Drift);
        }
        finally { Dump(l); }
    }

    // ================================================================ rollout and rollback, with -Force under a running node

    [LabFact]
    public async Task RolloutAndRollbackAreSeenByTheBootedNode_ForceSwapsTheDiskUnderARunningNode_ThinLvm()
    {
        using var l = new LifecycleLab();
        try
        {
            var be = l.Thin("lcthin", LifecycleLab.DefaultExecutor, TargetMode.PerLun);
            var v1 = new LifecycleBootImage(l, "v1", output);
            var v2 = new LifecycleBootImage(l, "v2", output);
            l.Upload($"{l.ImageDir}/os-v1.img", v1.Bytes, 64L << 20);
            l.Upload($"{l.ImageDir}/os-v2.img", v2.Bytes, 64L << 20);
            var name = "os-" + l.Id;   // image volumes share the volume group with other tests
            Assert.True((await l.E.NewImageAsync(new ImageCreateRequest { Name = name, Backend = be.Name, Path = "os-v1.img" })).Succeeded);
            Assert.True((await l.E.NewImageAsync(new ImageCreateRequest { Name = name, Backend = be.Name, Path = "os-v2.img" })).Succeeded);
            var lunName = "r" + l.Id;
            var node = l.E.AddNode(lunName, RandomMac());
            var made = Assert.Single(await l.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = lunName, Backend = be.Name, Image = name, ImageVersion = 1, Node = lunName } }));
            Assert.True(made.Succeeded, made.Error);
            var tftp = Directory.CreateDirectory(Path.Combine(l.Ctx.Dir, "tftp")).FullName;
            l.E.WriteBootScript(lunName, Path.Combine(tftp, "boot.ipxe"), "10.0.2.2", l.Lab.IscsiPort);

            var first = BootOnce(l, node, tftp, "MARKER-WRITTEN");
            Assert.Contains(v1.Data, first);
            Assert.Contains("MARKER-ABSENT", first);
            await NoSession(l, be.Name, lunName);

            // The plan under -WhatIf, then the rollout: the node boots v2, its own disk kept as a snapshot.
            var plan = Assert.Single(await l.E.PlanLunImagesAsync(new[] { new LunRolloutRequest(lunName, name, 2) }));
            Assert.Equal(("Rollout", $"{name}:v1", $"{name}:v2"), (plan.Action, plan.FromImage, plan.ToImage));
            var rolled = Assert.Single(await l.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest(lunName, name, 2) }));
            Assert.True(rolled.Succeeded, rolled.Error);
            Assert.Equal($"before-{name}-v2", l.E.GetLun(lunName).PreviousSnapshot);

            // Boot 2 on v2; while the node runs, a rollback is refused, and with Force its session is dropped and the
            // running node reads v1 from then on (iPXE logs in again to the restored disk).
            using (var vm = NodeVm.Start(tftp, node.MacAddress, output))
            {
                Assert.True(vm.WaitFor(o => o.Contains("MARKER-WRITTEN"), TimeSpan.FromSeconds(180)), vm.Tail(800));
                Assert.Contains(v2.Data, vm.Output);
                Assert.Contains("MARKER-ABSENT", vm.Output);
                var refused = Assert.Single(await l.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest(lunName, Rollback: true) }));
                Assert.Equal(FailureKind.Conflict, refused.Failure);
                var forced = Assert.Single(await l.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest(lunName, Rollback: true, Force: true) }));
                Assert.True(forced.Succeeded, forced.Error);
                Assert.Contains(forced.Warnings, w => w.Contains("dropped the session"));
                var seen = vm.WaitFor(o => Count(o[o.LastIndexOf("MARKER-WRITTEN", StringComparison.Ordinal)..], v1.Data) >= 2, TimeSpan.FromSeconds(120));
                output.WriteLine($"---- node console across the forced rollback ----\n{vm.Tail(1500)}");
                Assert.True(seen, "the running node did not read the rolled-back disk");
            }
            await NoSession(l, be.Name, lunName);

            // Boot 3: v1 with the marker the node wrote on its first boot (its own disk came back).
            var third = BootOnce(l, node, tftp, "MARKER-WRITTEN");
            Assert.Contains(v1.Data, third);
            Assert.Contains("MARKER-PRESENT", third);
            Assert.Equal($"{name}:v1", l.E.GetLun(lunName).Image);
            await NoSession(l, be.Name, lunName);
            Assert.Empty((await l.E.GetTargetStatusAsync(be.Name)).Drift);
        }
        finally { Dump(l); }
    }

    // ================================================================ snapshots through a real initiator

    [LabTheory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task WriteACheckpointWriteBRestore_ARealInitiatorReadsABack(StorageKind kind)
    {
        using var l = new LifecycleLab();
        try
        {
            var be = kind == StorageKind.FileIO ? l.FileIO("snapf", LifecycleLab.DefaultExecutor) : l.Thin("snapt", LifecycleLab.DefaultExecutor);
            var dir = kind == StorageKind.FileIO ? l.XfsDir + "/golden" : l.ImageDir;
            l.Upload($"{dir}/base.img", new byte[] { 1, 2, 3 }, 16L << 20);
            var image = "b-" + l.Id;
            Assert.True((await l.E.NewImageAsync(new ImageCreateRequest { Name = image, Backend = be.Name, Path = kind == StorageKind.FileIO ? "golden/base.img" : "base.img" })).Succeeded);
            var lunName = "s" + l.Id;
            var node = l.E.AddNode(lunName, RandomMac());
            var made = Assert.Single(await l.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = lunName, Backend = be.Name, Image = image, Node = lunName } }));
            Assert.True(made.Succeeded, made.Error);
            var lun = made.Lun!;
            var c = l.E.GetChapCredential(lunName);
            (bool Ok, string Out) Io(string cmd) => DataPath.QemuIo(l.Lab, node.InitiatorIqn, lun.TargetIqn!, lun.MappedLunIndex!.Value, c.User, c.RevealSecret(), cmd);

            Assert.True(Io("write -P 0x41 0 64k").Ok);                       // A
            var cp = Assert.Single(await l.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest(lunName, "after-a") }));
            Assert.True(cp.Succeeded, cp.Error);
            Assert.True(Io("write -P 0x42 0 64k").Ok);                       // B over A ...
            Assert.True(Io("write -P 0x42 1M 64k").Ok);                      // ... and beside it
            Assert.True(Io("read -P 0x42 0 64k").Ok);
            var sw = Stopwatch.StartNew();
            var restored = Assert.Single(await l.E.RestoreLunsAsync(new[] { new LunRestoreRequest(lunName, "after-a") }));
            output.WriteLine($"Restore-IscsiLun took {sw.Elapsed.TotalSeconds:0.0} s ({kind}, {be.Executor})");
            Assert.True(restored.Succeeded, restored.Error);
            var a = Io("read -P 0x41 0 64k"); output.WriteLine(a.Out);
            Assert.True(a.Ok, "A is not back: " + a.Out);
            var b = Io("read -P 0x42 1M 64k"); output.WriteLine(b.Out);
            Assert.False(b.Ok, "B is still there");
            Assert.True(Io("read -P 0 1M 64k").Ok);
            var after = l.E.GetLun(lunName);
            Assert.Equal((lun.TargetIqn, lun.TpgLunIndex, lun.MappedLunIndex, lun.ChapUser), (after.TargetIqn, after.TpgLunIndex, after.MappedLunIndex, after.ChapUser));
            Assert.Empty((await l.E.GetTargetStatusAsync(be.Name)).Drift);
        }
        finally { Dump(l); }
    }

    // ================================================================ clones copy nothing; space comes from the host

    [LabTheory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task ClonesOfATenGiBImageCopyNoData_AndTheSpaceFiguresAreTheHosts(StorageKind kind)
    {
        using var l = new LifecycleLab();
        try
        {
            var be = kind == StorageKind.FileIO ? l.FileIO("clonef", LifecycleLab.DefaultExecutor) : l.Thin("clonet", LifecycleLab.DefaultExecutor);
            var dir = kind == StorageKind.FileIO ? l.XfsDir + "/golden" : l.ImageDir;
            l.Lab.SshOk($"mkdir -p {dir} && truncate -s 10G {dir}/big.img && dd if=/dev/urandom of={dir}/big.img bs=1M count=1 conv=notrunc,fsync status=none");
            var image = "g-" + l.Id;
            var reg = await l.E.NewImageAsync(new ImageCreateRequest { Name = image, Backend = be.Name, Path = kind == StorageKind.FileIO ? "golden/big.img" : "big.img" });
            Assert.True(reg.Succeeded, reg.Error);
            Assert.Equal(10L << 30, reg.Image!.SizeBytes);
            output.WriteLine($"image {reg.Image.Label}: {reg.Image.AllocatedBytes} bytes allocated");

            var space = await l.E.GetBackendSpaceAsync(be.Name);
            output.WriteLine($"space: {space} data {space.ThinPoolDataPercent} meta {space.ThinPoolMetadataPercent} used {space.UsedBytes} of {space.SizeBytes}");
            if (kind == StorageKind.FileIO)
            {
                Assert.Equal(CloneMethod.Reflink, space.CloneMethod);
                Assert.Equal("xfs", space.FilesystemType);
                var df = l.Lab.SshOk($"df -B1 --output=size {l.XfsDir}").Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
                Assert.Equal(long.Parse(df), space.SizeBytes);
            }
            else
            {
                Assert.Equal(CloneMethod.ThinSnapshot, space.CloneMethod);
                var lvs = l.Lab.SshOk($"lvs --noheadings --units b --nosuffix -o lv_size,data_percent {l.Lab.VolumeGroup}/{l.Pool}").Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(long.Parse(lvs[0]), space.ThinPoolSizeBytes);
                Assert.Equal(double.Parse(lvs[1], System.Globalization.CultureInfo.InvariantCulture), space.ThinPoolDataPercent);
            }
            long Used() => kind == StorageKind.FileIO
                ? long.Parse(l.Lab.SshOk($"df -B1 --output=used {l.XfsDir}").Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim())
                : (long)(double.Parse(l.Lab.SshOk($"lvs --noheadings --units b --nosuffix -o data_percent {l.Lab.VolumeGroup}/{l.Pool}").Trim(), System.Globalization.CultureInfo.InvariantCulture) / 100 * space.ThinPoolSizeBytes!.Value);
            var before = Used();
            var names = Enumerable.Range(0, 8).Select(i => $"c{i}{l.Id}").ToList();
            var sw = Stopwatch.StartNew();
            var made = await l.E.CreateLunsAsync(names.Select(n => new LunCreateRequest { Name = n, Backend = be.Name, Image = image }).ToList());
            output.WriteLine($"8 clones of the 10 GiB image: {sw.Elapsed.TotalSeconds:0.0} s in one batch ({be.Executor})");
            Assert.All(made, o => Assert.True(o.Succeeded, o.Error));
            var added = Used() - before;
            output.WriteLine($"space used by 8 clones: {added} bytes");
            Assert.True(added < 8L << 20, $"8 clones took {added} bytes: data was copied");
            var clone = made[0].Lun!;
            var stat = kind == StorageKind.FileIO ? l.Lab.SshOk($"stat -c '%s' {clone.BackingPath}").Trim() : l.Lab.SshOk($"blockdev --getsize64 {clone.BackingPath}").Trim();
            Assert.Equal((10L << 30).ToString(), stat);
            Assert.Equal(l.Lab.SshOk($"dd if={reg.Image.Path} bs=1M count=1 status=none | md5sum"), l.Lab.SshOk($"dd if={clone.BackingPath} bs=1M count=1 status=none | md5sum"));
        }
        finally { Dump(l); }
    }

    [LabFact]
    public async Task AThinPoolNearItsLimitRefusesProvisioning_NothingIsHalfMade()
    {
        using var l = new LifecycleLab();
        try
        {
            var pool = "tp" + l.Id;
            l.Lab.SshOk($"lvcreate -q -y --type thin-pool -L 64M -n {pool} {l.Lab.VolumeGroup} >/dev/null");
            l.AtEnd($"lvremove -q -f {l.Lab.VolumeGroup}/{pool}");
            var be = l.Thin("near", LifecycleLab.DefaultExecutor, pool: pool, maxFill: 50);
            l.Upload($"{l.ImageDir}/small.img", new byte[] { 9, 9, 9 }, 16L << 20);
            var image = "n-" + l.Id;
            Assert.True((await l.E.NewImageAsync(new ImageCreateRequest { Name = image, Backend = be.Name, Path = "small.img" })).Succeeded);
            var first = Assert.Single(await l.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "f" + l.Id, Backend = be.Name, Image = image } }));
            Assert.True(first.Succeeded, first.Error);
            // A node fills its disk: 40 MiB of data in a 64 MiB pool.
            l.Lab.SshOk($"dd if=/dev/urandom of={first.Lun!.BackingPath} bs=1M count=40 conv=fsync status=none");
            var space = await l.E.GetBackendSpaceAsync(be.Name);
            output.WriteLine($"pool {pool}: data {space.ThinPoolDataPercent}%, metadata {space.ThinPoolMetadataPercent}%, limit {space.MaxFillPercent}%");
            Assert.True(space.OverLimit);

            string Lvs() => l.Lab.SshOk($"lvs --noheadings -o lv_name {l.Lab.VolumeGroup} | sort");
            var lvs = Lvs(); var saved = l.Lab.SavedConfigJson(); var rows = l.E.ListLuns().Count; var audit = l.E.ListAudit().Count;
            var create = Assert.Single(await l.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "g" + l.Id, Backend = be.Name, Image = image } }));
            var cp = Assert.Single(await l.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("f" + l.Id, "s1") }));
            var reset = Assert.Single(await l.E.ResetLunsAsync(new[] { new LunResetRequest("f" + l.Id) }));
            foreach (var o in new[] { create, cp, reset })
            {
                output.WriteLine(o.ToString());
                Assert.Equal(FailureKind.InsufficientSpace, o.Failure);
                Assert.Contains($"thin pool {l.Lab.VolumeGroup}/{pool}", o.Error);
                Assert.Contains("MaxFillPercent", o.Error);
            }
            Assert.Equal(lvs, Lvs());                          // no volume made
            Assert.Equal(saved, l.Lab.SavedConfigJson());      // nothing sent to LIO
            Assert.Equal(rows, l.E.ListLuns().Count);          // nothing written
            Assert.Equal(audit, l.E.ListAudit().Count);
            Assert.Empty(l.E.ListSnapshots());
            var status = await l.E.GetTargetStatusAsync(be.Name);
            Assert.True(status.Space!.OverLimit);
        }
        finally { Dump(l); }
    }
}
