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
public class ReliabilityTests(ITestOutputHelper output)
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

    // The full set on the default executor; a smaller set proves the targetcli executor converges the same way.
    [LabTheory]
    [InlineData(LioExecutorKind.Rtslib, 20)]
    [InlineData(LioExecutorKind.Targetcli, 4)]
    public async Task CrashTrials_FaultsAtRandomPointsOfRealBatches_ConvergeAfterOneSync(LioExecutorKind executor, int defaultTrials)
    {
        var trials = EnvInt("PUREBOOT_RELIABILITY_TRIALS", defaultTrials);
        var seed = EnvInt("PUREBOOT_RELIABILITY_SEED", 20261121);
        output.WriteLine($"crash trials on the {executor} executor: {trials} (PUREBOOT_RELIABILITY_TRIALS), seed {seed} (PUREBOOT_RELIABILITY_SEED)");
        var rng = new Random(seed);
        using var ctx = new RelContext(executor);
        var total = Stopwatch.StartNew();
        var tmpLeftovers = new List<string>();
        try
        {
            var b = ctx.AddBackend("crash");
            int lunSeq = 0, nodeSeq = 0;
            var kinds = new Dictionary<FaultKind, int>();
            var failedOps = 0;
            int createsTried = 0, createsOk = 0, removesOk = 0;
            var everLive = new HashSet<string>();      // LUNs that were Ready/Active after some trial's sync
            for (int t = 1; t <= trials; t++)
            {
                var sw = Stopwatch.StartNew();
                var rows = ctx.Engine.ListLuns();
                var existing = rows.Where(r => r.Status is LunStatus.Ready or LunStatus.Active).ToList();
                var remove = existing.Count >= 6 || (rows.Count > 0 && rng.NextDouble() < 0.35);
                // Create and assign as two batches, or as one (LunCreateRequest.Node: one targetcli run for both).
                var oneBatch = !remove && rng.NextDouble() < 0.5;
                // Host calls: create = snapshot, steps, targetcli; assign = snapshot, targetcli; remove = snapshot, targetcli, steps.
                var calls = remove || oneBatch ? 3 : 5;
                var targetcliCalls = remove ? new[] { 2 } : oneBatch ? new[] { 3 } : new[] { 3, 5 };
                var roll = rng.NextDouble();
                var kind = roll < 0.35 ? FaultKind.Drop : roll < 0.55 ? FaultKind.Die : roll < 0.75 ? FaultKind.KillClient : roll < 0.88 ? FaultKind.MasterExit : FaultKind.StopMaster;
                var timed = kind is FaultKind.KillClient or FaultKind.MasterExit or FaultKind.StopMaster;
                var at = timed && rng.NextDouble() < 0.8 ? targetcliCalls[rng.Next(targetcliCalls.Length)] : rng.Next(1, calls + 1);
                var plan = new FaultPlan(kind, at, rng.Next(2) == 1, TimeSpan.FromMilliseconds(rng.Next(150, 2500)));
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;

                string work = "", result;
                ctx.Faults.Arm(plan);
                try
                {
                    if (remove)
                    {
                        var victims = rows.OrderBy(_ => rng.Next()).Take(rng.Next(1, 3)).Select(r => r.Name).ToList();
                        work = $"remove {string.Join(",", victims)}";
                        var res = await ctx.Engine.RemoveLunsAsync(victims.Select(v => new LunRemoveRequest(v, Force: true)).ToList());
                        removesOk += res.Count(o => o.Succeeded);
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
                        work = $"create+assign {(oneBatch ? "in one batch" : "in two batches")} {string.Join(",", assigns.Select(a => $"{a.Lun}->{a.Node}"))}";
                        createsTried += reqs.Count;
                        if (oneBatch) reqs = reqs.Select((r, i) => r with { Node = assigns[i].Node }).ToList();
                        var created = await ctx.Engine.CreateLunsAsync(reqs);
                        createsOk += created.Count(o => o.Succeeded);
                        var ready = oneBatch ? new() : assigns.Where(a => created.Any(o => o.Name == a.Lun && o.Succeeded)).ToList();
                        var assigned = ready.Count > 0 ? await ctx.Engine.AssignLunsAsync(ready) : Array.Empty<LunOutcome>();
                        result = string.Join("; ", created.Concat(assigned).Select(o => o.ToString()));
                    }
                }
                catch (ProcessDiedException e) { result = "process died: " + e.Message; }
                await ctx.Faults.SettleAsync();
                var opTime = sw.Elapsed;
                var fired = ctx.Faults.Fired ?? "did not fire (the operation ended first)";
                if (result.Contains("HostUnavailable") || result.StartsWith("process died")) failedOps++;
                List<string> callLog; lock (ctx.Faults.CallLog) callLog = ctx.Faults.CallLog.ToList();

                // A new process: ONE sync, then every invariant.
                ctx.Restart();
                var sync = await ctx.Engine.SyncTargetAsync(b.Name, new SyncOptions());
                var syncTime = sw.Elapsed - opTime;
                // Every 10th trial (and the last) reads the status again; the others use the drift the sync read back after applying.
                var fullStatus = t % 10 == 0 || t == trials;
                var (problems, vm) = await Convergence.CheckAsync(ctx, ctx.Engine, b, drift: fullStatus ? null : sync.RemainingDrift);
                everLive.UnionWith(ctx.Engine.ListLuns().Where(r => r.Status is LunStatus.Ready or LunStatus.Active).Select(r => r.Name));
                if (vm.TempDirs.Count > 0) tmpLeftovers.Add($"trial {t}: {string.Join(" ", vm.TempDirs)}");
                var line = $"trial {t,2}: {plan} -> {fired}; op {opTime.TotalSeconds:0.0} s, sync {syncTime.TotalSeconds:0.0} s ({sync.Actions.Count} actions: {string.Join(", ", sync.Actions.GroupBy(a => a.Kind).Select(g => $"{g.Count()} {g.Key}"))}), trial {sw.Elapsed.TotalSeconds:0.0} s; rows now {string.Join(" ", ctx.Engine.ListLuns().GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key}"))}";
                output.WriteLine(line);
                output.WriteLine($"          work: {work}");
                output.WriteLine($"          result: {result}");
                output.WriteLine($"          calls: {string.Join(" | ", callLog)}");
                foreach (var a in sync.Actions) output.WriteLine($"          sync: {a.Kind} {a.Object}: {a.Description}");
                Assert.True(problems.Count == 0, $"trial {t} ({plan}, {work}) did not converge after one sync:\n  " + string.Join("\n  ", problems));
            }
            output.WriteLine($"{trials} trials in {total.Elapsed.TotalSeconds:0} s; faults: {string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}"))}; {failedOps} operations cut short; " +
                             $"{createsOk}/{createsTried} LUN creations reported success, {everLive.Count} LUNs were live after a sync; {removesOk} removals reported success");
            // Guard against a vacuous pass (a target that refuses everything converges trivially): interrupted creations are
            // finished by the sync when they reached the target, so a good share of the LUNs must have become live.
            Assert.True(everLive.Count * 3 >= createsTried, $"only {everLive.Count} of {createsTried} LUNs ever became Ready/Active: the target itself is failing, see the results above");
            output.WriteLine(tmpLeftovers.Count == 0 ? "no /tmp/pureboot.* left on the VM" : "PureBoot temp dirs left on the VM: " + string.Join("; ", tmpLeftovers));
            Assert.True(tmpLeftovers.Count == 0, "PureBoot's private temp dirs (targetcli output and log, which hold CHAP secrets) were left on the target: " + string.Join("; ", tmpLeftovers));
            // However the trials ended, PureBoot keeps at most one ssh master per control directory and no stray connection.
            var ssh = SshProcesses.Find(ctx.ControlDir, null);
            output.WriteLine($"ssh processes of PureBoot's control directory after the trials: {ssh.Count}");
            Assert.True(ssh.Count <= 1, "ssh processes left after the trials:\n" + string.Join("\n", ssh.Select(x => x.CommandLine)));
        }
        catch
        {
            Dump(ctx);
            throw;
        }
    }

    /// <summary>
    /// A ControlMaster that dies without cleaning up (SIGKILL, OOM killer, the admin host crashing with the control directory
    /// on disk) leaves its socket behind. PureBoot must recover: sessions keep working, and no ssh connection is leaked.
    /// </summary>
    [LabFact]
    public async Task SshMasterKilledHard_LaterSessionsWork_AndNoSshConnectionLeaks()
    {
        using var ctx = new RelContext();
        try
        {
            ctx.AddBackend("hard");
            await ctx.Engine.GetTargetStatusAsync("hard", includeSessions: false);
            var masters = SshProcesses.Find(ctx.ControlDir, master: true);
            Assert.Single(masters);
            Assert.Equal(1, ctx.Faults.KillMasters(hard: true));
            var handshakes0 = ctx.Shell.Handshakes;
            for (int i = 0; i < 3; i++) await ctx.Engine.GetTargetStatusAsync("hard", includeSessions: false);   // each works
            await Task.Delay(500);
            var left = SshProcesses.Find(ctx.ControlDir, null);
            output.WriteLine($"after SIGKILL of the master and 3 sessions: {ctx.Shell.Handshakes - handshakes0} handshakes, {left.Count} ssh processes for the control directory");
            foreach (var p in left) output.WriteLine($"  {p.Pid}: {p.CommandLine}");
            foreach (var f in Directory.EnumerateFileSystemEntries(ctx.ControlDir)) output.WriteLine($"  control dir entry: {Path.GetFileName(f)}");
            Assert.True(left.Count <= 1, $"{left.Count} ssh processes are left for one control directory (a master may stay; each extra one is a leaked SSH connection to the target)");
            Assert.True(ctx.Shell.Handshakes - handshakes0 <= 1, $"{ctx.Shell.Handshakes - handshakes0} handshakes for 3 sessions: the master was not re-established");
        }
        finally { Dump(ctx, 40); }
    }

    // ================================================================ 2. target-side failures

    /// <summary>The saved config's text, to prove a refused operation changed nothing on the target.</summary>
    static string SavedConfig(RelContext ctx) => ctx.VmOk("cat /etc/rtslib-fb-target/saveconfig.json 2>/dev/null; true");

    [LabFact]
    public async Task FullFilesystem_CloneThatCannotFit_AndLvBiggerThanTheVg_FailCleanly()
    {
        using var ctx = new RelContext();
        try
        {
            var full = $"{ctx.StorageDir}-full";
            var images = $"/var/lib/pureboot/{ctx.Id}-images";
            ctx.VmRestoreLate.Add($"umount '{full}' 2>/dev/null; rmdir '{full}' 2>/dev/null; rm -rf '{images}'; true");
            ctx.VmOk($"set -e; mkdir -p '{full}' '{images}'; mount -t tmpfs -o size=2m,mode=0700 tmpfs '{full}'; head -c 8M /dev/urandom > '{images}/golden.img'");
            var b = ctx.Engine.AddBackend(ctx.Spec("full") with { StoragePath = full, ImageDirectory = images });

            // A clone of 8 MiB of real data into a 2 MiB file system: cp fails with ENOSPC.
            var clone = (await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "clone", Backend = "full", SourceImage = "golden.img" } }))[0];
            output.WriteLine("clone: " + clone);
            Assert.Equal(FailureKind.TargetRejected, clone.Failure);
            Assert.Contains("No space left on device", clone.Error);
            Assert.Contains($"{full}/clone.img", clone.Error);
            var row = ctx.Engine.GetLun("clone");
            Assert.Equal(LunStatus.Error, row.Status);
            Assert.Null(row.BackingPath);                  // nothing left on the target, so nothing recorded
            Assert.Contains("nothing was left on the target", row.ErrorMessage);
            Assert.Equal("", ctx.VmOk($"ls -1A '{full}'").Trim());   // no half copy (.pbtmp) either
            var (problems, _) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
            Assert.True(problems.Count == 0, string.Join("\n", problems));

            // A sparse (thin) 16 MiB LUN on the full 2 MiB tmpfs: PureBoot truncates the file, which allocates nothing, so it is
            // made and exported (thin provisioning: the space runs out only when the node writes). Removing it works as usual.
            var thin = (await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "thin", Backend = "full", SizeBytes = 16L << 20 } }))[0];
            output.WriteLine("sparse LUN on the full file system: " + thin);
            output.WriteLine("df: " + ctx.VmOk($"df -k '{full}' | tail -1").Trim());
            Assert.True(thin.Succeeded, thin.Error);
            (problems, _) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            var gone = (await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("thin") }))[0];
            Assert.True(gone.Succeeded, gone.Error);
            Assert.Equal("", ctx.VmOk($"ls -1A '{full}'").Trim());

            // Block: a logical volume bigger than the volume group.
            var blk = ctx.AddBackend("blk", StorageKind.Block);
            var big = $"{ctx.Id}big";
            var huge = (await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = big, Backend = "blk", SizeBytes = 64L << 30 } }))[0];
            output.WriteLine("LV bigger than the VG: " + huge);
            Assert.Equal(FailureKind.TargetRejected, huge.Failure);
            Assert.Contains("insufficient free space", huge.Error);
            Assert.Contains(ctx.Lab.VolumeGroup, huge.Error);
            Assert.Equal(LunStatus.Error, ctx.Engine.GetLun(big).Status);
            Assert.DoesNotContain(big, ctx.VmOk($"lvs --noheadings -o lv_name {ctx.Lab.VolumeGroup}"));
            (problems, _) = await Convergence.CheckAsync(ctx, ctx.Engine, blk);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally { Dump(ctx, 120); }
    }

    [LabFact]
    public async Task MissingVolumeGroup_IsNamed_AndLeavesNothing()
    {
        using var ctx = new RelContext();
        try
        {
            var vg = $"novg{ctx.Id}";
            var b = ctx.Engine.AddBackend(ctx.Spec("novg", StorageKind.Block) with { StoragePath = vg });
            var test = await ctx.Engine.TestBackendAsync("novg");
            output.WriteLine($"Test-IscsiBackend: storage {test.Storage}: {test.StorageDetail}");
            Assert.False(test.Storage);
            Assert.Contains(vg, test.StorageDetail);
            var before = SavedConfig(ctx);
            var o = (await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = $"{ctx.Id}a", Backend = "novg", SizeBytes = 16L << 20 } }))[0];
            output.WriteLine("create: " + o);
            Assert.Equal(FailureKind.TargetRejected, o.Failure);
            Assert.Contains($"Volume group \"{vg}\" not found", o.Error);
            var row = ctx.Engine.GetLun($"{ctx.Id}a");
            Assert.Equal(LunStatus.Error, row.Status);
            Assert.Null(row.StorageObjectName);
            var (problems, vm) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            var ours = vm.Saved.Targets.Where(t => t.Wwn.StartsWith(ctx.IqnPrefix)).ToList();
            output.WriteLine($"targets of this test in the saved config: {string.Join(", ", ours.Select(t => $"{t.Wwn} ({t.Tpg1?.Luns.Count} LUNs)"))}; changed: {before != vm.SavedJson}");
            Assert.All(ours, t => Assert.Empty(t.Tpg1!.Luns));
        }
        finally { Dump(ctx, 120); }
    }

    [LabFact]
    public async Task TargetcliAbsent_IsRefusedBeforeAnythingIsWritten()
    {
        using var ctx = new RelContext(LioExecutorKind.Targetcli);
        try
        {
            var b = ctx.AddBackend("notc");
            const string restore = "if [ -e /usr/bin/targetcli.pb-hidden ] && [ ! -e /usr/bin/targetcli ]; then mv /usr/bin/targetcli.pb-hidden /usr/bin/targetcli; fi";
            ctx.VmRestore.Add(restore);
            var before = SavedConfig(ctx);
            ctx.VmOk("mv /usr/bin/targetcli /usr/bin/targetcli.pb-hidden");
            try
            {
                var rowsBefore = ctx.Engine.ListLuns().Select(l => $"{l.Name} {l.Status} {l.PendingOperation}").ToList();
                await using (var s = await ctx.Shell.OpenAsync(b))
                {
                    var e = await Assert.ThrowsAsync<PureBoot.Core.Transport.TargetHostException>(() => s.SnapshotAsync(new PureBoot.Core.Transport.SnapshotRequest()));
                    output.WriteLine($"snapshot: {e.Failure}: {e.Message}");
                    Assert.Equal(PureBoot.Core.Transport.TargetHostFailure.TargetcliMissing, e.Failure);
                }
                var create = (await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "after", Backend = "notc", SizeBytes = 16L << 20 } }))[0];
                var test = await ctx.Engine.TestBackendAsync("notc");
                output.WriteLine(create.ToString());
                output.WriteLine($"Test-IscsiBackend: passed {test.Passed}: {test.Error}");
                Assert.Equal(FailureKind.HostUnavailable, create.Failure);
                Assert.Contains("targetcli is not installed", create.Error);
                Assert.Contains(b.Endpoint, create.Error);
                Assert.False(test.Passed);
                Assert.Contains("targetcli is not installed", test.Error);
                // Pre-check: nothing written (no row for "after") and nothing changed on the target.
                Assert.Equal(rowsBefore, ctx.Engine.ListLuns().Select(l => $"{l.Name} {l.Status} {l.PendingOperation}").ToList());
                Assert.Equal(before, SavedConfig(ctx));
            }
            finally { ctx.VmOk(restore); }
            var (problems, _) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally { Dump(ctx, 120); }
    }

    [LabFact]
    public async Task TargetcliAbsent_TheRtslibExecutorDoesNotNeedIt()
    {
        using var ctx = new RelContext(LioExecutorKind.Rtslib);
        try
        {
            var b = ctx.AddBackend("notc");
            const string restore = "if [ -e /usr/bin/targetcli.pb-hidden ] && [ ! -e /usr/bin/targetcli ]; then mv /usr/bin/targetcli.pb-hidden /usr/bin/targetcli; fi";
            ctx.VmRestore.Add(restore);
            ctx.VmOk("mv /usr/bin/targetcli /usr/bin/targetcli.pb-hidden");
            try
            {
                var create = (await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "after", Backend = "notc", SizeBytes = 16L << 20 } }))[0];
                var test = await ctx.Engine.TestBackendAsync("notc");
                output.WriteLine($"{create}; Test-IscsiBackend: passed {test.Passed}: {test.Error}");
                Assert.True(create.Succeeded, create.Error);
                Assert.True(test.Passed, test.Error);
                Assert.Null(test.DBus);   // not needed: targetcli is never started
            }
            finally { ctx.VmOk(restore); }
            var (problems, _) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally { Dump(ctx, 120); }
    }

    [LabFact]
    public async Task DbusStopped_IsNamed_RowsAreMarked_AndOneSyncConvergesOnceItIsBack()
    {
        // Only targetcli needs D-Bus: this is the Targetcli executor's failure (TargetcliAbsent_TheRtslibExecutorDoesNotNeedIt covers rtslib).
        using var ctx = new RelContext(LioExecutorKind.Targetcli);
        try
        {
            var b = ctx.AddBackend("dbus");
            ctx.Engine.AddNode("n1", "52:54:00:7d:01:01", ctx.InitiatorIqn("n1"));
            Assert.True((await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "ready", Backend = "dbus", SizeBytes = 16L << 20 } }))[0].Succeeded);
            const string restore = "systemctl start dbus.socket dbus.service; systemctl is-active --quiet dbus";
            ctx.VmRestore.Add(restore);
            ctx.VmOk("systemctl stop dbus.socket dbus.service");
            IReadOnlyList<LunOutcome> create, assign;
            try
            {
                await using (var s = await ctx.Shell.OpenAsync(b))
                {
                    // The state and sessions come from configfs (no D-Bus needed); a targetcli start is what fails.
                    Assert.NotNull((await s.SnapshotAsync(new PureBoot.Core.Transport.SnapshotRequest(IncludeSessions: true))).Live);
                    var e = await Assert.ThrowsAsync<PureBoot.Core.Transport.TargetHostException>(() => s.ProbeTargetcliAsync());
                    output.WriteLine($"targetcli start: {e.Failure}: {e.Message}");
                    Assert.Equal(PureBoot.Core.Transport.TargetHostFailure.DbusUnavailable, e.Failure);
                }
                var test = await ctx.Engine.TestBackendAsync("dbus");
                output.WriteLine($"Test-IscsiBackend: DBus {test.DBus}: {test.Error}");
                Assert.False(test.DBus);
                Assert.Contains("D-Bus", test.Error);
                create = await ctx.Engine.CreateLunsAsync(new[] { "c1", "c2" }.Select(n => new LunCreateRequest { Name = n, Backend = "dbus", SizeBytes = 16L << 20 }).ToList());
                assign = await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("ready", "n1") });
                foreach (var o in create.Concat(assign))
                {
                    output.WriteLine(o + $" -> row {o.Lun?.Status} pending {o.Lun?.PendingOperation}");
                    Assert.Equal(FailureKind.HostUnavailable, o.Failure);
                    Assert.Contains("D-Bus", o.Error);
                    Assert.Contains("start dbus", o.Error);
                }
                // The rows say what happened and that a sync is due; the status shows them as in flight, nothing else.
                foreach (var n in new[] { "c1", "c2", "ready" })
                {
                    var row = ctx.Engine.GetLun(n);
                    output.WriteLine($"row {n}: {row.Status}, pending {row.PendingOperation}: {row.ErrorMessage}");
                    Assert.True(row.Status is LunStatus.Error or LunStatus.Creating, $"{n} is {row.Status}");
                    Assert.Contains("D-Bus", row.ErrorMessage);
                    Assert.Contains("Sync-IscsiTarget", row.ErrorMessage);
                }
            }
            finally { ctx.VmOk(restore); }
            var sync = await ctx.Engine.SyncTargetAsync("dbus", new SyncOptions());
            foreach (var a in sync.Actions) output.WriteLine($"sync: {a.Kind} {a.Object}: {a.Description}");
            var (problems, _) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            Assert.Equal(LunStatus.Active, ctx.Engine.GetLun("ready").Status);        // the assign is finished by the sync
        }
        finally { Dump(ctx, 120); }
    }

    [LabFact]
    public async Task SudoRefused_IsNamed_AndNothingIsWritten()
    {
        using var ctx = new RelContext();
        try
        {
            var b = ctx.AddBackend("sudo", asSudoUser: true);
            const string hidden = "/root/pbadmin.sudoers.pb-hidden";
            var restore = $"if [ -e {hidden} ]; then mv {hidden} /etc/sudoers.d/pbadmin && chmod 0440 /etc/sudoers.d/pbadmin; fi";
            ctx.VmRestore.Add(restore);
            var before = SavedConfig(ctx);
            ctx.VmOk($"mv /etc/sudoers.d/pbadmin {hidden}");
            try
            {
                var e = await Assert.ThrowsAsync<PureBoot.Core.Transport.TargetHostException>(() => ctx.Shell.OpenAsync(b));
                output.WriteLine($"open: {e.Failure}: {e.Message}");
                Assert.Equal(PureBoot.Core.Transport.TargetHostFailure.SudoRefused, e.Failure);
                Assert.Contains(b.Endpoint, e.Message);
                var test = await ctx.Engine.TestBackendAsync("sudo");
                output.WriteLine($"Test-IscsiBackend: sudo {test.Sudo}: {test.Error}");
                Assert.False(test.Sudo);
                var o = (await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "s1", Backend = "sudo", SizeBytes = 16L << 20 } }))[0];
                output.WriteLine("create: " + o);
                Assert.Equal(FailureKind.HostUnavailable, o.Failure);
                Assert.Contains("sudo was refused", o.Error);
                Assert.Contains(b.Endpoint, o.Error);
                Assert.Empty(ctx.Engine.ListLuns());
                Assert.Equal(before, SavedConfig(ctx));
            }
            finally { ctx.VmOk(restore); }
            // Restored: the same backend works again (its storage directory does not exist yet: nothing was ever created).
            var again = await ctx.Engine.TestBackendAsync("sudo");
            Assert.True(again.Sudo == true && again.Configfs && again.DBus != false && again.Error is null, again.Error);
        }
        finally { Dump(ctx, 120); }
    }

    // ================================================================ 3. concurrency

    [LabFact]
    public async Task FourProcesses_OneInventory_OneBackend_HundredUsableLuns()
    {
        const int workers = 4, perWorker = 25, nodesPerWorker = 5;
        using var ctx = new RelContext();
        try
        {
            var b = ctx.AddBackend("conc");
            var dll = BuildWorker();
            var startAt = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds();
            var key = Convert.ToBase64String(ctx.Key);
            var procs = new List<(Process P, Task<string> Out, Task<string> Err)>();
            var sw = Stopwatch.StartNew();
            for (int w = 0; w < workers; w++)
            {
                var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { dll, "--db", ctx.DbPath, "--backend", "conc", "--prefix", $"w{w}", "--count", $"{perWorker}", "--nodes", $"{nodesPerWorker}",
                             "--size", $"{16L << 20}", "--mac-byte", $"{0x70 + w:x2}", "--control-dir", ctx.ControlDir, "--start-at", $"{startAt}" })
                    psi.ArgumentList.Add(a);
                psi.Environment["PUREBOOT_SECRET_KEY"] = key;
                psi.Environment.Remove("PUREBOOT_DB");
                var p = Process.Start(psi)!;
                procs.Add((p, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync()));
            }
            var all = Task.WhenAll(procs.Select(x => x.P.WaitForExitAsync()));
            if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromMinutes(25))) != all)
            {
                foreach (var x in procs) try { x.P.Kill(true); } catch { }
                Assert.Fail("the workers did not finish within 25 minutes");
            }
            var elapsed = sw.Elapsed;
            var texts = new List<string>();
            for (int w = 0; w < workers; w++)
            {
                var (p, o, e) = procs[w];
                var text = await o + await e;
                texts.Add(text);
                output.WriteLine($"---- worker w{w}: exit {p.ExitCode}");
                foreach (var l in text.Split('\n').Where(l => l.Contains("@@RESULT") || l.Contains("create:") || l.Contains("assign:") || l.Contains("started") || l.Contains("lock held") || l.Contains("Exception"))) output.WriteLine(l);
            }
            output.WriteLine($"{workers} workers x {perWorker} LUNs: {elapsed.TotalSeconds:0} s wall clock");
            for (int w = 0; w < workers; w++) Assert.True(procs[w].P.ExitCode == 0, $"worker w{w} exited {procs[w].P.ExitCode}:\n{texts[w]}");
            Assert.All(texts, t => Assert.DoesNotContain("database is locked", t, StringComparison.OrdinalIgnoreCase));
            Assert.All(texts, t => Assert.DoesNotContain("SQLITE_BUSY", t, StringComparison.OrdinalIgnoreCase));

            var rows = ctx.Engine.ListLuns();
            Assert.Equal(workers * perWorker, rows.Count);
            Assert.All(rows, r => Assert.Equal(LunStatus.Active, r.Status));
            Assert.Equal(rows.Count, rows.Select(r => r.TpgLunIndex).Distinct().Count());
            Assert.Equal(rows.Count, rows.Select(r => r.StorageObjectName).Distinct().Count());
            var (problems, vm) = await Convergence.CheckAsync(ctx, ctx.Engine, b, readThroughInitiator: false);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            Assert.Equal(workers * perWorker, vm.Saved.FindTarget(b.SharedTargetIqn)!.Tpg1!.Luns.Count);
            Assert.Equal(workers * perWorker, vm.Storage.Count);
            // Every LUN usable: its node's initiator logs in with its CHAP and reads the right capacity.
            var reads = Stopwatch.StartNew();
            var bad = new System.Collections.Concurrent.ConcurrentBag<string>();
            await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (r, _) =>
            {
                await Task.Yield();
                var c = ctx.Engine.GetChapCredential(r.Name);
                var cap = Initiator.CapacityBytes(ctx.Lab, r.InitiatorIqn!, r.TargetIqn!, r.MappedLunIndex!.Value, c.User, c.RevealSecret());
                if (cap != r.SizeBytes) bad.Add($"{r.Name} ({r.NodeName} mapped_lun{r.MappedLunIndex}): read {cap?.ToString() ?? "nothing"}");
            });
            output.WriteLine($"{rows.Count} LUNs read through their nodes' initiators in {reads.Elapsed.TotalSeconds:0} s");
            Assert.True(bad.IsEmpty, string.Join("\n", bad));
            var strays = SshProcesses.Find(ctx.ControlDir, null);
            output.WriteLine($"ssh processes left for the shared control directory: {strays.Count}");
            foreach (var s in strays) output.WriteLine($"  {s.Pid}: {s.CommandLine}");
            Assert.True(strays.Count(s => s.CommandLine.Contains("ControlMaster=yes")) <= 1,
                "more than one ssh master was left running for one control directory (concurrent processes each started one):\n" + string.Join("\n", strays.Select(s => s.CommandLine)));
        }
        finally { Dump(ctx, 60); }
    }

    /// <summary>Builds tests/Integration/tools/ReliabilityWorker (not in PureBoot.sln) out of the source tree; returns its dll.</summary>
    string BuildWorker()
    {
        var proj = Path.Combine(Lab.RepoRoot, "tests", "Integration", "tools", "ReliabilityWorker", "ReliabilityWorker.csproj");
        var artifacts = Path.Combine(Path.GetTempPath(), "pureboot-integration-tools");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "build", proj, "-nologo", "-v", "quiet", "-nodeReuse:false", "-p:UseSharedCompilation=false", $"-p:ArtifactsPath={artifacts}" })
            psi.ArgumentList.Add(a);
        foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(k);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"building {proj} failed:\n{o}{err.Result}");
        var dll = Path.Combine(artifacts, "bin", "ReliabilityWorker", "debug", "ReliabilityWorker.dll");
        Assert.True(File.Exists(dll), $"{dll} not found after the build");
        output.WriteLine($"built {dll} in {sw.Elapsed.TotalSeconds:0.0} s");
        return dll;
    }

    // ================================================================ 4. power loss

    [LabFact]
    public async Task PowerLossRightAfterABatch_EveryReadyAndActiveLunComesBack_AndNodesLogInAgain()
    {
        using var ctx = new RelContext();
        try
        {
            var b = ctx.AddBackend("power");
            var nodes = new[] { "p1", "p2", "p3" }.Select((n, i) => ctx.Engine.AddNode(n, $"52:54:00:7c:00:{i + 1:x2}", ctx.InitiatorIqn(n))).ToList();
            // Earlier work: p1 exists, is assigned, and holds data (flushed by the initiator).
            Assert.True((await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "p1", Backend = "power", SizeBytes = 32L << 20 } }))[0].Succeeded);
            Assert.True((await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("p1", "p1") }))[0].Succeeded);
            var c1 = ctx.Engine.GetChapCredential("p1");
            var w = DataPath.QemuIo(ctx.Lab, nodes[0].InitiatorIqn, b.SharedTargetIqn, 0, c1.User, c1.RevealSecret(), "write -P 0x5a 0 65536");
            Assert.True(w.Ok, w.Out);
            // The batch: create three, assign two; the power goes the moment it has returned.
            var created = await ctx.Engine.CreateLunsAsync(new[]
            {
                new LunCreateRequest { Name = "p2", Backend = "power", SizeBytes = 16L << 20, MutualChap = true },
                new LunCreateRequest { Name = "p3", Backend = "power", SizeBytes = 24L << 20 },
                new LunCreateRequest { Name = "idle", Backend = "power", SizeBytes = 16L << 20 },
            });
            Assert.All(created, o => Assert.True(o.Succeeded, o.Error));
            var assigned = await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("p2", "p2"), new LunAssignRequest("p3", "p3") });
            Assert.All(assigned, o => Assert.True(o.Succeeded, o.Error));
            var returned = Stopwatch.StartNew();
            var resetAfterMs = -1L;

            // Power cut: system_reset on the qemu monitor, no shutdown, unsynced guest writes lost.
            var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(Path.Combine(Lab.RepoRoot, "tests", "Integration", "lab", "reset-vm.sh"));
            psi.Environment["PUREBOOT_LAB_DIR"] = ctx.Lab.StateDir;
            resetAfterMs = returned.ElapsedMilliseconds;
            using (var p = Process.Start(psi)!)
            {
                var err = p.StandardError.ReadToEndAsync();
                var o = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                output.WriteLine($"reset-vm.sh started {resetAfterMs} ms after the batch returned; back after {returned.Elapsed.TotalSeconds:0} s: exit {p.ExitCode}, {(await err).Trim().Replace('\n', ' ')}{o}");
                Assert.Equal(0, p.ExitCode);
            }
            ctx.ResetPlumbing();
            // The admin's engine (and its ssh master) lived through the target's power cut; the first call may meet the dead master.
            TargetStatusReport status;
            try { status = await ctx.Engine.GetTargetStatusAsync("power"); }
            catch (PureBoot.Core.Transport.TargetHostException e)
            {
                output.WriteLine($"first status after the reset, through the old ssh master: {e.Failure}: {e.Message}");
                status = await ctx.Engine.GetTargetStatusAsync("power");
            }
            var lost = status.Drift.ToList();
            foreach (var d in lost) output.WriteLine($"drift after the power cut: {d.Kind} {d.Object}: {d.Detail}");
            output.WriteLine($"exported {status.Luns.Count(l => l.Exported)}/4, mapped {status.Luns.Count(l => l.Mapped)}/3 right after the reset");
            if (lost.Count > 0)
            {
                // What an admin would do: one Sync-IscsiTarget puts back what the inventory records.
                var sync = await ctx.Engine.SyncTargetAsync("power", new SyncOptions());
                foreach (var a in sync.Actions) output.WriteLine($"sync: {a.Kind} {a.Object}: {a.Description}");
            }
            var (problems, _) = await Convergence.CheckAsync(ctx, ctx.Engine, b);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            var r = DataPath.QemuIo(ctx.Lab, nodes[0].InitiatorIqn, b.SharedTargetIqn, 0, c1.User, c1.RevealSecret(), "read -P 0x5a 0 65536");
            Assert.True(r.Ok, "data written before the power cut: " + r.Out);
            Assert.True(lost.Count == 0,
                $"the batch had returned success {resetAfterMs} ms before the power cut, but the target came back without: " +
                string.Join("; ", lost.Select(d => $"{d.Lun}: {d.Detail}")) + " (one Sync-IscsiTarget repaired it)");
        }
        finally { Dump(ctx, 120); }
    }

    // ================================================================ 5. host keys

    [LabFact]
    public async Task HostKeys_StrictRefusesAnUnknownKey_AcceptNewLearnsIt_AChangedKeyIsRefusedByBoth()
    {
        using var ctx = new RelContext();
        try
        {
            var labKey = File.ReadAllText(ctx.Lab.KnownHosts).Trim();
            output.WriteLine("lab known_hosts: " + labKey);
            int n = 0;
            async Task<(PureBoot.Core.Transport.TargetHostException? Error, int Handshakes)> Try(string name, PureBoot.Core.Model.HostKeyPolicy policy, string knownHosts)
            {
                ctx.Engine.AddBackend(ctx.Spec(name) with { HostKeyPolicy = policy, KnownHostsFile = knownHosts });
                var b = ctx.Engine.GetBackend(name);
                // Its own control directory: no master of another attempt may carry this one.
                var conn = new PureBoot.Core.Transport.Shell.ShellTargetHostConnector(new PureBoot.Core.Transport.Shell.ShellOptions { ControlDirectory = Path.Combine(ctx.Dir, $"k{++n}") });
                try
                {
                    await using var s = await conn.OpenAsync(b);
                    await s.SnapshotAsync(new PureBoot.Core.Transport.SnapshotRequest(IncludeStorage: false));
                    return (null, conn.Handshakes);
                }
                catch (PureBoot.Core.Transport.TargetHostException e) { return (e, conn.Handshakes); }
                finally { try { await conn.CloseMasterAsync(b); } catch { } }
            }

            var empty = Path.Combine(ctx.Dir, "known_hosts.empty");
            File.WriteAllText(empty, "");
            var (strict, _) = await Try("strict", PureBoot.Core.Model.HostKeyPolicy.Strict, empty);
            output.WriteLine($"Strict, empty known_hosts: {strict?.Failure}: {strict?.Message}");
            Assert.NotNull(strict);
            Assert.Equal(PureBoot.Core.Transport.TargetHostFailure.HostKeyRejected, strict!.Failure);
            Assert.Contains($"{ctx.Lab.Host}:{ctx.Lab.SshPort}", strict.Message);
            Assert.Contains("'strict'", strict.Message);
            Assert.Equal("", File.ReadAllText(empty));

            var learn = Path.Combine(ctx.Dir, "known_hosts.learn");
            File.WriteAllText(learn, "");
            var (accept, hs) = await Try("acceptnew", PureBoot.Core.Model.HostKeyPolicy.AcceptNew, learn);
            Assert.True(accept is null, accept?.Message);
            Assert.Equal(1, hs);
            var learned = File.ReadAllText(learn).Trim();
            output.WriteLine($"AcceptNew, empty known_hosts: connected; file now: {learned}");
            // (the admin host's ssh_config may hash known_hosts entries: look the host up with ssh-keygen -F)
            var lookup = Lab.RunHost("ssh-keygen", "-F", $"[{ctx.Lab.Host}]:{ctx.Lab.SshPort}", "-f", learn);
            Assert.True(lookup.Code == 0, $"[{ctx.Lab.Host}]:{ctx.Lab.SshPort} is not in {learn}: {lookup.Out}");
            Assert.Contains(labKey.Split(' ')[2], learned);       // the VM's real key
            var (strictAfter, _) = await Try("strictafter", PureBoot.Core.Model.HostKeyPolicy.Strict, learn);
            Assert.True(strictAfter is null, strictAfter?.Message);

            // A Strict backend with an EMPTY known_hosts must not ride on a live master that another backend (AcceptNew, its own
            // known_hosts) opened to the same host, port and user: the master's socket is named by PureBoot from the user, host,
            // port, identity, known_hosts and policy (it was ssh's %C once, and such a backend connected unchecked).
            {
                var shared = new PureBoot.Core.Transport.Shell.ShellTargetHostConnector(new PureBoot.Core.Transport.Shell.ShellOptions { ControlDirectory = Path.Combine(ctx.Dir, "shared") });
                var opener = ctx.Engine.GetBackend("acceptnew");
                await using (var s0 = await shared.OpenAsync(opener)) { }
                ctx.Engine.AddBackend(ctx.Spec("strictshared") with { HostKeyPolicy = PureBoot.Core.Model.HostKeyPolicy.Strict, KnownHostsFile = empty });
                PureBoot.Core.Transport.TargetHostException? sharedError = null;
                try { await using var s1 = await shared.OpenAsync(ctx.Engine.GetBackend("strictshared")); }
                catch (PureBoot.Core.Transport.TargetHostException e) { sharedError = e; }
                output.WriteLine($"Strict + empty known_hosts while another backend's master to the same host is up: {(sharedError is null ? "connected through that master" : $"refused: {sharedError.Failure}")}");
                await shared.CloseMasterAsync(opener);
                Assert.Equal(PureBoot.Core.Transport.TargetHostFailure.HostKeyRejected, sharedError?.Failure);
            }

            // A changed key (another ed25519 key recorded for the host) is refused under both policies.
            var other = Path.Combine(ctx.Dir, "other_key");
            Assert.Equal(0, Lab.RunHost("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).Code);
            var wrong = Path.Combine(ctx.Dir, "known_hosts.wrong");
            File.WriteAllText(wrong, $"[{ctx.Lab.Host}]:{ctx.Lab.SshPort} {string.Join(' ', File.ReadAllText(other + ".pub").Split(' ').Take(2))}\n");
            foreach (var (name, policy) in new[] { ("changedstrict", PureBoot.Core.Model.HostKeyPolicy.Strict), ("changedaccept", PureBoot.Core.Model.HostKeyPolicy.AcceptNew) })
            {
                var (e, _) = await Try(name, policy, wrong);
                output.WriteLine($"{policy}, changed key: {e?.Failure}: {e?.Message}");
                Assert.NotNull(e);
                Assert.Equal(PureBoot.Core.Transport.TargetHostFailure.HostKeyRejected, e!.Failure);
                Assert.Contains($"{ctx.Lab.Host}:{ctx.Lab.SshPort}", e.Message);
            }
        }
        finally { Dump(ctx, 60); }
    }

    // ================================================================ 6. hostile input on the real transport

    [LabFact]
    public async Task HostileInput_OnAnSshBackend_SendsNothing_WritesNothing()
    {
        using var ctx = new RelContext();
        try
        {
            var b = ctx.AddBackend("hostile");
            ctx.Engine.AddNode("web01", "52:54:00:7b:00:01", ctx.InitiatorIqn("web01"));
            Assert.True((await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "ok1", Backend = "hostile", SizeBytes = 16L << 20 } }))[0].Succeeded);

            // A fresh process: new connector, new (empty) control directory, so any connection would be a handshake.
            var controlDir = Path.Combine(ctx.Dir, "h");
            var shell = new PureBoot.Core.Transport.Shell.ShellTargetHostConnector(new PureBoot.Core.Transport.Shell.ShellOptions { ControlDirectory = controlDir, Log = ctx.Say });
            var counting = new FaultyConnector(shell, controlDir);
            using var engine = ctx.OpenEngine(counting);
            var savedBefore = ctx.VmOk("sha256sum /etc/rtslib-fb-target/saveconfig.json; ls -la --time-style=full-iso /etc/rtslib-fb-target/saveconfig.json");
            var countsBefore = Counts(ctx.DbPath);
            var cases = HostileInputTable.Build(b, ctx.Lab.KnownHosts, ctx.Lab.RootKey);
            output.WriteLine($"{cases.Count} hostile inputs");
            Assert.True(cases.Count >= 40);
            var sw = Stopwatch.StartNew();
            var failures = new List<string>();
            foreach (var c in cases)
            {
                var (opens0, handshakes0) = (counting.Opens, shell.Handshakes);
                string message;
                try
                {
                    var result = await c.Act(engine);
                    if (result is not LunOutcome o) { failures.Add($"{c.What}: accepted ({result})"); continue; }
                    if (o.Failure != FailureKind.InvalidArgument) { failures.Add($"{c.What}: {o}"); continue; }
                    message = o.Error!;
                }
                catch (PureBoot.Core.Validation.ValidationException e)
                {
                    if (e.ParamName != c.Parameter) failures.Add($"{c.What}: parameter {e.ParamName}, expected {c.Parameter}");
                    message = e.Message;
                }
                catch (Exception e) { failures.Add($"{c.What}: {e.GetType().Name}: {e.Message} (after {counting.Opens - opens0} session opens)"); continue; }
                if (!message.Replace("'SizeGB'", "'SizeBytes'").Contains($"'{c.Parameter}'")) failures.Add($"{c.What}: message does not name '{c.Parameter}': {message}");
                if (message.Contains('\n') || message.Contains('\r')) failures.Add($"{c.What}: multi-line message");
                if (counting.Opens != opens0 || shell.Handshakes != handshakes0) failures.Add($"{c.What}: a session was opened ({counting.Opens - opens0} opens, {shell.Handshakes - handshakes0} handshakes)");
                output.WriteLine($"  {c.What,-48} -> {message}");
            }
            output.WriteLine($"{cases.Count} inputs tried in {sw.ElapsedMilliseconds} ms: {cases.Count - failures.Count} refused before anything was sent or written, {failures.Count} not");
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            Assert.Equal(0, counting.Opens);
            Assert.Equal(0, shell.Handshakes);
            Assert.Empty(SshProcesses.Find(controlDir, null));
            Assert.False(Directory.Exists(controlDir) && Directory.EnumerateFileSystemEntries(controlDir).Any(), "an ssh control socket was created");
            Assert.Equal(countsBefore, Counts(ctx.DbPath));
            Assert.Equal(savedBefore, ctx.VmOk("sha256sum /etc/rtslib-fb-target/saveconfig.json; ls -la --time-style=full-iso /etc/rtslib-fb-target/saveconfig.json"));
            Assert.Equal("absent", ctx.VmOk("test -e /tmp/pwned && echo present || echo absent").Trim());
        }
        finally { Dump(ctx, 60); }
    }

    static (long Luns, long Nodes, long Backends, long Audit) Counts(string db)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        long Q(string t) { using var cmd = c.CreateCommand(); cmd.CommandText = $"SELECT count(*) FROM {t}"; return (long)cmd.ExecuteScalar()!; }
        return (Q("luns"), Q("nodes"), Q("backends"), Q("audit"));
    }

    // ================================================================ 7. secrets on the real path

    [LabFact]
    public async Task ChapSecrets_OnTheRealPath_StayOutOfInventoryLogsAuditErrorsAndTargetTempFiles()
    {
        using var ctx = new RelContext();
        try
        {
            var b = ctx.AddBackend("sec");
            foreach (var (n, i) in new[] { "a", "b", "c" }.Select((n, i) => (n, i))) ctx.Engine.AddNode(n, $"52:54:00:7a:00:{i + 1:x2}", ctx.InitiatorIqn(n));
            const string given = "PbGiven.Secret7", givenMutual = "PbMutual~Secrt9";
            var outcomes = new List<LunOutcome>();
            outcomes.AddRange(await ctx.Engine.CreateLunsAsync(new[]
            {
                new LunCreateRequest { Name = "a", Backend = "sec", SizeBytes = 16L << 20, ChapSecret = given, MutualChap = true, MutualChapSecret = givenMutual },
                new LunCreateRequest { Name = "b", Backend = "sec", SizeBytes = 16L << 20 },
                new LunCreateRequest { Name = "c", Backend = "sec", SizeBytes = 16L << 20, MutualChap = true },
            }));
            outcomes.AddRange(await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a"), new LunAssignRequest("b", "b") }));
            var oldSecrets = new[] { "a", "b" }.SelectMany(n => { var c = ctx.Engine.GetChapCredential(n); return new[] { c.RevealSecret(), c.RevealMutualSecret() }; }).ToList();
            outcomes.Add(await ctx.Engine.UpdateLunAsync("a", null, new ChapChange { Rotate = true }));
            // Error paths: the connection drops right after c's assignment reached targetcli, and after a's status read.
            ctx.Faults.Arm(new FaultPlan(FaultKind.Drop, 2, true, TimeSpan.Zero));
            outcomes.AddRange(await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("c", "c") }));
            ctx.Faults.Arm(new FaultPlan(FaultKind.Drop, 1, true, TimeSpan.Zero));
            var exceptions = new List<string>();
            try { await ctx.Engine.GetTargetStatusAsync("sec"); } catch (Exception e) { exceptions.Add(e.ToString()); }
            await ctx.Faults.SettleAsync();
            var sync = await ctx.Engine.SyncTargetAsync("sec", new SyncOptions());
            var status = await ctx.Engine.GetTargetStatusAsync("sec");
            Assert.Empty(status.Drift);
            Assert.Contains(outcomes, o => o.Failure == FailureKind.HostUnavailable);

            var secrets = new[] { "a", "b", "c" }.SelectMany(n => { var c = ctx.Engine.GetChapCredential(n); return new[] { c.RevealSecret(), c.RevealMutualSecret() }; })
                .Concat(oldSecrets).Append(given).Append(givenMutual).Where(s => s is not null).Select(s => s!).Distinct().ToList();
            output.WriteLine($"{secrets.Count} distinct CHAP secrets in play (current, rotated-away and given)");
            Assert.True(secrets.Count >= 7);

            // Local: the SQLite file and its WAL (before and after a checkpoint), both logs, audit rows, errors, exceptions.
            string DbText() => System.Text.Encoding.Latin1.GetString(new[] { ctx.DbPath, ctx.DbPath + "-wal", ctx.DbPath + "-shm" }
                .Where(File.Exists).SelectMany(f => { using var fs = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); var m = new MemoryStream(); fs.CopyTo(m); return m.ToArray(); }).ToArray());
            var dbBefore = DbText();
            ctx.Engine.Inventory.Checkpoint();
            var dbAfter = DbText();
            string log; lock (ctx.Log) log = string.Join("\n", ctx.Log);
            var audit = string.Join("\n", ctx.Engine.ListAudit().Select(a => a + " " + a.Message));
            var errors = string.Join("\n", outcomes.Select(o => o.Error + " " + string.Join(" ", o.Warnings) + " " + o.Lun?.ErrorMessage))
                         + string.Join("\n", sync.Outcomes.Select(o => o.Error)) + string.Join("\n", exceptions);
            Assert.Contains("(secrets not shown)", log);   // the CHAP changes went out; the log names them without their secrets
            Assert.NotEmpty(exceptions);
            foreach (var s in secrets)
            {
                Assert.DoesNotContain(s, dbBefore);
                Assert.DoesNotContain(s, dbAfter);
                Assert.DoesNotContain(s, log);
                Assert.DoesNotContain(s, audit);
                Assert.DoesNotContain(s, errors);
            }

            // On the VM: no secret in root's targetcli dir or anywhere under /tmp (PureBoot's private HOME was removed).
            var (code, found) = ctx.VmWithInput("grep -rlF -f - /root/.targetcli /tmp 2>/dev/null", string.Join("\n", secrets) + "\n");
            output.WriteLine($"grep for the secrets under /root/.targetcli and /tmp: exit {code} {found.Trim()}");
            Assert.True(code == 1, $"secrets found on the target: {found}");
            Assert.Equal("", ctx.VmOk("ls -1d /tmp/pureboot.* 2>/dev/null; true").Trim());
            // The saved config holds the current ones by design, readable by root only.
            var current = new[] { "a", "b", "c" }.Select(n => ctx.Engine.GetChapCredential(n).RevealSecret()).ToList();
            var (c2, inSaved) = ctx.VmWithInput("grep -oF -f - /etc/rtslib-fb-target/saveconfig.json | wc -l", string.Join("\n", current) + "\n");   // occurrences: the file holds an ACL a line
            Assert.True(c2 == 0 && int.Parse(inSaved.Trim()) >= 3, $"saveconfig.json should hold the current secrets: {inSaved}");
            var modes = ctx.VmOk("stat -c '%a %U %n' /etc/rtslib-fb-target /etc/rtslib-fb-target/saveconfig.json /etc/rtslib-fb-target/backup /etc/rtslib-fb-target/backup/* 2>/dev/null; true");
            output.WriteLine(modes);
            Assert.StartsWith("600 root", modes.Split('\n').First(l => l.EndsWith("saveconfig.json")));
            Assert.All(modes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("/backup/")), l => Assert.StartsWith("600 root", l));
        }
        finally { Dump(ctx, 60); }
    }
}
