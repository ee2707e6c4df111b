using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Transport;
using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Engine;

public class LunLifecycleTests : IDisposable
{
    readonly EngineHarness h = new();
    public void Dispose() => h.Dispose();
    LioConfig Saved => SaveConfigParser.Parse(h.State.Saved ?? "{}");
    LioConfig Live => SaveConfigParser.Parse(h.State.LiveText());

    [Fact]
    public async Task CreateMakesALockedDownSharedTargetWithOneLunAndNoAcl()
    {
        var b = h.AddBackend();
        var o = Assert.Single(await h.Create("web01"));
        Assert.True(o.Succeeded, o.Error);
        var lun = o.Lun!;
        Assert.Equal(LunStatus.Ready, lun.Status);
        Assert.Null(lun.PendingOperation);
        Assert.Equal("web01", lun.StorageObjectName);
        Assert.Equal("/var/lib/pureboot/luns/web01.img", lun.BackingPath);
        Assert.Equal("iqn.2026-01.local.pureboot:san1", lun.TargetIqn);
        Assert.Equal(0, lun.TpgLunIndex);
        Assert.True(lun.ChapEnabled);
        Assert.Equal(LunStatus.Ready, h.Engine.GetLun("web01").Status);

        var tpg = Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!;
        Assert.Equal("0", tpg.Attribute("generate_node_acls"));
        Assert.Equal("1", tpg.Attribute("authentication"));
        Assert.Equal("/backstores/fileio/web01", tpg.FindLun(0)!.StorageObject);
        Assert.Empty(tpg.NodeAcls);
        Assert.Equal(64L << 20, Saved.FindStorageObject("fileio", "web01")!.Size);
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/web01.img"));
        Assert.Equal(1, h.Connector.Applies);
        // Every change is audited.
        Assert.Contains(h.Engine.ListAudit(), a => a.Operation == "create-lun" && a.ObjectName == "web01" && a.Outcome == AuditOutcome.Success);
    }

    [Fact]
    public async Task TheComposedScriptIsExactlyThis()
    {
        h.AddBackend();
        await h.Create("web01", "web02");
        Assert.Equal(new[]
        {
            "/iscsi create iqn.2026-01.local.pureboot:san1",
            "/iscsi/iqn.2026-01.local.pureboot:san1/tpg1 set attribute generate_node_acls=0 authentication=1 demo_mode_write_protect=1 cache_dynamic_acls=0",
            "/backstores/fileio create name=web01 file_or_dev=/var/lib/pureboot/luns/web01.img",
            "/iscsi/iqn.2026-01.local.pureboot:san1/tpg1/luns create /backstores/fileio/web01 lun=0 add_mapped_luns=false",
            "/backstores/fileio create name=web02 file_or_dev=/var/lib/pureboot/luns/web02.img",
            "/iscsi/iqn.2026-01.local.pureboot:san1/tpg1/luns create /backstores/fileio/web02 lun=1 add_mapped_luns=false",
        }, h.Connector.Lines);
        // The image files are made sparse by PureBoot (targetcli's sparse=true allocates them whole).
        Assert.Equal(new[] { "truncate -s 67108864 /var/lib/pureboot/luns/web01.img", "truncate -s 67108864 /var/lib/pureboot/luns/web02.img" },
            h.Connector.Steps.Select(s => s.Describe()));
        Assert.Equal(0, h.State.Files["/var/lib/pureboot/luns/web01.img"].AllocatedBytes);
        h.Engine.AddNode("web01", "52:54:00:00:00:01");
        h.Connector.Lines.Clear();
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("web01", "web01") });
        var acl = "/iscsi/iqn.2026-01.local.pureboot:san1/tpg1/acls";
        var init = "iqn.2026-01.local.pureboot:node:525400000001";
        Assert.Equal(new[]
        {
            $"{acl} create {init} add_mapped_luns=false",
            $"{acl}/{init} set auth userid=web01 password={h.Engine.GetChapCredential("web01").RevealSecret()}",
            $"{acl}/{init} create mapped_lun=0 tpg_lun_or_backstore=0 write_protect=false",
        }, h.Connector.Lines);
    }

    [Fact]
    public async Task OneBadItemInABatchOfTenEndsErrorAndTheOtherNineReadyWithNothingOrphaned()
    {
        h.AddBackend();
        // The LUN line of item 5 fails after its storage object was made: the follow-up must remove it and its file.
        h.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = @"luns create /backstores/fileio/lun05 ", Message = "Could not create LUN: injected failure" }));
        var names = Enumerable.Range(0, 10).Select(i => $"lun{i:00}").ToArray();
        var outcomes = await h.Create(names);
        Assert.Equal(9, outcomes.Count(o => o.Succeeded));
        var bad = Assert.Single(outcomes, o => !o.Succeeded);
        Assert.Equal("lun05", bad.Name);
        Assert.Equal(FailureKind.TargetRejected, bad.Failure);
        Assert.Contains("injected failure", bad.Error);
        Assert.Contains("nothing was left", bad.Error);
        var row = h.Engine.GetLun("lun05");
        Assert.Equal(LunStatus.Error, row.Status);
        Assert.Null(row.TpgLunIndex);
        Assert.All(names.Where(n => n != "lun05"), n => Assert.Equal(LunStatus.Ready, h.Engine.GetLun(n).Status));
        // One batch, one follow-up: two targetcli starts, one session.
        Assert.Equal(2, h.Connector.Applies);
        Assert.Equal(1, h.Connector.Opens);
        // Nothing orphaned: not in the saved config, not on disk, and status finds no drift but the Error row's absence.
        Assert.Null(Saved.FindStorageObject("fileio", "lun05"));
        Assert.False(h.State.FileExists("/var/lib/pureboot/luns/lun05.img"));
        Assert.Equal(9, Saved.Targets.Single().Tpg1!.Luns.Count);
        var status = await h.Engine.GetTargetStatusAsync("san1");
        Assert.Empty(status.Drift);
    }

    [Fact]
    public async Task AFailureBeforeTargetcliSendsNoLinesForThatItem()
    {
        h.AddBackend();
        var outcomes = await h.Engine.CreateLunsAsync(new[]
        {
            EngineHarness.Req("good"),
            new LunCreateRequest { Name = "clone", Backend = "san1", SourceImage = "golden/missing.img" },
        });
        Assert.True(outcomes[0].Succeeded, outcomes[0].Error);
        Assert.False(outcomes[1].Succeeded);
        Assert.Contains("missing.img", outcomes[1].Error);
        Assert.DoesNotContain(h.Connector.Lines, l => l.Contains("clone"));
        Assert.Equal(1, h.Connector.Applies);
    }

    [Fact]
    public async Task AGoldenImageIsClonedAndTheLunTakesItsSize()
    {
        h.AddBackend();
        h.Mutate(s => { s.AddDirectory("/var/lib/pureboot/luns/golden"); s.AddFile("/var/lib/pureboot/luns/golden/deb12.img", 128L << 20, 4096); });
        var o = (await h.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "web01", Backend = "san1", SourceImage = "golden/deb12.img" } }))[0];
        Assert.True(o.Succeeded, o.Error);
        Assert.Equal(128L << 20, o.Lun!.SizeBytes);
        Assert.Equal("/var/lib/pureboot/luns/golden/deb12.img", o.Lun.SourceImage);
        Assert.Contains(h.Connector.Steps, s => s is PureBoot.Core.Transport.CopyImage c && c.Destination == "/var/lib/pureboot/luns/web01.img");
        Assert.Contains("/backstores/fileio create name=web01 file_or_dev=/var/lib/pureboot/luns/web01.img", h.Connector.Lines);
        var status = await h.Engine.GetTargetStatusAsync("san1");
        Assert.DoesNotContain(status.Drift, d => d.Object.Contains("golden"));
    }

    [Fact]
    public async Task AGoldenImageCloneCanBeGrownButNotShrunk()
    {
        h.AddBackend();
        h.Mutate(s => { s.AddDirectory("/var/lib/pureboot/luns/golden"); s.AddFile("/var/lib/pureboot/luns/golden/deb12.img", 128L << 20, 4096); });
        var r = await h.Engine.CreateLunsAsync(new[]
        {
            new LunCreateRequest { Name = "big", Backend = "san1", SourceImage = "golden/deb12.img", SizeBytes = 256L << 20 },
            new LunCreateRequest { Name = "small", Backend = "san1", SourceImage = "golden/deb12.img", SizeBytes = 64L << 20 },
        });
        Assert.True(r[0].Succeeded, r[0].Error);
        Assert.Equal(256L << 20, Saved.FindStorageObject("fileio", "big")!.Size);
        Assert.False(r[1].Succeeded);
        Assert.Contains("refusing to shrink", r[1].Error);
        Assert.False(h.State.FileExists("/var/lib/pureboot/luns/small.img"));   // the copy was cleaned up
    }

    [Fact]
    public async Task IndexesAndNamesComeFromTheLiveTargetNotTheDatabase()
    {
        var b = h.AddBackend();
        // Someone made LUN 0 and a storage object named web01 by hand.
        h.Mutate(s =>
        {
            var sim = new TargetcliSimulator(s);
            sim.Run(new[]
            {
                "/backstores/fileio create name=web01 file_or_dev=/var/lib/pureboot/luns/handmade.img size=1M",
                $"/iscsi create {b.SharedTargetIqn}",
                $"/iscsi/{b.SharedTargetIqn}/tpg1 set attribute generate_node_acls=0",
                $"/iscsi/{b.SharedTargetIqn}/tpg1/luns create /backstores/fileio/web01 lun=0",
                "saveconfig",
            });
        });
        var o = (await h.Create("web01"))[0];
        Assert.True(o.Succeeded, o.Error);
        Assert.Equal("web01-2", o.Lun!.StorageObjectName);
        Assert.Equal(1, o.Lun.TpgLunIndex);
        Assert.Equal("/var/lib/pureboot/luns/handmade.img", Saved.FindStorageObject("fileio", "web01")!.Dev);   // untouched
    }

    [Fact]
    public async Task NodesSeeOnlyTheirOwnDisksWithTheirOwnSecrets()
    {
        var b = h.AddBackend();
        var a = h.Engine.AddNode("a", "52:54:00:00:00:0a");
        var bn = h.Engine.AddNode("b", "52:54:00:00:00:0b");
        await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("a", 64L << 20), EngineHarness.Req("b", 128L << 20), EngineHarness.Req("spare") });
        await h.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "m", SizeBytes = 32L << 20, Backend = "san1", MutualChap = true } });
        var m = h.Engine.AddNode("m", "52:54:00:00:00:0c");
        var res = await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a"), new LunAssignRequest("b", "b"), new LunAssignRequest("m", "m") });
        Assert.All(res, r => Assert.True(r.Succeeded, r.Error));
        Assert.Equal(1, h.Connector.Applies - 2);   // one start for the three assignments

        var ca = h.Engine.GetChapCredential("a");
        var cb = h.Engine.GetChapCredential("b");
        var t = b.SharedTargetIqn;
        var ok = h.Login(a.InitiatorIqn, t, 0, ca.User, ca.RevealSecret());
        Assert.True(ok.Ok, ok.Error);
        Assert.Equal(64L << 20, ok.CapacityBytes);
        Assert.Equal("Authentication failure(513)", h.Login(a.InitiatorIqn, t, 0, ca.User, "wrongsecret1234").Error);
        Assert.Equal("Authentication failure(513)", h.Login(a.InitiatorIqn, t, 0, cb.User, cb.RevealSecret()).Error);
        // b's LUN 0 is b's disk; nothing else is mapped for b.
        Assert.Equal(128L << 20, h.Login(bn.InitiatorIqn, t, 0, cb.User, cb.RevealSecret()).CapacityBytes);
        Assert.Contains("LOGICAL_UNIT_NOT_SUPPORTED", h.Login(bn.InitiatorIqn, t, 1, cb.User, cb.RevealSecret()).Error);
        // An initiator with no ACL, and so the unassigned LUN, is refused.
        Assert.Equal("Authorization failure(514)", h.Login("iqn.2026-01.local.pureboot:node:525400000099", t, 2).Error);
        // Mutual CHAP: the target must prove itself too.
        var cm = h.Engine.GetChapCredential("m");
        Assert.NotNull(cm.MutualUser);
        Assert.True(h.Login(m.InitiatorIqn, t, 0, cm.User, cm.RevealSecret(), cm.MutualUser, cm.RevealMutualSecret()).Ok);
        Assert.False(h.Login(m.InitiatorIqn, t, 0, cm.User, cm.RevealSecret(), cm.MutualUser, "notthesecret99").Ok);

        // A LUN created later is not mapped into existing ACLs (add_mapped_luns=false).
        await h.Create("later");
        Assert.All(Saved.FindTarget(t)!.Tpg1!.NodeAcls, acl => Assert.Single(acl.MappedLuns));
        var status = await h.Engine.GetTargetStatusAsync("san1");
        Assert.Empty(status.Drift);
        Assert.Equal(3, status.Luns.Count(l => l.Mapped));
    }

    [Fact]
    public async Task ASecondLunOfANodeSharesItsAclAndCredential()
    {
        var b = h.AddBackend();
        var n = h.Engine.AddNode("web01", "52:54:00:00:00:01");
        await h.Create("web01", "web01-data");
        var r = await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("web01", "web01"), new LunAssignRequest("web01-data", "web01") });
        Assert.All(r, x => Assert.True(x.Succeeded, x.Error));
        Assert.Equal(1, h.Engine.GetLun("web01-data").MappedLunIndex);
        Assert.NotEmpty(r[1].Warnings);
        var c = h.Engine.GetChapCredential("web01");
        Assert.Equal(c.RevealSecret(), h.Engine.GetChapCredential("web01-data").RevealSecret());
        var acl = Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!.FindAcl(n.InitiatorIqn)!;
        Assert.Equal(new[] { (0, 0), (1, 1) }, acl.MappedLuns.Select(m => (m.Index, m.TpgLun)).OrderBy(x => x));
        Assert.True(h.Login(n.InitiatorIqn, b.SharedTargetIqn, 1, c.User, c.RevealSecret()).Ok);

        // Unassigning one keeps the ACL for the other; unassigning both removes it.
        await h.Engine.UnassignLunsAsync(new[] { "web01-data" });
        Assert.Single(Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!.FindAcl(n.InitiatorIqn)!.MappedLuns);
        await h.Engine.UnassignLunsAsync(new[] { "web01" });
        Assert.Null(Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!.FindAcl(n.InitiatorIqn));
        Assert.Equal(LunStatus.Ready, h.Engine.GetLun("web01").Status);
        Assert.Null(h.Engine.GetLun("web01").NodeName);
    }

    [Fact]
    public async Task CreateAndAssignInOneBatchIsOneTargetcliRun()
    {
        var b = h.AddBackend();
        for (int i = 0; i < 5; i++) h.Engine.AddNode($"n{i}", $"52:54:00:00:01:0{i}");
        h.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = "create mapped_lun=0 tpg_lun_or_backstore=3 ", Message = "injected mapping failure" }));
        var r = await h.Engine.CreateLunsAsync(Enumerable.Range(0, 5).Select(i => EngineHarness.Req($"n{i}") with { Node = $"n{i}" }).ToList());
        Assert.Equal(4, r.Count(o => o.Succeeded));
        Assert.Equal(2, h.Connector.Applies);   // the batch and the follow-up for the failed item
        Assert.All(r.Where(o => o.Succeeded), o => Assert.Equal(LunStatus.Active, h.Engine.GetLun(o.Name).Status));
        var bad = h.Engine.GetLun("n3");
        Assert.Equal(LunStatus.Error, bad.Status);
        Assert.Null(bad.NodeName);
        Assert.Contains("injected mapping failure", bad.ErrorMessage);
        var tpg = Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!;
        Assert.Null(tpg.FindAcl(h.Engine.GetNode("n3").InitiatorIqn));   // its ACL went with it
        Assert.Equal(4, tpg.NodeAcls.Count);
        var c = h.Engine.GetChapCredential("n1");
        Assert.True(h.Login(h.Engine.GetNode("n1").InitiatorIqn, b.SharedTargetIqn, 0, c.User, c.RevealSecret()).Ok);
        Assert.Empty((await h.Engine.GetTargetStatusAsync("san1")).Drift);
    }

    [Fact]
    public async Task AssigningToAnotherNodeIsRefusedUntilUnassigned()
    {
        h.AddBackend();
        h.Engine.AddNode("a", "52:54:00:00:00:0a");
        h.Engine.AddNode("b", "52:54:00:00:00:0b");
        await h.Create("a");
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var starts = h.Connector.Applies;
        var o = (await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "b") }))[0];
        Assert.Equal(FailureKind.Conflict, o.Failure);
        Assert.Contains("assigned to node 'a'", o.Error);
        Assert.Equal(starts, h.Connector.Applies);
        // Same node again: nothing to do, succeeds.
        Assert.True((await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") }))[0].Succeeded);
    }

    [Fact]
    public async Task RemoveIsRefusedWhileAssignedAndForceTakesEverythingDown()
    {
        var b = h.AddBackend();
        h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Create("a", "keep");
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var refused = (await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("a") }))[0];
        Assert.Equal(FailureKind.Conflict, refused.Failure);
        Assert.Equal(LunStatus.Active, h.Engine.GetLun("a").Status);

        var r = await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("a", Force: true), new LunRemoveRequest("keep", KeepBackingFile: true) });
        Assert.All(r, x => { Assert.True(x.Succeeded, x.Error); Assert.True(x.Removed); });
        Assert.Empty(h.Engine.ListLuns());
        Assert.False(h.State.FileExists("/var/lib/pureboot/luns/a.img"));
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/keep.img"));
        Assert.Null(Saved.FindTarget(b.SharedTargetIqn));   // the Shared target went with its last LUN
        Assert.Empty(Saved.StorageObjects);
    }

    [Fact]
    public async Task RemoveNeverDeletesABackstoreAnotherTargetUses()
    {
        h.AddBackend();
        await h.Create("shared");
        h.Mutate(s => new TargetcliSimulator(s).Run(new[]
        {
            "/iscsi create iqn.2026-01.local.other:hand",
            "/iscsi/iqn.2026-01.local.other:hand/tpg1/luns create /backstores/fileio/shared lun=0",
            "saveconfig",
        }));
        var o = (await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("shared") }))[0];
        Assert.True(o.Succeeded, o.Error);
        Assert.Contains(o.Warnings, w => w.Contains("kept"));
        Assert.NotNull(Saved.FindStorageObject("fileio", "shared"));
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/shared.img"));
    }

    [Fact]
    public async Task GrowingAFileLunReexportsItWithItsMapping()
    {
        var b = h.AddBackend();
        var n = h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Create("a");
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var o = await h.Engine.ResizeLunAsync("a", 256L << 20);
        Assert.True(o.Succeeded, o.Error);
        Assert.Equal(256L << 20, Saved.FindStorageObject("fileio", "a")!.Size);
        Assert.Equal(256L << 20, h.State.Files["/var/lib/pureboot/luns/a.img"].SizeBytes);
        var c = h.Engine.GetChapCredential("a");
        Assert.Equal(256L << 20, h.Login(n.InitiatorIqn, b.SharedTargetIqn, 0, c.User, c.RevealSecret()).CapacityBytes);
        Assert.Equal(LunStatus.Active, h.Engine.GetLun("a").Status);
        var shrink = await h.Engine.ResizeLunAsync("a", 64L << 20);
        Assert.Equal(FailureKind.InvalidArgument, shrink.Failure);
    }

    [Fact]
    public async Task ChapCanBeRotatedAndDisabledOnAnAssignedLun()
    {
        var b = h.AddBackend();
        var n = h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Create("a");
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var before = h.Engine.GetChapCredential("a").RevealSecret();
        var o = await h.Engine.UpdateLunAsync("a", null, new ChapChange { Rotate = true });
        Assert.True(o.Succeeded, o.Error);
        var after = h.Engine.GetChapCredential("a");
        Assert.NotEqual(before, after.RevealSecret());
        Assert.Equal(16, after.RevealSecret().Length);
        Assert.False(h.Login(n.InitiatorIqn, b.SharedTargetIqn, 0, after.User, before).Ok);
        Assert.True(h.Login(n.InitiatorIqn, b.SharedTargetIqn, 0, after.User, after.RevealSecret()).Ok);

        Assert.True((await h.Engine.UpdateLunAsync("a", "no chap", new ChapChange { Enable = false })).Succeeded);
        var acl = Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!.FindAcl(n.InitiatorIqn)!;
        Assert.False(acl.HasChap);
        Assert.Equal("0", acl.Attribute("authentication"));
        Assert.Single(acl.MappedLuns);
        var open = h.Login(n.InitiatorIqn, b.SharedTargetIqn, 0);
        Assert.True(open.Ok, open.Error);
        Assert.Equal("no chap", h.Engine.GetLun("a").Description);
    }

    [Fact]
    public async Task PerLunModeGivesEachLunItsOwnTargetAndRefusesEveryoneUntilAssigned()
    {
        var b = h.AddBackend(mode: TargetMode.PerLun);
        var n = h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Create("a", "b");
        var ta = b.PerLunTargetIqn("a");
        Assert.Equal("iqn.2026-01.local.pureboot:san1.a", ta);
        Assert.Equal(0, h.Engine.GetLun("b").TpgLunIndex);
        Assert.Equal(2, Saved.Targets.Count);
        Assert.Equal("Authorization failure(514)", h.Login(n.InitiatorIqn, ta, 0).Error);
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var c = h.Engine.GetChapCredential("a");
        Assert.True(h.Login(n.InitiatorIqn, ta, 0, c.User, c.RevealSecret()).Ok);
        Assert.Equal("Authorization failure(514)", h.Login(n.InitiatorIqn, b.PerLunTargetIqn("b"), 0, c.User, c.RevealSecret()).Error);
        await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("a", Force: true), new LunRemoveRequest("b") });
        Assert.Empty(Saved.Targets);
        Assert.Empty(Saved.StorageObjects);
    }

    [Fact]
    public async Task BlockBackendsUseLogicalVolumes()
    {
        h.AddBackend(storage: StorageKind.Block);
        var o = (await h.Create("vol1"))[0];
        Assert.True(o.Succeeded, o.Error);
        Assert.Equal("/dev/pureboot/vol1", o.Lun!.BackingPath);
        Assert.True(h.State.VolumeGroups["pureboot"].LogicalVolumes.ContainsKey("vol1"));
        Assert.Equal("block", Saved.StorageObjects.Single().Plugin);
        Assert.True((await h.Engine.ResizeLunAsync("vol1", 128L << 20)).Succeeded);
        Assert.Equal(128L << 20, h.State.VolumeGroups["pureboot"].LogicalVolumes["vol1"].SizeBytes);
        Assert.True((await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("vol1") }))[0].Succeeded);
        Assert.False(h.State.VolumeGroups["pureboot"].LogicalVolumes.ContainsKey("vol1"));
    }

    [Fact]
    public async Task RemovingManyBlockLunsIsOneLvremove_AVolumeLvmKeepsFailsOnlyItsLun()
    {
        h.AddBackend(storage: StorageKind.Block);
        Assert.All(await h.Create("v1", "v2", "v3"), o => Assert.True(o.Succeeded, o.Error));
        h.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = "^lvremove pureboot/v2$", Message = "  Logical volume pureboot/v2 in use.", Times = 1 }));
        h.Connector.Steps.Clear();
        var removed = await h.Engine.RemoveLunsAsync(new[] { "v1", "v2", "v3" }.Select(n => new LunRemoveRequest(n)).ToList());
        // One LVM command for the batch (each costs 1-1.5 s under TCG with a few hundred volumes in the VG).
        var step = Assert.Single(h.Connector.Steps);
        Assert.Equal(new[] { "v1", "v2", "v3" }, Assert.IsType<RemoveLogicalVolumes>(step).Names);
        Assert.True(removed[0].Succeeded, removed[0].Error);
        Assert.True(removed[2].Succeeded, removed[2].Error);
        Assert.False(removed[1].Succeeded);
        Assert.Equal("could not remove pureboot/v2: Logical volume pureboot/v2 in use.", removed[1].Error);
        Assert.Equal(new[] { "v2" }, h.State.VolumeGroups["pureboot"].LogicalVolumes.Keys.Where(k => k.StartsWith('v')));
        Assert.Equal(LunStatus.Error, h.Engine.GetLun("v2").Status);
        // Run again, it finishes (the storage object is gone already; the volume goes now).
        Assert.True((await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("v2") }))[0].Succeeded);
        Assert.DoesNotContain("v2", h.State.VolumeGroups["pureboot"].LogicalVolumes.Keys);
    }

    [Fact]
    public async Task AFullVolumeGroupFailsTheItemClearly()
    {
        h.AddBackend(storage: StorageKind.Block);
        var o = (await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("huge", 60L << 40) }))[0];
        Assert.False(o.Succeeded);
        Assert.Contains("insufficient free space", o.Error);
        Assert.Equal(LunStatus.Error, h.Engine.GetLun("huge").Status);
        Assert.Empty(Saved.StorageObjects);
    }

    [Fact]
    public async Task ALargeBatchIsOneSessionAndOneTargetcliStart()
    {
        h.AddBackend();
        var names = Enumerable.Range(0, 100).Select(i => $"n{i:000}").ToArray();
        var created = await h.Create(names);
        Assert.All(created, o => Assert.True(o.Succeeded, o.Error));
        Assert.Equal(1, h.Connector.Opens);
        Assert.Equal(1, h.Connector.Applies);
        foreach (var n in names) h.Engine.AddNode(n, $"52:54:00:00:{int.Parse(n[1..]) / 256:x2}:{int.Parse(n[1..]) % 256:x2}");
        var assigned = await h.Engine.AssignLunsAsync(names.Select(n => new LunAssignRequest(n, n)).ToList());
        Assert.All(assigned, o => Assert.True(o.Succeeded, o.Error));
        Assert.Equal(2, h.Connector.Opens);
        Assert.Equal(2, h.Connector.Applies);
        Assert.Equal(100, created.Select(o => o.Lun!.TpgLunIndex).Distinct().Count());
        Assert.Equal(1, h.Connector.Opens - 1);
    }

    [Fact]
    public async Task ADroppedConnectionLeavesRowsThatTellTheTruth()
    {
        h.AddBackend();
        h.Connector.DropOnApply = true;
        var o = (await h.Create("web01"))[0];
        Assert.Equal(FailureKind.HostUnavailable, o.Failure);
        Assert.Contains("san1", o.Error);
        var row = h.Engine.GetLun("web01");
        Assert.Equal(LunStatus.Creating, row.Status);
        Assert.Equal(PendingOperation.Create, row.PendingOperation);
        Assert.Contains("run Sync-IscsiTarget", row.ErrorMessage);
        h.Connector.DropOnApply = false;
        var status = await h.Engine.GetTargetStatusAsync("san1");
        Assert.Contains(status.Drift, d => d.Kind == DriftKind.InFlight && d.Lun == "web01");
    }

    [Fact]
    public async Task StatusReportsMissingLeakAndOrphanDrift()
    {
        var b = h.AddBackend();
        var n = h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Create("a", "b");
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var t = b.SharedTargetIqn;
        h.Mutate(s =>
        {
            var sim = new TargetcliSimulator(s);
            sim.Run(new[]
            {
                $"/iscsi/{t}/tpg1/acls delete {n.InitiatorIqn}",                                         // missing
                $"/iscsi/{t}/tpg1/acls create iqn.2026-01.local.evil:x add_mapped_luns=false",
                $"/iscsi/{t}/tpg1/acls/iqn.2026-01.local.evil:x create mapped_lun=0 tpg_lun_or_backstore=1", // leak of b
                "/backstores/fileio create name=stray file_or_dev=/var/lib/pureboot/luns/stray.img size=1M", // orphan
            });
        });
        var st = await h.Engine.GetTargetStatusAsync("san1");
        Assert.Contains(st.Drift, d => d.Kind == DriftKind.Missing && d.Lun == "a");
        Assert.Contains(st.Drift, d => d.Kind == DriftKind.Leak && d.Lun == "b" && d.Object == "iqn.2026-01.local.evil:x");
        Assert.Contains(st.Drift, d => d.Kind == DriftKind.Orphan && d.Object == "/backstores/fileio/stray");
        Assert.False(st.Luns.Single(l => l.Name == "a").InSync);
        Assert.Equal(0, st.TargetcliStarts);   // sessions come from configfs in the same exchange
        Assert.Equal(1, st.Exchanges);
    }

    [Fact]
    public async Task StatusShowsSessions()
    {
        var b = h.AddBackend();
        var n = h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Create("a");
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var c = h.Engine.GetChapCredential("a");
        h.Mutate(s => Assert.True(SimulatedInitiator.Login(s, n.InitiatorIqn, b.SharedTargetIqn, 0, c.User, c.RevealSecret(), recordSession: true).Ok));
        var st = await h.Engine.GetTargetStatusAsync("san1");
        Assert.Contains(n.InitiatorIqn, st.Luns.Single().Session);
        Assert.Single(st.Sessions);
    }

    [Fact]
    public async Task TwoEnginesOnOneInventoryAndHostAllocateDistinctIndexes()
    {
        h.AddBackend();
        using var other = h.NewEngine();
        var t1 = Task.Run(() => h.Engine.CreateLunsAsync(Enumerable.Range(0, 25).Select(i => EngineHarness.Req($"x{i}")).ToList()));
        var t2 = Task.Run(() => other.CreateLunsAsync(Enumerable.Range(0, 25).Select(i => EngineHarness.Req($"y{i}")).ToList()));
        var all = (await t1).Concat(await t2).ToList();
        Assert.All(all, o => Assert.True(o.Succeeded, o.Error));
        var rows = h.Engine.ListLuns();
        Assert.Equal(50, rows.Count);
        Assert.Equal(50, rows.Select(r => r.TpgLunIndex).Distinct().Count());
        Assert.Equal(50, Saved.Targets.Single().Tpg1!.Luns.Count);
    }

    [Fact]
    public async Task TestBackendReportsWhatItFound()
    {
        h.AddBackend();
        var r = await h.Engine.TestBackendAsync("san1");
        Assert.True(r.Passed, r.Error);
        Assert.Equal("2.1.53", r.TargetcliVersion);
        Assert.Equal("/etc/rtslib-fb-target/saveconfig.json", r.SaveConfigPath);
    }
}
