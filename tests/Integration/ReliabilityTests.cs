using System.Diagnostics;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Tests.Integration.Reliability;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Integration;

/// <summary>
/// Reliability on the real lab VM, through Core over real SSH and real targetcli: crash trials, target-side failures,
/// concurrent processes, power loss, host keys, hostile input and secrets. See docs/RELIABILITY.md.
/// </summary>
[Collection("lab")]
public partial class ReliabilityTests(ITestOutputHelper output)
{
    static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    void Dump(RelContext ctx, int tail = 400)
    {
        List<string> lines;
        lock (ctx.Log) lines = ctx.Log.ToList();
        if (lines.Count > tail) output.WriteLine($"... ({lines.Count - tail} earlier log lines not shown)");
        foreach (var l in lines.TakeLast(tail)) output.WriteLine(l);
    }

    // ================================================================ 1. crash trials

    [LabFact]
    public async Task CrashTrials_FaultsAtRandomPointsOfRealBatches_ConvergeAfterOneSync()
    {
        var trials = EnvInt("PUREBOOT_RELIABILITY_TRIALS", 20);
        var seed = EnvInt("PUREBOOT_RELIABILITY_SEED", 20261121);
        output.WriteLine($"crash trials: {trials} (PUREBOOT_RELIABILITY_TRIALS), seed {seed} (PUREBOOT_RELIABILITY_SEED)");
        var rng = new Random(seed);
        using var ctx = new RelContext();
        var total = Stopwatch.StartNew();
        var summary = new List<string>();
        var tmpLeftovers = new List<string>();
        try
        {
            var b = ctx.AddBackend("crash");
            int lunSeq = 0, nodeSeq = 0;
            var kinds = new Dictionary<FaultKind, int>();
            var failedOps = 0;
            for (int t = 1; t <= trials; t++)
            {
                var sw = Stopwatch.StartNew();
                var rows = ctx.Engine.ListLuns();
                var existing = rows.Where(r => r.Status is LunStatus.Ready or LunStatus.Active).ToList();
                var remove = existing.Count >= 6 || (rows.Count > 0 && rng.NextDouble() < 0.35);
                // Host calls per operation: create = snapshot, steps, targetcli; assign = snapshot, targetcli; remove = snapshot, targetcli, steps.
                var calls = remove ? 3 : 5;
                var targetcliCalls = remove ? new[] { 2 } : new[] { 3, 5 };
                var roll = rng.NextDouble();
                var kind = roll < 0.35 ? FaultKind.Drop : roll < 0.55 ? FaultKind.Die : roll < 0.75 ? FaultKind.KillClient : roll < 0.88 ? FaultKind.MasterExit : FaultKind.KillMaster;
                var timed = kind is FaultKind.KillClient or FaultKind.MasterExit or FaultKind.KillMaster;
                var at = timed && rng.NextDouble() < 0.8 ? targetcliCalls[rng.Next(targetcliCalls.Length)] : rng.Next(1, calls + 1);
                var plan = new FaultPlan(kind, at, rng.Next(2) == 1, TimeSpan.FromMilliseconds(rng.Next(150, 2500)));
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;

                string work, result;
                ctx.Faults.Arm(plan);
                try
                {
                    if (remove)
                    {
                        var victims = rows.OrderBy(_ => rng.Next()).Take(rng.Next(1, 3)).Select(r => r.Name).ToList();
                        work = $"remove {string.Join(",", victims)}";
                        var res = await ctx.Engine.RemoveLunsAsync(victims.Select(v => new LunRemoveRequest(v, Force: true)).ToList());
                        result = string.Join("; ", res.Select(o => o.ToString()));
                    }
                    else
                    {
                        var n = rng.Next(2, 4);
                        var reqs = new List<LunCreateRequest>();
                        var assigns = new List<LunAssignRequest>();
                        var idleNodes = ctx.Engine.ListNodes().Where(nd => !rows.Any(r => r.NodeName == nd.Name)).Select(nd => nd.Name).ToList();
                        string? shared = null;
                        for (int i = 0; i < n; i++)
                        {
                            var name = $"c{++lunSeq:000}";
                            reqs.Add(new LunCreateRequest { Name = name, Backend = b.Name, SizeBytes = (16L + 8 * rng.Next(3)) << 20, MutualChap = rng.NextDouble() < 0.25 });
                            string node;
                            if (i > 0 && shared is null && rng.NextDouble() < 0.3) node = shared = assigns[^1].Node;     // two LUNs for one node: one ACL
                            else if (idleNodes.Count > 0 && rng.NextDouble() < 0.5) { node = idleNodes[0]; idleNodes.RemoveAt(0); }
                            else { node = $"n{++nodeSeq:000}"; ctx.Engine.AddNode(node, $"52:54:00:7e:{nodeSeq / 256:x2}:{nodeSeq % 256:x2}", ctx.InitiatorIqn(node)); }
                            assigns.Add(new LunAssignRequest(name, node));
                        }
                        work = $"create+assign {string.Join(",", assigns.Select(a => $"{a.Lun}->{a.Node}"))}";
                        var created = await ctx.Engine.CreateLunsAsync(reqs);
                        var ready = assigns.Where(a => created.Any(o => o.Name == a.Lun && o.Succeeded)).ToList();
                        var assigned = ready.Count > 0 ? await ctx.Engine.AssignLunsAsync(ready) : Array.Empty<LunOutcome>();
                        result = string.Join("; ", created.Concat(assigned).Select(o => o.ToString()));
                    }
                }
                catch (ProcessDiedException e) { work = "(see above)"; result = "process died: " + e.Message; }
                await ctx.Faults.SettleAsync();
                var opTime = sw.Elapsed;
                var fired = ctx.Faults.Fired ?? "did not fire (the operation ended first)";
                if (result.Contains("HostUnavailable") || result.StartsWith("process died")) failedOps++;
                List<string> callLog; lock (ctx.Faults.CallLog) callLog = ctx.Faults.CallLog.ToList();

                // A new process: ONE sync, then every invariant.
                ctx.Restart();
                var sync = await ctx.Engine.SyncTargetAsync(b.Name, new SyncOptions());
                var syncTime = sw.Elapsed - opTime;
                var (problems, vm) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
                if (vm.TempDirs.Count > 0) tmpLeftovers.Add($"trial {t}: {string.Join(" ", vm.TempDirs)}");
                var line = $"trial {t,2}: {plan} -> {fired}; op {opTime.TotalSeconds:0.0} s, sync {syncTime.TotalSeconds:0.0} s ({sync.Actions.Count} actions: {string.Join(", ", sync.Actions.GroupBy(a => a.Kind).Select(g => $"{g.Count()} {g.Key}"))}), trial {sw.Elapsed.TotalSeconds:0.0} s; rows now {string.Join(" ", ctx.Engine.ListLuns().GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key}"))}";
                summary.Add(line);
                output.WriteLine(line);
                output.WriteLine($"          work: {work}");
                output.WriteLine($"          result: {result}");
                output.WriteLine($"          calls: {string.Join(" | ", callLog)}");
                foreach (var a in sync.Actions) output.WriteLine($"          sync: {a.Kind} {a.Object}: {a.Description}");
                Assert.True(problems.Count == 0, $"trial {t} ({plan}, {work}) did not converge after one sync:\n  " + string.Join("\n  ", problems));
            }
            output.WriteLine($"{trials} trials in {total.Elapsed.TotalSeconds:0} s; faults: {string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}"))}; {failedOps} operations cut short");
            output.WriteLine(tmpLeftovers.Count == 0 ? "no /tmp/pureboot.* left on the VM" : "PureBoot temp dirs left on the VM: " + string.Join("; ", tmpLeftovers));
            Assert.True(tmpLeftovers.Count == 0, "PureBoot's private temp dirs (targetcli output and log, which hold CHAP secrets) were left on the target: " + string.Join("; ", tmpLeftovers));
        }
        catch
        {
            Dump(ctx);
            throw;
        }
    }
}
