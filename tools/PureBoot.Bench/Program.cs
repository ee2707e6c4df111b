// PureBoot benchmark against the lab VM: both executors and the per-step approach, side by side in one run.
//   dotnet run -c Release --project tools/PureBoot.Bench -- [--lab /tmp/pureboot-lab/lab.env] [--sizes 10,100,1000]
//        [--baseline 10] [--status 500] [--remove 100] [--out docs/BENCHMARKS.md]
//   ... -- --lifecycle [--lab ...] [--kinds FileIO,Block] [--nodes 256] [--reset 100] [--executor Rtslib|Targetcli] [--out out/lifecycle-bench.md]
using System.Diagnostics;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

// The disk lifecycle's figures (issue 13): tools/PureBoot.Bench/Lifecycle.cs.
if (args.Contains("--lifecycle")) return await LifecycleBench.RunAsync(args);

var opt = Args.Parse(args);
var lab = LabEnv.Load(opt.Lab);
var notes = new List<string>();
var started = DateTime.UtcNow;
var version = lab.Ssh("dpkg-query -W -f '${Version}' targetcli-fb; echo; dpkg-query -W -f '${Version}' python3-rtslib-fb; echo; uname -r; nproc").Trim().Replace("\n", ", ");
Console.WriteLine($"lab: {lab.Host}:{lab.SshPort} ({version})");
var report = new BenchReport(started, version);

// 1. The N = baseline comparison, back to back so load changes touch all three alike.
var perStep = await PerStep(opt.Baseline);
report.PerStep = (opt.Baseline, perStep);
Console.WriteLine($"per-step approach, N={opt.Baseline}: {perStep:0.0} s");
foreach (var executor in new[] { LioExecutorKind.Rtslib, LioExecutorKind.Targetcli })
{
    var r = await Provision(opt.Baseline, executor, remove: true);
    report.Runs.Add(r);
    Console.WriteLine(r);
}
// 2. Scale on the default executor (N = remove: create and remove measured alike).
foreach (var n in opt.Sizes.Where(n => n != opt.Baseline).OrderBy(n => n))
{
    var r = await Provision(n, LioExecutorKind.Rtslib, remove: n == opt.Remove);
    report.Runs.Add(r);
    Console.WriteLine(r);
}
// 3. Status at scale, sessions included.
foreach (var m in opt.Status)
{
    try
    {
        var s = await StatusRun(m);
        report.Status.Add(s);
        Console.WriteLine(s);
    }
    catch (Exception e) { notes.Add($"Status run with {m} LUNs failed: {e.Message}"); Console.WriteLine(e); }
}
report.Notes.AddRange(notes);
File.WriteAllText(opt.Out, report.Markdown(opt));
Console.WriteLine($"wrote {opt.Out}");
return 0;

async Task<RunResult> Provision(int n, LioExecutorKind executor, bool remove)
{
    using var ctx = new BenchContext(lab, $"{(executor == LioExecutorKind.Rtslib ? "r" : "t")}{n}");
    var be = ctx.AddBackend(executor);
    for (int i = 0; i < n; i++) ctx.Engine.AddNode($"n{i:0000}", $"52:54:00:40:{i / 256:x2}:{i % 256:x2}");
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    // One batch = New-IscsiLun -Assign: LUN, node ACL, CHAP and mapped LUN in one plan.
    var created = await ctx.Engine.CreateLunsAsync(Enumerable.Range(0, n).Select(i => new LunCreateRequest { Name = $"n{i:0000}", SizeBytes = 16L << 20, Backend = be.Name, Node = $"n{i:0000}" }).ToList());
    var total = sw.Elapsed.TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    var ok = created.Count(o => o.Succeeded) == n && ctx.Engine.ListLuns().Count(l => l.Status == LunStatus.Active && l.ChapEnabled) == n;
    foreach (var f in created.Where(o => !o.Succeeded).Take(3)) Console.WriteLine($"  failed: {f}");
    // The create's figures, read before the removal below adds its own to the same counters.
    var t = ctx.Timing;
    var (apply, snapshots, steps, open, starts, sessions, bytes, handshakes) =
        (t.ApplySeconds, t.SnapshotSeconds, t.StepSeconds, t.OpenSeconds, t.TargetcliStarts, t.Sessions, t.BytesSent, ctx.Shell.Handshakes);
    double? removeSeconds = null;
    var sw2 = Stopwatch.StartNew();
    var removed = await ctx.Engine.RemoveLunsAsync(Enumerable.Range(0, n).Select(i => new LunRemoveRequest($"n{i:0000}", Force: true)).ToList());
    if (remove) removeSeconds = sw2.Elapsed.TotalSeconds;
    if (removed.Any(o => !o.Succeeded)) notes.Add($"N={n} ({executor}): {removed.Count(o => !o.Succeeded)} removals failed, e.g. {removed.First(o => !o.Succeeded)}");
    return new RunResult(n, executor, total, apply, snapshots, steps, open, starts, handshakes, sessions, bytes, cpu, removeSeconds, ok);
}

async Task<double> PerStep(int n)
{
    // The design documents' way: one targetcli process per step and a saveconfig after each item. Run inside the
    // VM in one ssh session, so only targetcli's own cost is compared (generous to the per-step approach).
    var id = "ps" + Guid.NewGuid().ToString("N")[..6];
    var dir = $"{lab.LunDir}/{id}";
    var t = $"iqn.2026-01.bench.{id}:t";
    var sb = new System.Text.StringBuilder($"set -e\nexport HOME=$(mktemp -d)\nmkdir -p {dir}\n");
    void Tc(string line) => sb.Append($"targetcli {line} >/dev/null\n");
    Tc($"/iscsi create {t}");
    Tc($"/iscsi/{t}/tpg1 set attribute generate_node_acls=0 authentication=1");
    Tc("saveconfig");
    for (int i = 0; i < n; i++)
    {
        var init = $"iqn.2026-01.bench.{id}:n{i}";
        Tc($"/backstores/fileio create name={id}n{i} file_or_dev={dir}/n{i}.img size=16M sparse=true");
        Tc($"/iscsi/{t}/tpg1/luns create /backstores/fileio/{id}n{i} lun={i} add_mapped_luns=false");
        Tc($"/iscsi/{t}/tpg1/acls create {init} add_mapped_luns=false");
        Tc($"/iscsi/{t}/tpg1/acls/{init} create mapped_lun=0 tpg_lun_or_backstore={i}");
        Tc($"/iscsi/{t}/tpg1/acls/{init} set auth userid=u{i} password=secretsecret{i:00}");
        Tc("saveconfig");
    }
    var sw = Stopwatch.StartNew();
    lab.Ssh(sb.ToString(), stdin: true);
    var secs = sw.Elapsed.TotalSeconds;
    var del = new System.Text.StringBuilder($"export HOME=$(mktemp -d)\ntargetcli <<'EOF' >/dev/null 2>&1\n/iscsi delete {t}\n");
    for (int i = 0; i < n; i++) del.Append($"/backstores/fileio delete {id}n{i}\n");
    del.Append($"saveconfig\nEOF\nrm -rf {dir}\n");
    lab.Ssh(del.ToString(), stdin: true);
    notes.Add($"Per-step approach, N={n}: {3 + 6 * n} targetcli starts, run in one ssh session inside the VM (its ssh cost is not counted).");
    await Task.CompletedTask;
    return secs;
}

async Task<StatusResult> StatusRun(int m)
{
    using var ctx = new BenchContext(lab, $"s{m}");
    var be = ctx.AddBackend(LioExecutorKind.Rtslib);
    // Setup (not measured): rtslib makes M LUNs with ACLs and CHAP directly, then PureBoot imports them.
    var setup = Stopwatch.StartNew();
    lab.Ssh(Setup.Script(be.SharedTargetIqn, ctx.StorageDir, m), stdin: true, timeoutSeconds: 3600);
    var tSetup = setup.Elapsed.TotalSeconds;
    var imp = Stopwatch.StartNew();
    var imported = await ctx.Engine.ImportTargetConfigAsync(be.Name, be.SharedTargetIqn);
    var tImport = imp.Elapsed.TotalSeconds;
    ctx.Timing.Reset();
    var sw = Stopwatch.StartNew();
    var st = await ctx.Engine.GetTargetStatusAsync(be.Name, includeSessions: true);
    var tStatus = sw.Elapsed.TotalSeconds;
    var r = new StatusResult(m, tStatus, st.TargetcliStarts, st.Exchanges, st.Luns.Count, st.Drift.Count, st.Sessions.Count, imported.Luns.Count, tImport, tSetup);
    lab.Ssh(Setup.Cleanup(be.SharedTargetIqn, ctx.StorageDir), stdin: true, timeoutSeconds: 3600);
    return r;
}
