using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Transport;
using Xunit;

namespace PureBoot.Tests.Unit.Lifecycle;

public class ImageAndCloneTests
{
    [Theory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task ImagesAreVersionedImmutableAndRecordWhoUsesThem(StorageKind kind)
    {
        using var r = new LifecycleRig(kind);
        var v1 = await r.Image();
        var v2 = await r.Image("golden/deb12-v2.img");
        Assert.Equal((1, 2), (v1.Version, v2.Version));
        Assert.Equal(ImageStatus.Ready, v1.Status);
        Assert.Equal(LifecycleRig.TenGiB, v1.SizeBytes);
        Assert.Equal(1L << 20, v1.AllocatedBytes);
        Assert.Equal("file /var/lib/pureboot/" + (kind == StorageKind.FileIO ? "luns" : "images") + "/golden/deb12.img", v1.Source);
        var s = r.State;
        if (kind == StorageKind.FileIO)
        {
            Assert.Equal("/var/lib/pureboot/luns/deb12/v1.img", v1.Path);
            Assert.Equal("0400", s.Files[v1.Path].Mode);              // read-only
            Assert.Equal("deb12-v1", s.Files[v1.Path].Content);
        }
        else
        {
            Assert.Equal("/dev/pureboot/img.deb12.v1", v1.Path);
            var lv = s.VolumeGroups["pureboot"].LogicalVolumes["img.deb12.v1"];
            Assert.True(lv.ReadOnly);
            Assert.Equal("pool", lv.ThinPool);
            Assert.Equal("deb12-v1", lv.Content);
        }
        await r.Clones(2, version: 1);
        r.E.AddNode("m00", "52:54:00:20:00:00");
        Assert.True((await r.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "m00", Backend = "san1", Image = "deb12", Node = "m00" } }))[0].Succeeded);
        var list = r.E.ListImages("deb12");
        Assert.Equal(new[] { 1, 2 }, list.Select(i => i.Version));
        Assert.Equal(new[] { "n00", "n01" }, list[0].Luns);
        Assert.Equal(new[] { "m00" }, list[1].Luns);   // no version given: the latest
        Assert.Equal("deb12-v2", r.ContentOf("m00"));
        Assert.Contains(r.E.ListAudit(), a => a.Operation == "new-image" && a.ObjectName == "deb12:v2" && a.Outcome == AuditOutcome.Success);
        await r.InSync();
    }

    [Theory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task ManyClonesAreOneBatchAndShareTheImagesData(StorageKind kind)
    {
        using var r = new LifecycleRig(kind);
        await r.Image();
        var before = r.Used();
        r.H.Connector.Applies = 0; r.H.Connector.Opens = 0; r.H.Connector.Steps.Clear();
        var outcomes = await r.Clones(40);
        Assert.Equal(1, r.H.Connector.Opens);       // one session
        Assert.Equal(1, r.H.Connector.Applies);     // one plan: storage objects, LUNs, ACLs, CHAP, mapped LUNs
        var clones = r.H.Connector.Steps.Where(st => st is CloneFile or ThinSnapshot).ToList();
        Assert.Equal(40, clones.Count);
        Assert.Equal(0, r.Used() - before);         // not one byte copied
        foreach (var o in outcomes)
        {
            Assert.Equal("deb12:v1", o.Lun!.Image);
            Assert.Equal(LifecycleRig.TenGiB, o.Lun.SizeBytes);
            Assert.Equal(LunStatus.Active, o.Lun.Status);
        }
        var login = r.Login("n07");
        Assert.True(login.Ok, login.Error);
        Assert.Equal("deb12-v1", login.Content);
        Assert.Equal(LifecycleRig.TenGiB, login.CapacityBytes);
        // A node's writes are its own: the image and the other clones do not change.
        r.Write("n07", "n07-writes", 8L << 20);
        Assert.Equal(8L << 20, r.Used() - before);
        Assert.Equal("deb12-v1", r.ContentOf("n08"));
        Assert.Equal(new[] { "n00", "n01", "n02" }, r.E.ListImages("deb12").Single().Luns.Take(3));
        await r.InSync();
    }

    [Fact]
    public async Task WithoutReflinksClonesAreSparseCopiesAndSaySo()
    {
        using var r = new LifecycleRig(StorageKind.FileIO, reflink: false);
        var test = await r.E.TestBackendAsync("san1");
        Assert.Equal(CloneMethod.SparseCopy, test.CloneMethod);
        Assert.Contains("Operation not supported", test.Space!.CloneDetail);
        var img = await r.E.NewImageAsync(new ImageCreateRequest { Name = "deb12", Backend = "san1", Path = "golden/deb12.img" });
        Assert.Contains(img.Warnings, w => w.Contains("copied, not reflinked"));
        var before = r.Used();
        await r.Clones(3);
        Assert.Equal(3L << 20, r.Used() - before);   // each clone holds a copy of the image's 1 MiB of data
    }

    [Theory]
    [InlineData(StorageKind.FileIO, CloneMethod.Reflink)]
    [InlineData(StorageKind.Block, CloneMethod.ThinSnapshot)]
    public async Task TestBackendReportsTheCloneMethodAndTheSpace(StorageKind kind, CloneMethod method)
    {
        using var r = new LifecycleRig(kind);
        var t = await r.E.TestBackendAsync("san1");
        Assert.True(t.Passed, t.Error);
        Assert.Equal(method, t.CloneMethod);
        Assert.Equal(90, t.Space!.MaxFillPercent);
        if (kind == StorageKind.Block) { Assert.Equal(64L << 30, t.Space.ThinPoolSizeBytes); Assert.NotNull(t.Space.ThinPoolMetadataPercent); }
        else Assert.Equal("xfs", t.Space.FilesystemType);
        var space = await r.E.GetBackendSpaceAsync("san1");
        Assert.Equal(method, space.CloneMethod);
        Assert.False(space.OverLimit);
    }

    [Fact]
    public async Task ACapturedLunBecomesTheNextVersionAndIsRolledOut()
    {
        using var r = new LifecycleRig(StorageKind.FileIO);
        await r.Image();
        await r.Clones(3);
        r.Write("n00", "prepared-v2");                      // prepare one node ...
        var cap = await r.E.NewImageAsync(new ImageCreateRequest { Name = "deb12", Lun = "n00", Description = "patched" });   // ... capture ...
        Assert.True(cap.Succeeded, cap.Error);
        Assert.Equal(2, cap.Image!.Version);
        Assert.Equal("lun n00", cap.Image.Source);
        Assert.Equal("prepared-v2", r.State.Files[cap.Image.Path].Content);
        var out1 = await r.E.UpdateLunImagesAsync(new[] { "n01", "n02" }.Select(n => new LunRolloutRequest(n, "deb12", 2)).ToList());   // ... roll out
        Assert.All(out1, o => Assert.True(o.Succeeded, o.Error));
        Assert.Equal("prepared-v2", r.ContentOf("n02"));
        Assert.Equal("deb12:v2", r.E.GetLun("n02").Image);
    }

    [Fact]
    public async Task RemovingAnImageInUseIsRefusedUnlessLunsAreDetached_TheyKeepTheirDisks()
    {
        using var r = new LifecycleRig(StorageKind.Block);
        var v1 = await r.Image();
        await r.Clones(2);
        var refused = Assert.Single(await r.E.RemoveImageAsync(new ImageRemoveRequest("deb12", Version: 1)));
        Assert.Equal(FailureKind.Conflict, refused.Failure);
        Assert.Contains("-DetachLuns", refused.Error);
        Assert.NotNull(r.State.VolumeGroups["pureboot"].LogicalVolumes.GetValueOrDefault("img.deb12.v1"));
        var removed = Assert.Single(await r.E.RemoveImageAsync(new ImageRemoveRequest("deb12", Version: 1, DetachLuns: true)));
        Assert.True(removed.Succeeded, removed.Error);
        Assert.True(removed.Removed);
        Assert.Null(r.State.VolumeGroups["pureboot"].LogicalVolumes.GetValueOrDefault("img.deb12.v1"));
        Assert.Null(r.E.GetLun("n00").Image);
        Assert.Equal("deb12-v1", r.ContentOf("n00"));            // the clone's blocks live on
        Assert.True(r.Login("n01").Ok);
        Assert.Empty(r.E.ListImages());
        var reset = Assert.Single(await r.E.ResetLunsAsync(new[] { new LunResetRequest("n00") }));
        Assert.Equal(FailureKind.Conflict, reset.Failure);       // no lineage left to reset to
        await r.InSync();
    }

    [Fact]
    public async Task AFileThatIsNotARawImageIsRefusedOnTheHostAndNothingIsWritten()
    {
        using var r = new LifecycleRig(StorageKind.FileIO);
        r.H.Mutate(s =>
        {
            s.AddFile("/var/lib/pureboot/luns/golden/disk.qcow2", 1L << 30, 1L << 20);
            s.Files["/var/lib/pureboot/luns/golden/disk.qcow2"].Magic = "514649fb00000003";
            s.AddFile("/var/lib/pureboot/luns/golden/odd.img", (1L << 20) + 100, 4096);
            s.AddDirectory("/var/lib/pureboot/luns/golden/dir.img");
        });
        foreach (var (file, says) in new[] { ("golden/disk.qcow2", "qcow2"), ("golden/odd.img", "512-byte sectors"), ("golden/dir.img", "not a regular file"), ("golden/none.img", "does not exist") })
        {
            var o = await r.E.NewImageAsync(new ImageCreateRequest { Name = "x", Backend = "san1", Path = file });
            Assert.Equal(FailureKind.InvalidArgument, o.Failure);
            Assert.Equal("Path", o.Parameter);
            Assert.Contains(says, o.Error);
        }
        Assert.Empty(r.E.ListImages());
        Assert.DoesNotContain(r.E.ListAudit(), a => a.Operation == "new-image");
        Assert.Empty(r.H.Connector.Changes);
        Assert.DoesNotContain(r.H.Connector.Steps, st => st is CloneFile or MakeDirectory);
    }
}

public class SessionPathTests
{
    [Theory]
    [InlineData("/sys/kernel/config/target/core/fileio_0/seat1", "/backstores/fileio/seat1")]
    [InlineData("/sys/kernel/config/target/core/iblock_3/web01", "/backstores/block/web01")]
    [InlineData("/backstores/fileio/web01", "/backstores/fileio/web01")]
    public void ASessionsStorageObjectFromRtslibIsMatchedByItsTargetcliPath(string rtslib, string targetcli)
    {
        Assert.Equal(targetcli, PureBoot.Core.Lio.IscsiSession.TargetcliPath(rtslib));
        var s = new PureBoot.Core.Lio.IscsiSession { Luns = new[] { new PureBoot.Core.Lio.SessionLun(0, rtslib) } };
        Assert.True(s.Sees(targetcli));
    }
}
