using System.Text.Json.Nodes;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Integration;

/// <summary>
/// What both executors must show on the real target besides isolation, CHAP, reboot and crashes (LabTests,
/// ReliabilityTests): objects PureBoot did not make are never touched, the rtslib path never starts targetcli, and
/// the file it saves is one targetcli reads.
/// </summary>
[Collection("lab")]
public class ExecutorVerdictTests(ITestOutputHelper output)
{
    void Dump(LabContext ctx) { lock (ctx.Log) foreach (var l in ctx.Log) output.WriteLine(l); }

    [LabTheory]
    [InlineData(LioExecutorKind.Rtslib)]
    [InlineData(LioExecutorKind.Targetcli)]
    public async Task ForeignObjectsAreNeverTouched(LioExecutorKind executor)
    {
        using var ctx = new LabContext(executor);
        var foreignTarget = $"iqn.2026-01.foreign.{ctx.Id}:t";
        var foreignFile = $"/var/lib/pureboot/{ctx.Id}-foreign.img";
        try
        {
            // An administrator's own target and storage object, outside PureBoot's namespace, made with targetcli.
            ctx.Lab.SshOk($"set -e; truncate -s 8M {foreignFile}; HOME=$(mktemp -d) targetcli <<'EOF'\n" +
                          $"/backstores/fileio create name={ctx.Id}foreign file_or_dev={foreignFile}\n" +
                          $"/iscsi create {foreignTarget}\n" +
                          $"/iscsi/{foreignTarget}/tpg1/luns create /backstores/fileio/{ctx.Id}foreign\n" +
                          $"/iscsi/{foreignTarget}/tpg1/acls create iqn.2026-01.foreign.{ctx.Id}:host\n" +
                          "saveconfig\nEOF");
            var before = Foreign(ctx.Lab.SavedConfigJson(), foreignTarget, ctx.Id);
            Assert.Contains(foreignTarget, before);

            ctx.AddBackend("mine");
            ctx.Engine.AddNode("n1", "52:54:00:51:00:01");
            Assert.All(await ctx.Engine.CreateLunsAsync(new[]
            {
                new LunCreateRequest { Name = "n1", SizeBytes = 16L << 20, Backend = "mine", Node = "n1" },
                new LunCreateRequest { Name = "spare", SizeBytes = 16L << 20, Backend = "mine" },
            }), o => Assert.True(o.Succeeded, o.Error));
            Assert.All(await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("spare") }), o => Assert.True(o.Succeeded, o.Error));
            var sync = await ctx.Engine.SyncTargetAsync("mine", new SyncOptions { RemoveOrphans = true, DeleteOrphanData = true });
            foreach (var a in sync.Actions) output.WriteLine($"sync: {a.Kind} {a.Object}: {a.Description}");
            Assert.DoesNotContain(sync.Actions, a => a.Object.Contains(".foreign.") || a.Object.Contains("foreign.img"));
            Assert.All(await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("n1", Force: true) }), o => Assert.True(o.Succeeded, o.Error));

            Assert.Equal(before, Foreign(ctx.Lab.SavedConfigJson(), foreignTarget, ctx.Id));
            Assert.Equal(0, ctx.Lab.Ssh($"test -f {foreignFile}").Code);
        }
        finally
        {
            Dump(ctx);
            ctx.Lab.Ssh($"HOME=$(mktemp -d) targetcli /iscsi delete {foreignTarget} >/dev/null 2>&1; HOME=$(mktemp -d) targetcli /backstores/fileio delete {ctx.Id}foreign >/dev/null 2>&1; " +
                        $"HOME=$(mktemp -d) targetcli saveconfig >/dev/null 2>&1; rm -f {foreignFile}; true");
        }
    }

    /// <summary>The foreign target and storage object as saved, WWNs and aliases included: nothing of them may change.</summary>
    static string Foreign(string json, string target, string id)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var sos = root["storage_objects"]!.AsArray().Where(s => s!["name"]!.GetValue<string>() == id + "foreign").Select(s => s!.ToJsonString());
        var ts = root["targets"]!.AsArray().Where(t => t!["wwn"]!.GetValue<string>() == target).Select(t => t!.ToJsonString());
        return string.Join("\n", sos.Concat(ts));
    }

    [LabFact]
    public async Task TheRtslibPathStartsNoTargetcli_AndSavesAFileTargetcliReads()
    {
        using var ctx = new LabContext(LioExecutorKind.Rtslib);
        try
        {
            var be = ctx.AddBackend("rts", asSudoUser: true);
            ctx.Engine.AddNode("n1", "52:54:00:52:00:01");
            // Count targetcli processes started on the VM while PureBoot works: the shell's audit is the process table,
            // sampled by a watcher that PureBoot's session cannot see.
            ctx.Lab.SshOk("rm -f /tmp/pb-tc-watch; (for i in $(seq 1 600); do pgrep -x targetcli >/dev/null && echo hit >> /tmp/pb-tc-watch; sleep 0.1; done) >/dev/null 2>&1 & echo started");
            var created = await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "n1", SizeBytes = 16L << 20, Backend = "rts", Node = "n1", MutualChap = true } });
            Assert.All(created, o => Assert.True(o.Succeeded, o.Error));
            var status = await ctx.Engine.GetTargetStatusAsync("rts");
            Assert.Empty(status.Drift);
            Assert.Equal(0, status.TargetcliStarts);
            Assert.Equal("", ctx.Lab.Ssh("cat /tmp/pb-tc-watch 2>/dev/null").Out.Trim());
            ctx.Lab.Ssh("pkill -f 'pgrep -x targetcli' ; rm -f /tmp/pb-tc-watch; true");

            // The saved file is private, and targetcli reads it: its view lists the LUN, the ACL and its mapped LUN.
            Assert.Equal("600", ctx.Lab.SshOk("stat -c %a /etc/rtslib-fb-target/saveconfig.json").Trim());
            var ls = ctx.Lab.SshOk($"HOME=$(mktemp -d) targetcli ls /iscsi/{be.SharedTargetIqn}/tpg1 2>&1");
            output.WriteLine(ls);
            Assert.Contains("n1", ls);
            Assert.Contains("mapped_lun0", ls.Replace(" ", ""));
            // targetcli can restore exactly what rtslib saved (what the target service does at boot).
            var restore = ctx.Lab.SshOk("HOME=$(mktemp -d) targetcli restoreconfig /etc/rtslib-fb-target/saveconfig.json clear_existing=true 2>&1; echo rc=$?");
            output.WriteLine(restore);
            Assert.Contains("rc=0", restore);
            Assert.Empty((await ctx.Engine.GetTargetStatusAsync("rts")).Drift);
        }
        finally { Dump(ctx); }
    }

    /// <summary>
    /// rtslib_apply.py saves only what a plan touched, merged into the saved file (a full dump reads ~78 configfs files
    /// per LUN: seconds per plan on a big target). After each of a run of real batches the saved file equals a full dump
    /// of live LIO; a one-change plan says it merged; a change made outside PureBoot and never saved makes the next
    /// save a full one (and the file is right again).
    /// </summary>
    [LabFact]
    public async Task TheMergedSaveEqualsAFullDumpOfLiveLio()
    {
        using var ctx = new LabContext(LioExecutorKind.Rtslib);
        var dir = $"/tmp/pb-merge-{ctx.Id}";
        try
        {
            ctx.Lab.SshOk($"mkdir -p {dir}");
            foreach (var f in new[] { "src/PureBoot.Core/Transport/Shell/rtslib_common.py", "src/PureBoot.Core/Transport/Shell/rtslib_apply.py", "src/PureBoot.Core/Transport/Shell/lio_snapshot.py", "tests/Integration/lab/rtslib/normalize.py" })
                ctx.Lab.SshOk($"echo {Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Lab.RepoRoot, f)))} | base64 -d > {dir}/{Path.GetFileName(f)}");
            string Compare(string when, string file = "/etc/rtslib-fb-target/saveconfig.json")
            {
                var o = ctx.Lab.Ssh($"cd {dir} && python3 -c 'import sys,json; sys.path.insert(0,\".\"); import rtslib_common as c; print(json.dumps(c.dump(c.rts.RTSRoot()), sort_keys=True, indent=2))' > full.json && python3 normalize.py {file} full.json").Out;
                Assert.True(o.StartsWith("identical", StringComparison.Ordinal), $"{when}: the saved file differs from live:\n{o}");
                return o;
            }
            var be = ctx.AddBackend("merge");
            var n1 = ctx.Engine.AddNode("m1", "52:54:00:5a:00:01");
            ctx.Engine.AddNode("m2", "52:54:00:5a:00:02");
            var made = await ctx.Engine.CreateLunsAsync(new[]
            {
                new LunCreateRequest { Name = "m1", SizeBytes = 16L << 20, Backend = "merge", Node = "m1" },
                new LunCreateRequest { Name = "m2", SizeBytes = 16L << 20, Backend = "merge", Node = "m2", MutualChap = true },
                new LunCreateRequest { Name = "m3", SizeBytes = 16L << 20, Backend = "merge" },
            });
            Assert.All(made, o => Assert.True(o.Succeeded, o.Error));
            Compare("after creating three LUNs");
            Assert.All(await ctx.Engine.UnassignLunsAsync(new[] { "m2" }), o => Assert.True(o.Succeeded, o.Error));
            Compare("after unassigning one");
            Assert.All(await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("m3") }), o => Assert.True(o.Succeeded, o.Error));
            Compare("after removing one");

            // A live read focused on one LUN (what a restore or reset does) is the saved file with that LUN's objects
            // read again: equal to a full dump.
            var focus = $"{{\"storage_objects\":[[\"fileio\",\"{made[0].Lun!.StorageObjectName}\"]],\"luns\":[[\"{be.SharedTargetIqn}\",1,{made[0].Lun!.TpgLunIndex}]],\"acls\":[[\"{be.SharedTargetIqn}\",1,\"{n1.InitiatorIqn}\"]]}}";
            var read = ctx.Lab.SshOk($"cd {dir} && python3 lio_snapshot.py fileio '' 1 '{focus}' > snap.json && python3 -c 'import json; d=json.load(open(\"snap.json\")); print(d[\"live_read\"]); json.dump(d[\"live\"], open(\"focused.json\", \"w\"))'");
            Assert.Equal("focused", read.Trim());
            Compare("a focused live read", "focused.json");

            var plan = $"{{\"changes\":[{{\"op\":\"set_node_acl_attributes\",\"target\":\"{be.SharedTargetIqn}\",\"initiator\":\"{n1.InitiatorIqn}\",\"attributes\":{{\"dataout_timeout\":4}}}}]}}";
            var one = ctx.Lab.SshOk($"cd {dir} && echo '{plan}' | python3 rtslib_apply.py");
            Assert.Contains("\"save\": \"merged\"", one);
            Compare("after a one-change plan");
            // Outside PureBoot: a LUN the plan does not touch goes from live, unsaved. The next plan's save sees the
            // shape differ and dumps all.
            ctx.Lab.SshOk($"cd {dir} && python3 -c 'import sys; sys.path.insert(0,\".\"); import rtslib_common as c; r=c.rts; t=r.TPG(r.Target(r.FabricModule(\"iscsi\"),\"{be.SharedTargetIqn}\"),1); r.LUN(t,1).delete()'");
            var next = ctx.Lab.SshOk($"cd {dir} && echo '{plan.Replace(":4}", ":5}")}' | python3 rtslib_apply.py");
            Assert.Contains("\"save\": \"full\"", next);
            Compare("after a drifted plan");
        }
        finally { ctx.Lab.Ssh($"rm -rf {dir}"); Dump(ctx); }
    }
}
