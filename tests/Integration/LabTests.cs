using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Integration;

/// <summary>What the unit tests show on the simulator, shown on a real LIO target over real SSH with a real initiator.</summary>
[Collection("lab")]
public class LabTests(ITestOutputHelper output)
{
    void Dump(LabContext ctx) { lock (ctx.Log) foreach (var l in ctx.Log) output.WriteLine(l); }

    // Verdict tests run on both executors (the rtslib default, and targetcli for hosts that allow only it).
    [LabTheory]
    [InlineData(false, LioExecutorKind.Rtslib)]
    [InlineData(true, LioExecutorKind.Rtslib)]
    [InlineData(true, LioExecutorKind.Targetcli)]
    public async Task SharedTarget_ChapAndMutualChap_EachNodeSeesOnlyItsDisk_AndDataStaysPrivate(bool asSudoUser, LioExecutorKind executor)
    {
        using var ctx = new LabContext(executor);
        try
        {
            var be = ctx.AddBackend("shared", asSudoUser: asSudoUser);
            var a = ctx.Engine.AddNode("a", "52:54:00:10:00:0a");
            var b = ctx.Engine.AddNode("b", "52:54:00:10:00:0b");
            var created = await ctx.Engine.CreateLunsAsync(new[]
            {
                new LunCreateRequest { Name = "a", SizeBytes = 64L << 20, Backend = "shared" },
                new LunCreateRequest { Name = "b", SizeBytes = 96L << 20, Backend = "shared", MutualChap = true },
                new LunCreateRequest { Name = "c", SizeBytes = 32L << 20, Backend = "shared" },
            });
            Assert.All(created, o => Assert.True(o.Succeeded, o.Error));
            var assigned = await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a"), new LunAssignRequest("b", "b") });
            Assert.All(assigned, o => Assert.True(o.Succeeded, o.Error));
            var t = be.SharedTargetIqn;
            var ca = ctx.Engine.GetChapCredential("a");
            var cb = ctx.Engine.GetChapCredential("b");

            Assert.Equal(64L << 20, Initiator.CapacityBytes(ctx.Lab, a.InitiatorIqn, t, 0, ca.User, ca.RevealSecret()));
            Assert.Contains("Authentication failure(513)", Initiator.ReadCapacity(ctx.Lab, a.InitiatorIqn, t, 0, ca.User, "WrongSecret1234").Out);
            Assert.Contains("Authentication failure(513)", Initiator.ReadCapacity(ctx.Lab, a.InitiatorIqn, t, 0, cb.User, cb.RevealSecret()).Out);
            // Mutual CHAP: the initiator checks the target's answer too.
            var mutual = $"{cb.RevealSecret()}@{ctx.Lab.Host}:{ctx.Lab.IscsiPort}/{t}/0?target_user={cb.MutualUser}&target_password=";
            var good = Lab.RunHost("iscsi-readcapacity16", "-i", b.InitiatorIqn, $"iscsi://{cb.User}%{mutual}{cb.RevealMutualSecret()}");
            Assert.True(good.Code == 0 && good.Out.Contains($"Total size:{96L << 20}"), good.Out);
            var bad = Lab.RunHost("iscsi-readcapacity16", "-i", b.InitiatorIqn, $"iscsi://{cb.User}%{mutual}NotTheTarget123");
            Assert.NotEqual(0, bad.Code);
            // b's LUN 0 is its own disk; it has nothing else; a stranger gets nothing; the unassigned LUN c is nobody's.
            Assert.Equal(96L << 20, Initiator.CapacityBytes(ctx.Lab, b.InitiatorIqn, t, 0, cb.User, cb.RevealSecret()));
            Assert.Null(Initiator.CapacityBytes(ctx.Lab, b.InitiatorIqn, t, 1, cb.User, cb.RevealSecret()));
            Assert.Contains("Authorization failure(514)", Initiator.ReadCapacity(ctx.Lab, "iqn.2026-01.test.stranger:x", t, 0).Out);
            Assert.Null(Initiator.CapacityBytes(ctx.Lab, a.InitiatorIqn, t, 2, ca.User, ca.RevealSecret()));

            // Data written by a is read back intact by a; b's disk does not have it and b cannot address a's.
            var w = DataPath.QemuIo(ctx.Lab, a.InitiatorIqn, t, 0, ca.User, ca.RevealSecret(), "write -P 0x5a 1048576 65536");
            Assert.True(w.Ok, w.Out);
            var r = DataPath.QemuIo(ctx.Lab, a.InitiatorIqn, t, 0, ca.User, ca.RevealSecret(), "read -P 0x5a 1048576 65536");
            Assert.True(r.Ok, r.Out);
            var rb = DataPath.QemuIo(ctx.Lab, b.InitiatorIqn, t, 0, cb.User, cb.RevealSecret(), "read -P 0x00 1048576 65536");
            Assert.True(rb.Ok, rb.Out);
            Assert.False(DataPath.QemuIo(ctx.Lab, b.InitiatorIqn, t, 2, cb.User, cb.RevealSecret(), "read 0 512").Ok);

            var status = await ctx.Engine.GetTargetStatusAsync("shared");
            Assert.Empty(status.Drift);
            Assert.Equal(0, status.TargetcliStarts);   // sessions come from configfs in the same exchange

            var removed = await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("a", Force: true), new LunRemoveRequest("b", Force: true), new LunRemoveRequest("c") });
            Assert.All(removed, o => Assert.True(o.Succeeded, o.Error));
            foreach (var n in new[] { "a", "b", "c" })
                Assert.Equal(1, ctx.Lab.Ssh($"test -e '{ctx.StorageDir}/{n}.img'").Code);   // backing file gone
            // The Shared target went with its last LUN: a login finds nothing.
            Assert.NotEqual(0, Initiator.ReadCapacity(ctx.Lab, a.InitiatorIqn, t, 0, ca.User, ca.RevealSecret()).Code);
            Assert.DoesNotContain(t, ctx.Lab.SavedConfigJson());
        }
        finally { Dump(ctx); }
    }

    [LabFact]
    public async Task PerLunTargets_OnLvm_AsTheSudoUser()
    {
        using var ctx = new LabContext();
        try
        {
            var be = ctx.AddBackend("lvm", StorageKind.Block, TargetMode.PerLun, asSudoUser: true);
            var test = await ctx.Engine.TestBackendAsync("lvm");
            Assert.True(test.Passed, test.Error);
            Assert.True(test.Sudo);
            var n = ctx.Engine.AddNode("n", "52:54:00:10:00:21");
            var names = new[] { $"{ctx.Id}a", $"{ctx.Id}b" };   // LV names live in a shared VG: keep them unique
            var created = await ctx.Engine.CreateLunsAsync(names.Select(x => new LunCreateRequest { Name = x, SizeBytes = 64L << 20, Backend = "lvm" }).ToList());
            Assert.All(created, o => Assert.True(o.Succeeded, o.Error));
            Assert.Contains(names[0], ctx.Lab.SshOk($"lvs --noheadings -o lv_name {ctx.Lab.VolumeGroup}"));
            Assert.True((await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest(names[0], "n") }))[0].Succeeded);
            var c = ctx.Engine.GetChapCredential(names[0]);
            Assert.Equal(64L << 20, Initiator.CapacityBytes(ctx.Lab, n.InitiatorIqn, be.PerLunTargetIqn(names[0]), 0, c.User, c.RevealSecret()));
            // The unassigned LUN's own target refuses every initiator.
            Assert.Contains("Authorization failure(514)", Initiator.ReadCapacity(ctx.Lab, n.InitiatorIqn, be.PerLunTargetIqn(names[1]), 0, c.User, c.RevealSecret()).Out);
            Assert.True((await ctx.Engine.ResizeLunAsync(names[0], 128L << 20)).Succeeded);
            var removed = await ctx.Engine.RemoveLunsAsync(names.Select(x => new LunRemoveRequest(x, Force: true)).ToList());
            Assert.All(removed, o => Assert.True(o.Succeeded, o.Error));
            var lvs = ctx.Lab.SshOk($"lvs --noheadings -o lv_name {ctx.Lab.VolumeGroup}");
            Assert.DoesNotContain(names[0], lvs);
            Assert.DoesNotContain(names[1], lvs);
        }
        finally { Dump(ctx); }
    }

    [LabFact]
    public async Task ABatchOfTwentyWithOneBadItem_LeavesNineteenUsableAndNothingOrphaned()
    {
        using var ctx = new LabContext();
        try
        {
            var be = ctx.AddBackend("batch");
            var reqs = Enumerable.Range(0, 20).Select(i => new LunCreateRequest
            {
                Name = $"n{i:00}", Backend = "batch",
                // 60 TiB passes validation but no ext4 file can be that large: its sparse file cannot be made.
                SizeBytes = i == 7 ? 60L << 40 : 16L << 20,
            }).ToList();
            var outcomes = await ctx.Engine.CreateLunsAsync(reqs);
            var bad = Assert.Single(outcomes, o => !o.Succeeded);
            Assert.Equal("n07", bad.Name);
            output.WriteLine("bad item: " + bad.Error);
            Assert.Equal(LunStatus.Error, ctx.Engine.GetLun("n07").Status);
            Assert.Equal(19, ctx.Engine.ListLuns().Count(l => l.Status == LunStatus.Ready));
            // PureBoot makes the files sparse itself (targetcli's sparse=true would allocate them whole).
            Assert.Equal("0", ctx.Lab.SshOk($"stat -c %b '{ctx.StorageDir}/n00.img'").Trim());
            // Nothing orphaned: the saved config holds exactly the 19, and no file was left for the bad one.
            var saved = SaveConfigParser.Parse(ctx.Lab.SavedConfigJson());
            var ours = saved.StorageObjects.Where(s => s.Dev?.StartsWith(ctx.StorageDir + "/") == true).ToList();
            Assert.Equal(19, ours.Count);
            Assert.DoesNotContain(ours, s => s.Name == "n07");
            Assert.Equal(19, saved.FindTarget(be.SharedTargetIqn)!.Tpg1!.Luns.Count);
            Assert.Equal(1, ctx.Lab.Ssh($"test -e '{ctx.StorageDir}/n07.img'").Code);
            // The 19 are usable: assign each to a node and read its capacity through the initiator.
            var good = outcomes.Where(o => o.Succeeded).Select(o => o.Name).ToList();
            foreach (var (name, i) in good.Select((x, i) => (x, i))) ctx.Engine.AddNode(name, $"52:54:00:20:00:{i:x2}");
            var assigned = await ctx.Engine.AssignLunsAsync(good.Select(g => new LunAssignRequest(g, g)).ToList());
            Assert.All(assigned, o => Assert.True(o.Succeeded, o.Error));
            foreach (var g in good)
            {
                var c = ctx.Engine.GetChapCredential(g);
                Assert.Equal(16L << 20, Initiator.CapacityBytes(ctx.Lab, ctx.Engine.GetNode(g).InitiatorIqn, be.SharedTargetIqn, 0, c.User, c.RevealSecret()));
            }
            Assert.Empty((await ctx.Engine.GetTargetStatusAsync("batch")).Drift);
        }
        finally { Dump(ctx); }
    }

    [LabTheory]
    [InlineData(LioExecutorKind.Rtslib)]
    [InlineData(LioExecutorKind.Targetcli)]
    public async Task AfterARebootEveryReadyAndActiveLunComesBackAndNodesLogInAgain(LioExecutorKind executor)
    {
        using var ctx = new LabContext(executor);
        try
        {
            var be = ctx.AddBackend("reboot");
            var n = ctx.Engine.AddNode("n", "52:54:00:10:00:31");
            var m = ctx.Engine.AddNode("m", "52:54:00:10:00:32");
            await ctx.Engine.CreateLunsAsync(new[]
            {
                new LunCreateRequest { Name = "n", SizeBytes = 32L << 20, Backend = "reboot" },
                new LunCreateRequest { Name = "m", SizeBytes = 48L << 20, Backend = "reboot", MutualChap = true },
                new LunCreateRequest { Name = "idle", SizeBytes = 16L << 20, Backend = "reboot" },
            });
            Assert.All(await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("n", "n"), new LunAssignRequest("m", "m") }), o => Assert.True(o.Succeeded, o.Error));
            var cn = ctx.Engine.GetChapCredential("n");
            Assert.True(DataPath.QemuIo(ctx.Lab, n.InitiatorIqn, be.SharedTargetIqn, 0, cn.User, cn.RevealSecret(), "write -P 0x33 0 4096").Ok);

            var (code, o) = Lab.RunHost("bash", Path.Combine(Lab.RepoRoot, "tests/Integration/lab/reboot-vm.sh"));
            Assert.True(code == 0, o);

            var status = await ctx.Engine.GetTargetStatusAsync("reboot");
            Assert.Empty(status.Drift);
            Assert.Equal(3, status.Luns.Count(l => l.Exported));
            Assert.Equal(2, status.Luns.Count(l => l.Mapped));
            Assert.Equal(32L << 20, Initiator.CapacityBytes(ctx.Lab, n.InitiatorIqn, be.SharedTargetIqn, 0, cn.User, cn.RevealSecret()));
            Assert.True(DataPath.QemuIo(ctx.Lab, n.InitiatorIqn, be.SharedTargetIqn, 0, cn.User, cn.RevealSecret(), "read -P 0x33 0 4096").Ok);
            var cm = ctx.Engine.GetChapCredential("m");
            Assert.Equal(48L << 20, Initiator.CapacityBytes(ctx.Lab, m.InitiatorIqn, be.SharedTargetIqn, 0, cm.User, cm.RevealSecret()));
            Assert.Contains("Authentication failure(513)", Initiator.ReadCapacity(ctx.Lab, m.InitiatorIqn, be.SharedTargetIqn, 0, cm.User, "WrongSecret1234").Out);
        }
        finally { Dump(ctx); }
    }

    [LabTheory]
    [InlineData(LioExecutorKind.Rtslib)]
    [InlineData(LioExecutorKind.Targetcli)]
    public async Task TheSimulatorProducesTheSameSavedConfigAsTheRealTarget(LioExecutorKind executor)
    {
        using var ctx = new LabContext(executor);
        try
        {
            // One scenario, run twice: against the VM and against a simulated host with the same settings.
            async Task Run(string backend, TransportKind transport)
            {
                if (transport == TransportKind.Ssh) ctx.AddBackend(backend);
                else ctx.Engine.AddBackend(new BackendSpec { Name = backend, Transport = TransportKind.Simulated, SimulationStatePath = Path.Combine(ctx.Dir, "sim.json"), IqnPrefix = ctx.IqnPrefix, StoragePath = ctx.StorageDir, Executor = executor });
                var p = backend + "-";
                ctx.Engine.AddNode(p + "a", transport == TransportKind.Ssh ? "52:54:00:30:00:01" : "52:54:00:30:00:02",
                    initiatorIqn: $"iqn.2026-01.test.{ctx.Id}:{p}a");
                await ctx.Engine.CreateLunsAsync(new[]
                {
                    new LunCreateRequest { Name = p + "a", SizeBytes = 64L << 20, Backend = backend, ChapUser = "usera", ChapSecret = "Secret.a.123456", MutualChap = true, MutualChapUser = "tgt", MutualChapSecret = "Mutual.a.123456" },
                    new LunCreateRequest { Name = p + "b", SizeBytes = 32L << 20, Backend = backend, ChapUser = "userb", ChapSecret = "Secret.b.123456" },
                });
                await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest(p + "a", p + "a") });
                await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest(p + "b") });
                await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = p + "c", SizeBytes = 16L << 20, Backend = backend, Chap = false } });
            }
            await Run("real", TransportKind.Ssh);
            await Run("sim", TransportKind.Simulated);
            var real = Normalise(ctx.Lab.SavedConfigJson(), $"{ctx.IqnPrefix}:real", ctx.StorageDir, "real-");
            var simState = PureBoot.Simulation.SimulatedHostState.Load(Path.Combine(ctx.Dir, "sim.json"));
            var sim = Normalise(simState.Saved!, $"{ctx.IqnPrefix}:sim", ctx.StorageDir, "sim-");
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "pureboot-fidelity-real.json"), real);
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "pureboot-fidelity-sim.json"), sim);
            Assert.Equal(real, sim);
        }
        finally { Dump(ctx); }
    }

    /// <summary>Keeps one scenario's objects, renames them to neutral names, and blanks generated fields (WWNs, aliases).</summary>
    static string Normalise(string json, string target, string dir, string prefix)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        // The saved file's lists are in no fixed order (a full dump follows configfs, a merged save appends what a plan
        // touched, a restore at boot reorders): compared sorted, as tests/Integration/lab/rtslib/normalize.py does.
        var sos = root["storage_objects"]!.AsArray().Where(s => s!["dev"]!.GetValue<string>().StartsWith(dir + "/" + prefix)).Select(s => s!.DeepClone())
            .OrderBy(s => s!["name"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        var ts = root["targets"]!.AsArray().Where(t => t!["wwn"]!.GetValue<string>() == target).Select(t => t!.DeepClone()).ToList();
        foreach (var s in sos) s!["wwn"] = "WWN";
        foreach (var t in ts)
        {
            t!["wwn"] = "TARGET";
            foreach (var tpg in t["tpgs"]!.AsArray())
            {
                foreach (var l in tpg!["luns"]!.AsArray()) l!["alias"] = "ALIAS";
                foreach (var a in tpg["node_acls"]!.AsArray()) foreach (var m in a!["mapped_luns"]!.AsArray()) m!["alias"] = "ALIAS";
                SortBy(tpg.AsObject(), "luns", l => l!["index"]!.GetValue<int>().ToString("D6", System.Globalization.CultureInfo.InvariantCulture));
                SortBy(tpg.AsObject(), "node_acls", a => a!["node_wwn"]!.GetValue<string>());
            }
        }
        var text = new JsonObject { ["storage_objects"] = new JsonArray(sos.ToArray()), ["targets"] = new JsonArray(ts.ToArray()) }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        return text.Replace(dir + "/" + prefix, dir + "/X-").Replace("\"" + prefix, "\"X-").Replace(":" + prefix, ":X-").Replace("/" + prefix, "/X-");
    }

    static void SortBy(JsonObject o, string key, Func<JsonNode?, string> by) =>
        o[key] = new JsonArray(o[key]!.AsArray().Select(x => x!.DeepClone()).OrderBy(by, StringComparer.Ordinal).ToArray());
}
