using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Transport;
using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Lifecycle;

public class SnapshotResetRolloutTests
{
    [Theory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task WriteACheckpointWriteBRestore_GivesABackWithTheSameLunNumbersAclAndChap(StorageKind kind)
    {
        using var r = new LifecycleRig(kind);
        await r.Image();
        await r.Clones(2);
        var before = r.E.GetLun("n01");
        var usedBefore = r.Used();
        r.Write("n01", "A");
        var cp = Assert.Single(await r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n01", "after-a", "A is written") }));
        Assert.True(cp.Succeeded, cp.Error);
        Assert.Equal(SnapshotStatus.Ready, cp.Snapshot!.Status);
        Assert.Equal(usedBefore + (4L << 20), r.Used());          // the snapshot shares A's blocks: nothing added
        r.Write("n01", "B");
        var snaps = r.E.ListSnapshots("n01");
        Assert.Equal("after-a", Assert.Single(snaps).SnapshotName);
        Assert.Equal("deb12:v1", snaps[0].Image);
        Assert.Equal("A is written", snaps[0].Description);

        var restored = Assert.Single(await r.E.RestoreLunsAsync(new[] { new LunRestoreRequest("n01", "after-a") }));
        Assert.True(restored.Succeeded, restored.Error);
        Assert.Equal("A", r.ContentOf("n01"));
        var after = r.E.GetLun("n01");
        Assert.Equal((before.TargetIqn, before.TpgLunIndex, before.MappedLunIndex, before.InitiatorIqn, before.ChapUser),
                     (after.TargetIqn, after.TpgLunIndex, after.MappedLunIndex, after.InitiatorIqn, after.ChapUser));
        Assert.Equal(LunStatus.Active, after.Status);
        Assert.Null(after.PendingOperation);
        var login = r.Login("n01");
        Assert.True(login.Ok, login.Error);
        Assert.Equal("A", login.Content);
        Assert.Equal("deb12-v1", r.ContentOf("n00"));             // the neighbour is untouched
        Assert.Single(r.E.ListSnapshots("n01"));                  // the snapshot stays
        Assert.Contains(r.E.ListAudit(), a => a.Operation == "restore-lun" && a.ObjectName == "n01" && a.Outcome == AuditOutcome.Success);
        Assert.Contains(r.E.ListAudit(), a => a.Operation == "checkpoint-lun" && a.ObjectName == "n01");
        await r.InSync();

        var gone = Assert.Single(await r.E.RemoveSnapshotsAsync(new[] { new SnapshotRemoveRequest("n01", "after-a") }));
        Assert.True(gone.Removed, gone.Error);
        Assert.Empty(r.E.ListSnapshots("n01"));
        await r.InSync();
    }

    /// <summary>Two clones; n01 written A, checkpointed as "after-a", then written B.</summary>
    static async Task<LifecycleRig> AAndThenB(StorageKind kind)
    {
        var r = new LifecycleRig(kind);
        await r.Image();
        await r.Clones(2);
        r.Write("n01", "A");
        await r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n01", "after-a") });
        r.Write("n01", "B");
        return r;
    }

    /// <summary>One Sync finishes n01's interrupted restore: settled, in sync, and its node reads A.</summary>
    static async Task OneSyncFinishesTheRestore(LifecycleRig r)
    {
        var sync = await r.E.SyncTargetAsync("san1", new SyncOptions());
        Assert.Contains(sync.Actions, a => a.Object == "n01" && a.Kind == SyncActionKind.Finish);
        Assert.Empty(sync.RemainingDrift);
        Assert.All(sync.Outcomes, o => Assert.True(o.Succeeded, o.Error));
        Assert.Null(r.E.GetLun("n01").PendingOperation);
        var login = r.Login("n01");
        Assert.True(login.Ok, login.Error);
        Assert.Equal("A", login.Content);
        await r.InSync();
    }

    [Fact]
    public async Task BlockOldVolumeGoneNewOneNotMade_TheRowStaysPendingAndSyncMakesIt()
    {
        using var r = await AAndThenB(StorageKind.Block);
        // The snapshot fails once the old volume is gone (as when the pool's metadata fills meanwhile).
        r.H.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = "^lvcreate -s -n n01 ", Message = "  Cannot create new thin volume, free space in thin pool pureboot/pool reached threshold.", Times = 1 }));
        var failed = Assert.Single(await r.E.RestoreLunsAsync(new[] { new LunRestoreRequest("n01", "after-a") }));
        Assert.False(failed.Succeeded);
        Assert.Contains("old disk was removed but the new one could not be made", failed.Error);
        Assert.Contains("reached threshold", failed.Error);
        Assert.Contains("Sync-IscsiTarget", failed.Error);
        var row = r.E.GetLun("n01");
        Assert.Equal(LunStatus.Error, row.Status);
        Assert.Equal(ReplacePhase.Unexported, row.PendingOperation?.ReplacementPhase);
        Assert.False(r.State.TryGetLogicalVolume(row.BackingPath!, out _, out _));   // the old disk is gone ...
        Assert.False(r.Login("n01").Ok);                                                // ... and nothing is exported over it
        Assert.Equal("deb12-v1", r.ContentOf("n00"));

        await OneSyncFinishesTheRestore(r);
        Assert.Equal("A", r.ContentOf("n01"));
    }

    [Fact]
    public async Task BlockOldVolumeNotRemoved_ThatDiskIsUnchangedAndExportedAgain_TheRestAreReset()
    {
        using var r = new LifecycleRig(StorageKind.Block);
        await r.Image();
        await r.Clones(3);
        foreach (var n in new[] { "n00", "n01", "n02" }) r.Write(n, "dirty-" + n);
        // LVM refuses one of the batch's old volumes (held open by something other than LIO, say); the others go.
        var volume = DiskLayout.Volume(r.E.GetLun("n01").BackingPath!);
        r.H.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = $"^lvremove pureboot/{volume}$", Message = $"  Logical volume pureboot/{volume} in use.", Times = 1 }));
        var reset = await r.E.ResetLunsAsync(new[] { "n00", "n01", "n02" }.Select(n => new LunResetRequest(n)).ToList());
        var failed = Assert.Single(reset, o => !o.Succeeded);
        Assert.Equal("n01", failed.Name);
        Assert.Contains($"old volume could not be removed (Logical volume pureboot/{volume} in use.); the disk was not changed", failed.Error);
        Assert.DoesNotContain("refusing to overwrite", failed.Error);
        var row = r.E.GetLun("n01");
        Assert.Null(row.PendingOperation);                      // nothing half done: no Sync needed
        var login = r.Login("n01");
        Assert.True(login.Ok, login.Error);                     // exported again, with its writes
        Assert.Equal("dirty-n01", login.Content);
        Assert.Equal("deb12-v1", r.ContentOf("n00"));
        Assert.Equal("deb12-v1", r.ContentOf("n02"));
        await r.InSync();
    }

    [Fact]
    public async Task FileIOStorageObjectNotMadeAgain_TheRowStaysPendingAndSyncMakesIt()
    {
        using var r = await AAndThenB(StorageKind.FileIO);
        var so = r.E.GetLun("n01").StorageObjectName!;
        var wwn = r.Saved.FindStorageObject("fileio", so)!.Wwn;
        // The new file is in place, but LIO refuses to let the old storage object go: it would still serve the old file.
        r.H.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = $"^/backstores/fileio delete {so}$", Message = "Storage object is busy", Times = 1 }));
        var failed = Assert.Single(await r.E.RestoreLunsAsync(new[] { new LunRestoreRequest("n01", "after-a") }));
        Assert.False(failed.Succeeded);
        Assert.Contains("could not be made again: it still serves the old disk", failed.Error);
        var row = r.E.GetLun("n01");
        Assert.Equal(LunStatus.Error, row.Status);
        Assert.Equal(ReplacePhase.Replaced, row.PendingOperation?.ReplacementPhase);

        await OneSyncFinishesTheRestore(r);
        Assert.NotEqual(wwn, r.Saved.FindStorageObject("fileio", so)!.Wwn);   // made again: it serves the new file
    }

    [Fact]
    public async Task RestoringADiskANodeIsLoggedIntoIsRefused_ForceDropsItsSessionFirst()
    {
        using var r = new LifecycleRig(StorageKind.FileIO);
        await r.Image();
        await r.Clones(2);
        r.Write("n00", "A");
        await r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n00", "a") });
        r.Write("n00", "B");
        Assert.True(r.Login("n00", session: true).Ok);
        Assert.True(r.Login("n01", session: true).Ok);
        var changesBefore = r.H.Connector.Changes.Count;
        var refused = Assert.Single(await r.E.RestoreLunsAsync(new[] { new LunRestoreRequest("n00", "a") }));
        Assert.Equal(FailureKind.Conflict, refused.Failure);
        Assert.Contains("-Force", refused.Error);
        Assert.Contains("is logged in", refused.Error);
        Assert.Equal(changesBefore, r.H.Connector.Changes.Count);   // nothing sent
        Assert.Equal("B", r.ContentOf("n00"));
        Assert.Null(r.E.GetLun("n00").PendingOperation);

        var forced = Assert.Single(await r.E.RestoreLunsAsync(new[] { new LunRestoreRequest("n00", "a", Force: true) }));
        Assert.True(forced.Succeeded, forced.Error);
        Assert.Contains(forced.Warnings, w => w.Contains("dropped the session"));
        Assert.Equal("A", r.ContentOf("n00"));
        Assert.DoesNotContain(r.State.Sessions, x => x.InitiatorIqn == r.E.GetLun("n00").InitiatorIqn);   // its session ended ...
        Assert.Contains(r.State.Sessions, x => x.InitiatorIqn == r.E.GetLun("n01").InitiatorIqn);         // ... no one else's
        Assert.True(r.Login("n00").Ok);                                                                     // and it logs in again with its CHAP
        await r.InSync();
    }

    [Theory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task ResetOfAHundredNodesIsOneBatchAndDiscardsTheirWrites(StorageKind kind)
    {
        using var r = new LifecycleRig(kind);
        await r.Image();
        await r.Clones(100);
        var clean = r.Used();
        for (int i = 0; i < 100; i += 7) r.Write($"n{i:00}", $"dirty-{i}", 1L << 20);
        Assert.True(r.Used() > clean);
        r.H.Connector.Opens = 0; r.H.Connector.Applies = 0; r.H.Connector.Steps.Clear();
        var reset = await r.E.ResetLunsAsync(Enumerable.Range(0, 100).Select(i => new LunResetRequest($"n{i:00}")).ToList());
        Assert.All(reset, o => Assert.True(o.Succeeded, o.Error));
        Assert.Equal(1, r.H.Connector.Opens);
        // Block: the hundred old volumes go in one lvremove, then one snapshot each (an LVM command costs ~1 s under TCG).
        var removals = r.H.Connector.Steps.OfType<RemoveLogicalVolumes>().ToList();
        Assert.Equal(kind == StorageKind.Block ? 1 : 0, removals.Count);
        if (kind == StorageKind.Block) Assert.Equal(100, removals[0].Names.Count);
        Assert.Empty(r.H.Connector.Steps.OfType<RemoveLogicalVolume>());
        // Block: storage objects out, disks replaced, then back in (LVM will not remove a volume in use). FileIO: the new
        // files are renamed over the old while LIO serves those, then one plan makes the storage objects again.
        Assert.Equal(kind == StorageKind.FileIO ? 1 : 2, r.H.Connector.Applies);
        Assert.Equal(clean, r.Used());               // the writes are gone, the clones share the image again
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal("deb12-v1", r.ContentOf($"n{i:00}")));
        Assert.True(r.Login("n14").Ok);
        Assert.Equal(100, r.E.ListAudit().Count(a => a.Operation == "reset-lun" && a.Outcome == AuditOutcome.Success));
        await r.InSync();
    }

    [Theory]
    [InlineData(StorageKind.FileIO)]
    [InlineData(StorageKind.Block)]
    public async Task RolloutKeepsThePreviousDiskAndRollbackIsOneCommand(StorageKind kind)
    {
        using var r = new LifecycleRig(kind);
        await r.Image();
        await r.Image("golden/deb12-v2.img");
        await r.Clones(3, version: 1);
        r.Write("n01", "n01-work-on-v1");

        // -WhatIf: a plan a script can read; nothing changes.
        var changes = r.H.Connector.Changes.Count;
        var plan = await r.E.PlanLunImagesAsync(new[] { "n00", "n01", "n02" }.Select(n => new LunRolloutRequest(n, "deb12", 2)).ToList());
        Assert.All(plan, p => Assert.Equal(("Rollout", "deb12:v1", "deb12:v2", "before-deb12-v2"), (p.Action, p.FromImage, p.ToImage, p.Snapshot)));
        Assert.Equal(changes, r.H.Connector.Changes.Count);
        Assert.All(new[] { "n00", "n01", "n02" }, n => Assert.Equal("deb12:v1", r.E.GetLun(n).Image));

        var rolled = await r.E.UpdateLunImagesAsync(new[] { "n00", "n01", "n02" }.Select(n => new LunRolloutRequest(n, "deb12", 2)).ToList());
        Assert.All(rolled, o => Assert.True(o.Succeeded, o.Error));
        Assert.All(new[] { "n00", "n01", "n02" }, n => Assert.Equal(("deb12-v2", "deb12:v2", "before-deb12-v2"), (r.ContentOf(n), r.E.GetLun(n).Image, r.E.GetLun(n).PreviousSnapshot)));
        var kept = r.E.ListSnapshots("n01").Single();
        Assert.Equal("deb12:v1", kept.Image);
        Assert.Equal(new[] { "n00", "n01", "n02" }, r.E.ListImages("deb12").Single(i => i.Version == 2).Luns);
        var again = await r.E.PlanLunImagesAsync(new[] { new LunRolloutRequest("n00", "deb12", 2) });
        Assert.Equal("Unchanged", again.Single().Action);

        var back = Assert.Single(await r.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("n01", Rollback: true) }));
        Assert.True(back.Succeeded, back.Error);
        var n01 = r.E.GetLun("n01");
        Assert.Equal(("n01-work-on-v1", "deb12:v1"), (r.ContentOf("n01"), n01.Image));   // its own disk, with its work
        Assert.Null(n01.PreviousSnapshot);
        Assert.Contains(r.E.ListAudit(), a => a.Operation == "rollback-lun" && a.ObjectName == "n01");
        var none = Assert.Single(await r.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("n01", Rollback: true) }));
        Assert.Equal(FailureKind.Conflict, none.Failure);
        await r.InSync();
    }

    [Fact]
    public async Task AThinPoolNearItsLimitRefusesProvisioningAndNothingIsHalfMade()
    {
        using var r = new LifecycleRig(StorageKind.Block, poolBytes: 1L << 30, maxFill: 50);
        await r.Image();
        await r.Clones(2);
        r.Write("n00", "big", 600L << 20);                       // the pool is now ~59% full
        var rows = r.E.ListLuns().Count; var lvs = r.State.VolumeGroups["pureboot"].LogicalVolumes.Count;
        r.E.AddNode("n02", "52:54:00:10:00:02");
        var changes = r.H.Connector.Changes.Count; var steps = r.H.Connector.Steps.Count; var audit = r.E.ListAudit().Count;
        var create = Assert.Single(await r.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "n02", Backend = "san1", Image = "deb12", Node = "n02" } }));
        Assert.Equal(FailureKind.InsufficientSpace, create.Failure);
        Assert.Equal("Backend", create.Parameter);
        Assert.Contains("thin pool pureboot/pool", create.Error);
        Assert.Contains("MaxFillPercent", create.Error);
        var cp = Assert.Single(await r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n01", "x") }));
        Assert.Equal(FailureKind.InsufficientSpace, cp.Failure);
        var reset = Assert.Single(await r.E.ResetLunsAsync(new[] { new LunResetRequest("n01") }));
        Assert.Equal(FailureKind.InsufficientSpace, reset.Failure);
        Assert.Equal(rows, r.E.ListLuns().Count);
        Assert.Empty(r.E.ListSnapshots());
        Assert.Equal(audit, r.E.ListAudit().Count);               // nothing written
        Assert.Equal(lvs, r.State.VolumeGroups["pureboot"].LogicalVolumes.Count);
        Assert.Equal(changes, r.H.Connector.Changes.Count);
        Assert.DoesNotContain(r.H.Connector.Steps.Skip(steps), st => st is not (PureBoot.Core.Transport.ProbeSpace or PureBoot.Core.Transport.FindMissing));
        var status = await r.E.GetTargetStatusAsync("san1");
        Assert.True(status.Space!.OverLimit);
        Assert.True(status.Space.ThinPoolDataPercent > 50);
    }

    [Fact]
    public async Task StatusAndSyncKnowImagesSnapshotsAndThePool_NoneIsAnOrphan_MissingDataIsDrift()
    {
        using var r = new LifecycleRig(StorageKind.Block);
        await r.Image();
        await r.Clones(2);
        await r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n00", "s1"), new LunCheckpointRequest("n01", "s1") });
        var status = await r.E.GetTargetStatusAsync("san1");
        Assert.Empty(status.Drift);
        Assert.Equal(CloneMethod.ThinSnapshot, status.Space!.CloneMethod);
        var sync = await r.E.SyncTargetAsync("san1", new SyncOptions { RemoveOrphans = true, DeleteOrphanData = true });
        Assert.DoesNotContain(sync.Actions, a => a.Kind is SyncActionKind.RemoveOrphan or SyncActionKind.KeepOrphan);
        Assert.NotNull(r.State.VolumeGroups["pureboot"].LogicalVolumes.GetValueOrDefault("pool"));
        Assert.Equal(2, r.E.ListSnapshots().Count);
        r.H.Mutate(s => s.VolumeGroups["pureboot"].LogicalVolumes.Remove("snap.n01.s1"));
        var drift = (await r.E.GetTargetStatusAsync("san1")).Drift;
        Assert.Contains(drift, d => d.Kind == DriftKind.Missing && d.Lun == "n01" && d.Detail.Contains("snap.n01.s1"));
    }

    [Fact]
    public async Task ALunWithSnapshotsIsNotRemovedUntilTheyAre()
    {
        using var r = new LifecycleRig(StorageKind.FileIO);
        await r.Image();
        await r.Clones(1);
        await r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n00", "keep") });
        var refused = Assert.Single(await r.E.RemoveLunsAsync(new[] { new LunRemoveRequest("n00", Force: true) }));
        Assert.Equal(FailureKind.Conflict, refused.Failure);
        Assert.Contains("Remove-IscsiLunSnapshot", refused.Error);
        await r.E.RemoveSnapshotsAsync(new[] { new SnapshotRemoveRequest("n00", "keep") });
        Assert.True(Assert.Single(await r.E.RemoveLunsAsync(new[] { new LunRemoveRequest("n00", Force: true) })).Removed);
        Assert.Empty(r.State.Files.Keys.Where(k => k.Contains("/snapshots/")));
    }
}
