using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Unit.Engine;

public class SyncAndImportTests(ITestOutputHelper output) : IDisposable
{
    readonly EngineHarness h = new();
    public void Dispose() => h.Dispose();
    LioConfig Saved => SaveConfigParser.Parse(h.State.Saved ?? "{}");

    async Task<SyncReport> Sync(bool removeOrphans = false, bool data = false, bool plan = false)
    {
        var r = await h.Engine.SyncTargetAsync("san1", new SyncOptions { RemoveOrphans = removeOrphans, DeleteOrphanData = data, PlanOnly = plan });
        foreach (var a in r.Actions) output.WriteLine($"{a.Kind} {a.Object}: {a.Description}");
        return r;
    }

    [Fact]
    public async Task TheSharedTargetGoesWithItsLastLun_AndAnEmptyOneLeftByHandIsAnOrphanSyncRemoves()
    {
        var b = h.AddBackend();
        await h.Create("web01", "web02");
        Assert.All(await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("web01") }), o => Assert.True(o.Succeeded, o.Error));
        Assert.NotNull(Saved.FindTarget(b.SharedTargetIqn));   // web02 still lives there
        Assert.All(await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("web02") }), o => Assert.True(o.Succeeded, o.Error));
        Assert.Null(Saved.FindTarget(b.SharedTargetIqn));      // gone with its last LUN: decommissioning leaves nothing
        h.Mutate(s => new TargetcliSimulator(s).Run(new[] { $"/iscsi create {b.SharedTargetIqn}", "saveconfig" }));
        var st = await h.Engine.GetTargetStatusAsync("san1");
        Assert.Contains(st.Drift, d => d.Kind == DriftKind.Orphan && d.Object == b.SharedTargetIqn);
        var plan = await Sync();
        Assert.Contains(plan.Actions, a => a.Kind == SyncActionKind.KeepOrphan && a.Object == b.SharedTargetIqn);
        var r = await Sync(removeOrphans: true);
        Assert.Contains(r.Actions, a => a.Kind == SyncActionKind.RemoveOrphan && a.Object == b.SharedTargetIqn);
        Assert.Empty(Saved.Targets);
        Assert.Empty(r.RemainingDrift);
    }

    [Fact]
    public async Task ACreateCutOffBeforeTargetcliIsRolledBack()
    {
        h.AddBackend();
        h.Connector.DropOnApply = true;
        await h.Create("web01");
        h.Connector.DropOnApply = false;
        Assert.Equal(LunStatus.Creating, h.Engine.GetLun("web01").Status);
        var r = await Sync();
        Assert.Contains(r.Actions, a => a.Kind == SyncActionKind.RollBack && a.Lun == "web01");
        var row = h.Engine.GetLun("web01");
        Assert.Equal(LunStatus.Error, row.Status);
        Assert.Null(row.PendingOperation);
        Assert.Null(row.TpgLunIndex);
        Assert.Empty(r.RemainingDrift);
        Assert.Empty(Saved.StorageObjects);
    }

    [Fact]
    public async Task ACreateWhoseAnswerWasLostIsFinished()
    {
        h.AddBackend();
        h.Connector.FailAtCall = 3; h.Connector.FailAfterCall = true;   // snapshot, steps, targetcli(ran) -> lost
        await h.Create("web01");
        h.Connector.ResetCalls();
        Assert.Equal(LunStatus.Creating, h.Engine.GetLun("web01").Status);
        var r = await Sync();
        Assert.Contains(r.Actions, a => a.Kind == SyncActionKind.Finish && a.Lun == "web01");
        Assert.Equal(LunStatus.Ready, h.Engine.GetLun("web01").Status);
        Assert.Empty(r.RemainingDrift);
    }

    [Fact]
    public async Task AnInterruptedRemovalIsFinishedAndHonoursKeepBackingFile()
    {
        h.AddBackend();
        await h.Create("gone", "kept");
        h.Connector.ResetCalls();
        h.Connector.FailAtCall = 2; h.Connector.FailAfterCall = true;    // snapshot, targetcli(ran) -> lost before the file steps
        await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("gone"), new LunRemoveRequest("kept", KeepBackingFile: true) });
        h.Connector.ResetCalls();
        Assert.Equal(LunStatus.Deleting, h.Engine.GetLun("gone").Status);
        var r = await Sync();
        Assert.Empty(h.Engine.ListLuns());
        Assert.False(h.State.FileExists("/var/lib/pureboot/luns/gone.img"));
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/kept.img"));
        Assert.Empty(Saved.StorageObjects);
        Assert.Contains(r.RemainingDrift, d => d.Kind == DriftKind.Orphan && d.Object.EndsWith("kept.img"));   // kept on purpose, reported
    }

    [Fact]
    public async Task AnActiveLunIsRepairedAndLeaksAreRemoved()
    {
        var b = h.AddBackend();
        var n = h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Create("a", "b");
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        h.Mutate(s => new TargetcliSimulator(s).Run(new[]
        {
            $"/iscsi/{b.SharedTargetIqn}/tpg1/acls delete {n.InitiatorIqn}",
            $"/iscsi/{b.SharedTargetIqn}/tpg1/acls create iqn.2026-01.local.evil:x add_mapped_luns=false",
            $"/iscsi/{b.SharedTargetIqn}/tpg1/acls/iqn.2026-01.local.evil:x create mapped_lun=0 tpg_lun_or_backstore=1",
            "saveconfig",
        }));
        var plan = await Sync(plan: true);
        Assert.NotEmpty(plan.Actions);
        Assert.Equal(0, h.Connector.Applies - 2);     // -WhatIf sent nothing
        var r = await Sync();
        Assert.Contains(r.Actions, a => a.Kind == SyncActionKind.Repair && a.Lun == "a");
        Assert.Contains(r.Actions, a => a.Kind == SyncActionKind.RemoveLeak && a.Lun == "b");
        Assert.Empty(r.RemainingDrift);
        var c = h.Engine.GetChapCredential("a");
        Assert.True(h.Login(n.InitiatorIqn, b.SharedTargetIqn, 0, c.User, c.RevealSecret()).Ok);
        Assert.Null(Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!.FindAcl("iqn.2026-01.local.evil:x"));
    }

    [Fact]
    public async Task OrphansAreReportedAndRemovedOnlyWhenAsked_DataOnlyWhenToldTwice()
    {
        h.AddBackend();
        await h.Create("a");
        h.Mutate(s =>
        {
            new TargetcliSimulator(s).Run(new[] { "/backstores/fileio create name=stray file_or_dev=/var/lib/pureboot/luns/stray.img size=1M", "saveconfig" });
            s.AddFile("/var/lib/pureboot/luns/empty.img", 1 << 20, 0);
            s.AddFile("/var/lib/pureboot/luns/data.img", 1 << 20, 4096);
        });
        var r1 = await Sync();
        Assert.Contains(r1.Actions, a => a.Kind == SyncActionKind.KeepOrphan && a.Object == "/backstores/fileio/stray");
        Assert.NotNull(Saved.FindStorageObject("fileio", "stray"));
        var r2 = await Sync(removeOrphans: true);
        Assert.Null(Saved.FindStorageObject("fileio", "stray"));
        Assert.False(h.State.FileExists("/var/lib/pureboot/luns/empty.img"));
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/data.img"));
        Assert.Contains(r2.Actions, a => a.Kind == SyncActionKind.KeepOrphan && a.Object.EndsWith("data.img"));
        await Sync(removeOrphans: true, data: true);
        Assert.False(h.State.FileExists("/var/lib/pureboot/luns/data.img"));
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/a.img"));
        Assert.Equal(LunStatus.Ready, h.Engine.GetLun("a").Status);
    }

    [Fact]
    public async Task CrashesAtEveryPointOfEveryOperationConvergeAfterOneSync()
    {
        var trials = 0;
        for (int call = 1; call <= 4; call++)
        foreach (var after in new[] { false, true })
        foreach (var op in new[] { "create", "assign", "unassign", "remove", "create+assign" })
        {
            using var t = new EngineHarness();
            var b = t.AddBackend();
            t.Engine.AddNode("n1", "52:54:00:00:00:01");
            t.Engine.AddNode("n2", "52:54:00:00:00:02");
            await t.Create("n1", "n2");
            if (op is "unassign" or "remove") await t.Engine.AssignLunsAsync(new[] { new LunAssignRequest("n1", "n1"), new LunAssignRequest("n2", "n2") });
            t.Connector.ResetCalls();
            t.Connector.FailAtCall = call; t.Connector.FailAfterCall = after;
            switch (op)
            {
                case "create": await t.Engine.CreateLunsAsync(new[] { EngineHarness.Req("n3"), EngineHarness.Req("n4") }); break;
                case "create+assign":
                    t.Engine.AddNode("n5", "52:54:00:00:00:05");
                    await t.Engine.CreateLunsAsync(new[] { EngineHarness.Req("n5") with { Node = "n5" }, EngineHarness.Req("n6") });
                    break;
                case "assign": await t.Engine.AssignLunsAsync(new[] { new LunAssignRequest("n1", "n1"), new LunAssignRequest("n2", "n2") }); break;
                case "unassign": await t.Engine.UnassignLunsAsync(new[] { "n1", "n2" }); break;
                case "remove": await t.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("n1", Force: true), new LunRemoveRequest("n2", Force: true) }); break;
            }
            t.Connector.ResetCalls();
            var r = await t.Engine.SyncTargetAsync("san1", new SyncOptions());
            trials++;
            Assert.True(r.RemainingDrift.Count == 0, $"{op} crash at call {call} ({(after ? "after" : "before")}): {string.Join("; ", r.RemainingDrift)}");
            Assert.DoesNotContain(t.Engine.ListLuns(), l => l.Status is LunStatus.Creating or LunStatus.Deleting || l.PendingOperation is not null);
            // Nothing orphaned or lost: every file on the host belongs to a row that says it exists.
            var files = t.State.Files.Keys.Where(k => k.StartsWith("/var/lib/pureboot/luns/")).ToHashSet();
            var rowsWithData = t.Engine.ListLuns().Where(l => l.BackingPath is not null).Select(l => l.BackingPath!).ToHashSet();
            Assert.True(files.SetEquals(rowsWithData), $"{op}@{call}/{after}: files {string.Join(",", files)} vs rows {string.Join(",", rowsWithData)}");
        }
        Assert.Equal(40, trials);
    }

    [Fact]
    public async Task ImportAdoptsAHandMadeTargetWithItsChap()
    {
        var b = h.AddBackend();
        const string init = "iqn.1993-08.org.debian:01:web07";
        h.Mutate(s => new TargetcliSimulator(s).Run(new[]
        {
            "/backstores/fileio create name=Web07_Disk file_or_dev=/var/lib/pureboot/luns/web07.img size=64M",
            "/backstores/fileio create name=spare file_or_dev=/var/lib/pureboot/luns/spare.img size=32M",
            "/iscsi create iqn.2025-05.lan.home:web07",
            "/iscsi/iqn.2025-05.lan.home:web07/tpg1 set attribute generate_node_acls=0 authentication=1",
            "/iscsi/iqn.2025-05.lan.home:web07/tpg1/luns create /backstores/fileio/Web07_Disk lun=0 add_mapped_luns=false",
            "/iscsi/iqn.2025-05.lan.home:web07/tpg1/luns create /backstores/fileio/spare lun=1 add_mapped_luns=false",
            $"/iscsi/iqn.2025-05.lan.home:web07/tpg1/acls create {init} add_mapped_luns=false",
            $"/iscsi/iqn.2025-05.lan.home:web07/tpg1/acls/{init} set auth userid=web07 password=HandMadeSecret1",
            $"/iscsi/iqn.2025-05.lan.home:web07/tpg1/acls/{init} create mapped_lun=0 tpg_lun_or_backstore=0",
            "saveconfig",
        }));
        var r = await h.Engine.ImportTargetConfigAsync("san1");
        Assert.Equal(2, r.Luns.Count);
        var web = h.Engine.GetLun("web07-disk");
        Assert.Equal(LunStatus.Active, web.Status);
        Assert.Equal(64L << 20, web.SizeBytes);
        Assert.Equal(init, web.InitiatorIqn);
        Assert.Equal("HandMadeSecret1", h.Engine.GetChapCredential("web07-disk").RevealSecret());
        Assert.Equal(LunStatus.Ready, h.Engine.GetLun("spare").Status);
        Assert.Single(r.Nodes);
        Assert.Contains(r.Warnings, w => w.Contains("placeholder"));
        // Imported LUNs are managed like any other: status agrees, and they can be removed.
        var st = await h.Engine.GetTargetStatusAsync("san1");
        Assert.DoesNotContain(st.Drift, d => d.Lun is "web07-disk" or "spare");
        Assert.True((await h.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("spare") }))[0].Succeeded);
        Assert.NotNull(Saved.FindTarget("iqn.2025-05.lan.home:web07"));   // the target still exports web07
        Assert.Empty(await h.Engine.ImportTargetConfigAsync("san1") is { } again ? again.Luns : null!);
    }
}
