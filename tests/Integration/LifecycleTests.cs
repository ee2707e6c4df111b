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

    // ================================================================ a booted node: its writes, reset, rollout and rollback

    /// <summary>
    /// A qemu node sanboots its clone of image v1 and writes a marker to it; boots again and finds it; a reset (refused
    /// while it runs) gives it a fresh clone, and the marker is gone; a rollout to v2 boots v2; a rollback under the
    /// running node is refused, and with -Force its session is dropped and the running node reads v1 again, with the
    /// marker it wrote before the rollout.
    /// </summary>
    [LabTheory]
    [MemberData(nameof(LifecycleLab.Executors), MemberType = typeof(LifecycleLab))]
    public async Task ABootedNodeSeesItsWrites_AReset_ARolloutAndARollback_FileIOOnXfs(LioExecutorKind executor)
    {
        using var l = new LifecycleLab();
        try
        {
            var be = l.FileIO("lcboot", executor);
            var v1 = new LifecycleBootImage(l, "v1", output);
            var v2 = new LifecycleBootImage(l, "v2", output);
            l.Upload($"{l.XfsDir}/golden/v1.img", v1.Bytes, 64L << 20);
            l.Upload($"{l.XfsDir}/golden/v2.img", v2.Bytes, 64L << 20);
            var image = await l.E.NewImageAsync(new ImageCreateRequest { Name = "deb12", Backend = be.Name, Path = "golden/v1.img" });
            Assert.True(image.Succeeded, image.Error);
            var node = l.E.AddNode("seat1", RandomMac());
            var lun = Assert.Single(await l.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "seat1", Backend = be.Name, Image = "deb12", Node = "seat1" } }));
            Assert.True(lun.Succeeded, lun.Error);
            Assert.Equal("deb12:v1", lun.Lun!.Image);
            var disk = lun.Lun.BackingPath!;
            var tftp = Directory.CreateDirectory(Path.Combine(l.Ctx.Dir, "tftp")).FullName;
            l.E.WriteBootScript("seat1", Path.Combine(tftp, "boot.ipxe"), "10.0.2.2", l.Lab.IscsiPort);

            // Boot 1: image v1, no marker; the node writes it. While it runs, a reset is refused.
            var first = BootOnce(l, node, tftp, "MARKER-WRITTEN", _ =>
            {
                var refused = Assert.Single(l.E.ResetLunsAsync(new[] { new LunResetRequest("seat1") }).GetAwaiter().GetResult());
                output.WriteLine($"reset while the node runs: {refused}");
                Assert.Equal(FailureKind.Conflict, refused.Failure);
                Assert.Contains("logged in", refused.Error);
            });
            Assert.Contains(v1.Data, first);
            Assert.Contains("MARKER-ABSENT", first);
            Assert.StartsWith(v1.Written, Sector(l, disk, 2));                         // its write reached its clone ...
            Assert.Equal("", Sector(l, image.Image!.Path, 2));                        // ... not the image
            await NoSession(l, be.Name, "seat1");

            // Boot 2: the marker is on its disk.
            Assert.Contains("MARKER-PRESENT", BootOnce(l, node, tftp, "MARKER-WRITTEN"));
            await NoSession(l, be.Name, "seat1");

            // Reset; boot 3: a fresh clone of v1, the marker is gone (and written again).
            var sw = Stopwatch.StartNew();
            var reset = Assert.Single(await l.E.ResetLunsAsync(new[] { new LunResetRequest("seat1") }));
            output.WriteLine($"Reset-IscsiLun took {sw.Elapsed.TotalSeconds:0.0} s ({executor})");
            Assert.True(reset.Succeeded, reset.Error);
            Assert.Equal("", Sector(l, disk, 2));
            var third = BootOnce(l, node, tftp, "MARKER-WRITTEN");
            Assert.Contains("MARKER-ABSENT", third);
            Assert.Contains(v1.Data, third);
            await NoSession(l, be.Name, "seat1");

            // Rollout to v2 (planned first under -WhatIf); boot 4 runs v2. While it runs, a rollback is refused; with
            // -Force its session is dropped and the running node reads its v1 disk again (iPXE logs in again).
            Assert.True((await l.E.NewImageAsync(new ImageCreateRequest { Name = "deb12", Backend = be.Name, Path = "golden/v2.img" })).Succeeded);
            var plan = Assert.Single(await l.E.PlanLunImagesAsync(new[] { new LunRolloutRequest("seat1", "deb12", 2) }));
            Assert.Equal(("Rollout", "deb12:v1", "deb12:v2", "before-deb12-v2"), (plan.Action, plan.FromImage, plan.ToImage, plan.Snapshot));
            var rolled = Assert.Single(await l.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("seat1", "deb12", 2) }));
            Assert.True(rolled.Succeeded, rolled.Error);
            using (var vm = NodeVm.Start(tftp, node.MacAddress, output))
            {
                Assert.True(vm.WaitFor(o => o.Contains("MARKER-WRITTEN"), TimeSpan.FromSeconds(180)), vm.Tail(800));
                Assert.Contains(v2.Data, vm.Output);
                Assert.Contains("MARKER-ABSENT", vm.Output);
                var refused = Assert.Single(await l.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("seat1", Rollback: true) }));
                Assert.Equal(FailureKind.Conflict, refused.Failure);
                var forced = Assert.Single(await l.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("seat1", Rollback: true, Force: true) }));
                Assert.True(forced.Succeeded, forced.Error);
                Assert.Contains(forced.Warnings, w => w.Contains("dropped the session"));
                var seen = vm.WaitFor(o => Count(o[o.LastIndexOf("MARKER-WRITTEN", StringComparison.Ordinal)..], v1.Data) >= 2, TimeSpan.FromSeconds(120));
                output.WriteLine($"---- node console across the forced rollback ----\n{vm.Tail(1500)}");
                Assert.True(seen, "the running node did not read its rolled-back disk");
            }
            Assert.StartsWith(v1.Written, Sector(l, disk, 2));                         // the v1 disk came back with its marker
            Assert.Equal("deb12:v1", l.E.GetLun("seat1").Image);
            foreach (var op in new[] { "reset-lun", "update-lun-image", "rollback-lun" })
                Assert.Contains(l.E.ListAudit(), a => a.Operation == op && a.ObjectName == "seat1" && a.Outcome == AuditOutcome.Success);
            await NoSession(l, be.Name, "seat1");
            Assert.Empty((await l.E.GetTargetStatusAsync(be.Name)).Drift);
        }
        finally { Dump(l); }
    }

    // ================================================================ clones copy nothing; snapshots through a real initiator; space

    /// <summary>
    /// A 10 GiB image (1 MiB of data) is cloned for 4 LUNs in one batch: no data is copied (the host's df or lvs says
    /// so). Through qemu-io: write A, checkpoint, write B, restore: A is back and B is gone. The space figures are the
    /// host's. Block: with the fill limit just under the pool's fill, create, checkpoint and reset are refused and
    /// nothing is half-made.
    /// </summary>
    [LabTheory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task ClonesCopyNothing_ARestoredCheckpointIsReadBackByARealInitiator_AFullPoolRefusesProvisioning(StorageKind kind)
    {
        using var l = new LifecycleLab();
        try
        {
            var be = kind == StorageKind.FileIO ? l.FileIO("lcfile", LifecycleLab.DefaultExecutor) : l.Thin("lcthin", LifecycleLab.DefaultExecutor);
            var dir = kind == StorageKind.FileIO ? l.XfsDir + "/golden" : l.ImageDir;
            l.Lab.SshOk($"mkdir -p {dir} && truncate -s 10G {dir}/big.img && dd if=/dev/urandom of={dir}/big.img bs=1M count=1 conv=notrunc,fsync status=none");
            var image = "g-" + l.Id;   // image volumes share the volume group with other tests
            var reg = await l.E.NewImageAsync(new ImageCreateRequest { Name = image, Backend = be.Name, Path = kind == StorageKind.FileIO ? "golden/big.img" : "big.img" });
            Assert.True(reg.Succeeded, reg.Error);
            Assert.Equal(10L << 30, reg.Image!.SizeBytes);
            output.WriteLine($"image {reg.Image.Label}: {reg.Image.AllocatedBytes} bytes allocated");

            var space = await l.E.GetBackendSpaceAsync(be.Name);
            output.WriteLine($"space: {space}; data {space.ThinPoolDataPercent}%, metadata {space.ThinPoolMetadataPercent}%, used {space.UsedBytes} of {space.SizeBytes}");
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            if (kind == StorageKind.FileIO)
            {
                Assert.Equal((CloneMethod.Reflink, "xfs"), (space.CloneMethod, space.FilesystemType));
                Assert.Equal(long.Parse(l.Lab.SshOk($"df -B1 --output=size {l.XfsDir}").Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim()), space.SizeBytes);
            }
            else
            {
                Assert.Equal(CloneMethod.ThinSnapshot, space.CloneMethod);
                var lvs = l.Lab.SshOk($"lvs --noheadings --units b --nosuffix -o lv_size,data_percent,metadata_percent {l.Lab.VolumeGroup}/{l.Pool}").Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(long.Parse(lvs[0]), space.ThinPoolSizeBytes);
                Assert.Equal(double.Parse(lvs[1], inv), space.ThinPoolDataPercent);
                Assert.Equal(double.Parse(lvs[2], inv), space.ThinPoolMetadataPercent);
            }
            long Used() => kind == StorageKind.FileIO
                ? long.Parse(l.Lab.SshOk($"df -B1 --output=used {l.XfsDir}").Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim())
                : (long)(double.Parse(l.Lab.SshOk($"lvs --noheadings --units b --nosuffix -o data_percent {l.Lab.VolumeGroup}/{l.Pool}").Trim(), inv) / 100 * space.ThinPoolSizeBytes!.Value);

            // Clones: one batch, nothing copied.
            var before = Used();
            var names = Enumerable.Range(0, 4).Select(i => $"c{i}{l.Id}").ToList();
            var node = l.E.AddNode(names[0], RandomMac());
            var sw = Stopwatch.StartNew();
            var made = await l.E.CreateLunsAsync(names.Select(n => new LunCreateRequest { Name = n, Backend = be.Name, Image = image, Node = n == names[0] ? n : null }).ToList());
            output.WriteLine($"4 clones of the 10 GiB image in one batch: {sw.Elapsed.TotalSeconds:0.0} s ({be.Executor})");
            Assert.All(made, o => Assert.True(o.Succeeded, o.Error));
            var added = Used() - before;
            output.WriteLine($"space the 4 clones took: {added} bytes");
            Assert.True(added < 4L << 20, $"4 clones took {added} bytes: data was copied");
            var lun = made[0].Lun!;
            var size = kind == StorageKind.FileIO ? l.Lab.SshOk($"stat -c '%s' {lun.BackingPath}").Trim() : l.Lab.SshOk($"blockdev --getsize64 {lun.BackingPath}").Trim();
            Assert.Equal((10L << 30).ToString(inv), size);
            Assert.Equal(l.Lab.SshOk($"dd if={reg.Image.Path} bs=1M count=1 status=none | md5sum"), l.Lab.SshOk($"dd if={lun.BackingPath} bs=1M count=1 status=none | md5sum"));

            // Write A, checkpoint, write B, restore: a real initiator reads A back and no B.
            var c = l.E.GetChapCredential(lun.Name);
            (bool Ok, string Out) Io(string cmd) => DataPath.QemuIo(l.Lab, node.InitiatorIqn, lun.TargetIqn!, lun.MappedLunIndex!.Value, c.User, c.RevealSecret(), cmd);
            Assert.True(Io("write -P 0x41 0 64k").Ok);
            sw.Restart();
            var cp = Assert.Single(await l.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest(lun.Name, "after-a") }));
            output.WriteLine($"Checkpoint-IscsiLun took {sw.Elapsed.TotalSeconds:0.0} s");
            Assert.True(cp.Succeeded, cp.Error);
            Assert.True(Io("write -P 0x42 0 64k").Ok);
            Assert.True(Io("write -P 0x42 1M 64k").Ok);
            Assert.True(Io("read -P 0x42 0 64k").Ok);
            sw.Restart();
            var restored = Assert.Single(await l.E.RestoreLunsAsync(new[] { new LunRestoreRequest(lun.Name, "after-a") }));
            output.WriteLine($"Restore-IscsiLun took {sw.Elapsed.TotalSeconds:0.0} s ({be.Executor})");
            Assert.True(restored.Succeeded, restored.Error);
            var a = Io("read -P 0x41 0 64k");
            Assert.True(a.Ok, "A is not back: " + a.Out);
            var b = Io("read -P 0x42 1M 64k");
            Assert.False(b.Ok, "B is still there: " + b.Out);
            Assert.True(Io("read -P 0 1M 64k").Ok);
            var after = l.E.GetLun(lun.Name);
            Assert.Equal((lun.TargetIqn, lun.TpgLunIndex, lun.MappedLunIndex, lun.ChapUser), (after.TargetIqn, after.TpgLunIndex, after.MappedLunIndex, after.ChapUser));
            Assert.Empty((await l.E.GetTargetStatusAsync(be.Name)).Drift);
            if (kind == StorageKind.Block) await AFullPoolRefusesProvisioning(l, be, image, names[1]);
        }
        finally { Dump(l); }
    }

    /// <summary>The limit goes just under the pool's fill once a node wrote 64 MiB: create, checkpoint and reset are refused, nothing is made or sent.</summary>
    async Task AFullPoolRefusesProvisioning(LifecycleLab l, Backend be, string image, string lun)
    {
        l.Lab.SshOk($"dd if=/dev/urandom of={l.E.GetLun(lun).BackingPath} bs=1M count=64 conv=fsync status=none");
        var fill = (await l.E.GetBackendSpaceAsync(be.Name)).ThinPoolDataPercent!.Value;
        l.E.UpdateBackend(be.Name, u => u.MaxFillPercent = Math.Max(1, (int)Math.Ceiling(fill) - 1));
        var space = await l.E.GetBackendSpaceAsync(be.Name);
        output.WriteLine($"pool {space.ThinPool}: data {space.ThinPoolDataPercent}%, metadata {space.ThinPoolMetadataPercent}%, limit now {space.MaxFillPercent}%");
        Assert.True(space.OverLimit);
        string Lvs() => l.Lab.SshOk($"lvs --noheadings -o lv_name {l.Lab.VolumeGroup} | sort");
        var lvs = Lvs(); var saved = l.Lab.SavedConfigJson(); var rows = l.E.ListLuns().Count; var audit = l.E.ListAudit().Count; var snaps = l.E.ListSnapshots().Count;
        var create = Assert.Single(await l.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "x" + l.Id, Backend = be.Name, Image = image } }));
        var cp = Assert.Single(await l.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest(lun, "s1") }));
        var reset = Assert.Single(await l.E.ResetLunsAsync(new[] { new LunResetRequest(lun) }));
        foreach (var o in new[] { create, cp, reset })
        {
            output.WriteLine(o.ToString());
            Assert.Equal(FailureKind.InsufficientSpace, o.Failure);
            Assert.Contains($"thin pool {l.Lab.VolumeGroup}/{l.Pool}", o.Error);
            Assert.Contains("MaxFillPercent", o.Error);
        }
        Assert.Equal(lvs, Lvs());                          // no volume made
        Assert.Equal(saved, l.Lab.SavedConfigJson());      // nothing sent to LIO
        Assert.Equal((rows, audit, snaps), (l.E.ListLuns().Count, l.E.ListAudit().Count, l.E.ListSnapshots().Count));   // nothing written
        Assert.True((await l.E.GetTargetStatusAsync(be.Name)).Space!.OverLimit);
    }
}
