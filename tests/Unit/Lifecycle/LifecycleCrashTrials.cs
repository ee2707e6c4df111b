using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Unit.Lifecycle;

/// <summary>
/// The connection dies at every host call of every lifecycle operation, before the call ran and after it ran (its
/// answer lost); then ONE Sync-IscsiTarget must converge: nothing in flight, no drift, every file or volume on the host
/// owned by a row and every row's data there, and each LUN's disk consistent with what its row says (old or new, whole).
/// </summary>
public class LifecycleCrashTrials(ITestOutputHelper output)
{
    public static TheoryData<StorageKind, string> Operations()
    {
        var d = new TheoryData<StorageKind, string>();
        foreach (var kind in new[] { StorageKind.FileIO, StorageKind.Block })
            foreach (var op in new[] { "clone", "new-image", "capture", "checkpoint", "restore", "restore-forced", "reset", "rollout", "rollback", "remove-snapshot", "remove-image" })
                d.Add(kind, op);
        return d;
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task ACrashAtAnyHostCallThenOneSyncConverges(StorageKind kind, string op)
    {
        var trials = 0;
        for (int call = 1; call <= 7; call++)
            foreach (var after in new[] { false, true })
            {
                using var r = new LifecycleRig(kind);
                await Prepare(r, op);
                r.H.Connector.ResetCalls();
                r.H.Connector.FailAtCall = call; r.H.Connector.FailAfterCall = after;
                await Run(r, op);
                r.H.Connector.ResetCalls();
                var sync = await r.E.SyncTargetAsync("san1", new SyncOptions());
                var where = $"{kind} {op} crash at call {call} ({(after ? "after" : "before")})";
                foreach (var a in sync.Actions) output.WriteLine($"{where}: {a.Kind} {a.Object}: {a.Description}");
                Assert.True(sync.RemainingDrift.Count == 0, $"{where}: {string.Join("; ", sync.RemainingDrift)}");
                Assert.All(sync.Outcomes, o => Assert.True(o.Succeeded, $"{where}: {o}"));
                // Settled: Ready or Active, or (an interrupted create that Sync rolled back) Error with nothing on the target.
                Assert.DoesNotContain(r.E.ListLuns(), l => l.PendingOperation is not null || l.Status is LunStatus.Creating or LunStatus.Deleting || (l.Status == LunStatus.Error && l.HasLioObjects));
                Assert.DoesNotContain(r.E.ListImages(), i => i.Status != ImageStatus.Ready);
                Assert.DoesNotContain(r.E.ListSnapshots(), x => x.Status != SnapshotStatus.Ready);
                DataMatchesRows(r, where);
                DisksMatchLineage(r, op, where);
                Assert.True(r.Login("n00").Ok, where);
                trials++;
            }
        Assert.Equal(14, trials);
    }

    static async Task Prepare(LifecycleRig r, string op)
    {
        await r.Image();
        if (op is "rollout" or "rollback") await r.Image("golden/deb12-v2.img");
        if (op is "new-image" or "remove-image") { r.E.AddNode("n00", "52:54:00:10:00:00"); await r.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "n00", Backend = "san1", Image = "deb12", Node = "n00" } }); }
        else await r.Clones(2, version: 1);
        if (op == "remove-image") await r.Image("golden/deb12-v2.img");
        r.Write("n00", "A");
        if (op is "restore" or "restore-forced" or "remove-snapshot") { await r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n00", "a") }); r.Write("n00", "B"); }
        if (op == "restore-forced") Assert.True(r.Login("n00", session: true).Ok);
        if (op == "rollback") { await r.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("n00", "deb12", 2) }); r.Write("n00", "C"); }
    }

    static Task Run(LifecycleRig r, string op) => op switch
    {
        "clone" => Create(r),
        "new-image" => r.E.NewImageAsync(new ImageCreateRequest { Name = "deb12", Backend = "san1", Path = "golden/deb12-v2.img" }),
        "capture" => r.E.NewImageAsync(new ImageCreateRequest { Name = "deb12", Lun = "n00" }),
        "checkpoint" => r.E.CheckpointLunsAsync(new[] { new LunCheckpointRequest("n00", "c1"), new LunCheckpointRequest("n01", "c1") }),
        "restore" => r.E.RestoreLunsAsync(new[] { new LunRestoreRequest("n00", "a") }),
        "restore-forced" => r.E.RestoreLunsAsync(new[] { new LunRestoreRequest("n00", "a", Force: true) }),
        "reset" => r.E.ResetLunsAsync(new[] { new LunResetRequest("n00"), new LunResetRequest("n01") }),
        "rollout" => r.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("n00", "deb12", 2), new LunRolloutRequest("n01", "deb12", 2) }),
        "rollback" => r.E.UpdateLunImagesAsync(new[] { new LunRolloutRequest("n00", Rollback: true) }),
        "remove-snapshot" => r.E.RemoveSnapshotsAsync(new[] { new SnapshotRemoveRequest("n00", "a") }),
        "remove-image" => r.E.RemoveImageAsync(new ImageRemoveRequest("deb12", Version: 2)),
        _ => throw new ArgumentException(op),
    };

    static async Task Create(LifecycleRig r)
    {
        r.E.AddNode("n09", "52:54:00:10:00:09");
        await r.E.CreateLunsAsync(new[] { new LunCreateRequest { Name = "n09", Backend = "san1", Image = "deb12", Node = "n09" } });
    }

    /// <summary>Every file or volume is owned by a row (LUN disk, image, snapshot), and every row's data is there.</summary>
    static void DataMatchesRows(LifecycleRig r, string where)
    {
        var s = r.State;
        var owned = r.E.ListLuns().Where(l => l.BackingPath is not null).Select(l => l.BackingPath!)
            .Concat(r.E.ListImages().Select(i => i.Path)).Concat(r.E.ListSnapshots().Select(x => x.Path)).ToHashSet();
        var present = r.Kind == StorageKind.FileIO
            ? s.Files.Keys.Where(k => k.StartsWith("/var/lib/pureboot/luns/", StringComparison.Ordinal) && !k.Contains("/golden/")).ToHashSet()
            : s.VolumeGroups["pureboot"].LogicalVolumes.Keys.Where(k => k != "pool").Select(k => "/dev/pureboot/" + k).ToHashSet();
        Assert.True(present.SetEquals(owned), $"{where}: on the host {string.Join(", ", present.Order())}; rows {string.Join(", ", owned.Order())}");
    }

    /// <summary>A LUN's disk is whole and is what its row says: its image version's clone, or its own data, never a mix.</summary>
    static void DisksMatchLineage(LifecycleRig r, string op, string where)
    {
        var n00 = r.E.GetLun("n00");
        var content = r.ContentOf("n00");
        string[] allowed = op switch
        {
            "restore" or "restore-forced" => new[] { "A", "B" },
            "remove-snapshot" => new[] { "B" },
            "reset" => new[] { "deb12-v1", "A" },
            "rollout" => new[] { n00.Image == "deb12:v2" ? "deb12-v2" : "A" },
            "rollback" => new[] { n00.Image == "deb12:v1" ? "A" : "C" },
            _ => new[] { "A" },
        };
        Assert.True(allowed.Contains(content), $"{where}: n00 holds {content}, its row says image {n00.Image}");
        if (op == "rollout" && n00.Image == "deb12:v2")
        {
            var kept = r.E.ListSnapshots("n00").Single(x => x.SnapshotName == n00.PreviousSnapshot);
            var path = kept.Path;
            var s = r.State;
            Assert.Equal("A", s.Files.TryGetValue(path, out var f) ? f.Content : s.VolumeGroups["pureboot"].LogicalVolumes[path.Split('/').Last()].Content);
        }
    }
}
