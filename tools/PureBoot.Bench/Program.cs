// PureBoot benchmark against the lab VM: batched provisioning vs the per-step approach, and status at scale.
//   dotnet run -c Release --project tools/PureBoot.Bench -- [--lab /tmp/pureboot-lab/lab.env] [--sizes 10,50,100]
//        [--baseline 10] [--status 100,500] [--out docs/BENCHMARKS.md]
//   ... -- --lifecycle [--lab ...] [--kinds FileIO,Block] [--nodes 256] [--reset 100] [--executor Targetcli] [--out out/lifecycle-bench.md]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;

// The disk lifecycle's figures (issue 13): tools/PureBoot.Bench/Lifecycle.cs.
if (args.Contains("--lifecycle")) return await LifecycleBench.RunAsync(args);

var opt = Args.Parse(args);
var lab = LabEnv.Load(opt.Lab);
var rows = new List<string>();
var notes = new List<string>();
var started = DateTime.UtcNow;
var version = lab.Ssh("dpkg-query -W -f '${Version}' targetcli-fb; echo; uname -r; nproc").Trim().Replace("\n", ", ");
Console.WriteLine($"lab: {lab.Host}:{lab.SshPort} ({version})");

var results = new Dictionary<int, RunResult>();
RunResult? pipelined = null;
double? baseline = null;
// The N = baseline comparison runs back to back (PureBoot one batch, per-step, PureBoot two batches), so load
// changes on the machine touch all three alike; then the larger N.
foreach (var n in opt.Sizes.OrderBy(n => n == opt.Baseline ? 0 : 1).ThenBy(n => n))
{
    var r = await PureBootRun(n, oneBatch: true);
    results[n] = r;
    Console.WriteLine(r);
    if (n == opt.Baseline)
    {
        baseline = await PerStep(opt.Baseline);
        Console.WriteLine($"per-step approach, N={opt.Baseline}: {baseline:0.0} s");
        pipelined = await PureBootRun(opt.Baseline, oneBatch: false);
        Console.WriteLine("two batches: " + pipelined);
    }
}
var status = new List<StatusResult>();
foreach (var m in opt.Status)
{
    try
    {
        var s = await StatusRun(m);
        status.Add(s);
        Console.WriteLine(s);
    }
    catch (Exception e) { notes.Add($"Status run with {m} LUNs failed: {e.Message}"); Console.WriteLine(e); }
}
WriteReport();
return 0;

async Task<RunResult> PureBootRun(int n, bool oneBatch)
{
    using var ctx = new BenchContext(lab, $"b{n}");
    var be = ctx.AddBackend();
    for (int i = 0; i < n; i++) ctx.Engine.AddNode($"n{i:000}", $"52:54:00:40:{i / 256:x2}:{i % 256:x2}");
    var sw = Stopwatch.StartNew();
    // One batch = New-IscsiLun -Assign; two batches = New-IscsiLun | Set-IscsiLunAssignment.
    var created = await ctx.Engine.CreateLunsAsync(Enumerable.Range(0, n).Select(i => new LunCreateRequest { Name = $"n{i:000}", SizeBytes = 16L << 20, Backend = be.Name, Node = oneBatch ? $"n{i:000}" : null }).ToList());
    var tCreate = sw.Elapsed;
    var assigned = oneBatch ? created : await ctx.Engine.AssignLunsAsync(Enumerable.Range(0, n).Select(i => new LunAssignRequest($"n{i:000}", $"n{i:000}")).ToList());
    var total = sw.Elapsed;
    var ok = created.Count(o => o.Succeeded) == n && assigned.Count(o => o.Succeeded) == n
             && ctx.Engine.ListLuns().Count(l => l.Status == LunStatus.Active && l.ChapEnabled) == n;
    foreach (var f in created.Concat(assigned).Where(o => !o.Succeeded).Take(3)) Console.WriteLine($"  failed: {f}");
    var r = new RunResult(n, total.TotalSeconds, tCreate.TotalSeconds, (total - tCreate).TotalSeconds, ctx.Timing.TargetcliSeconds, ctx.Timing.SnapshotSeconds,
        ctx.Timing.StepSeconds, ctx.Timing.OpenSeconds, ctx.Timing.TargetcliStarts, ctx.Shell.Handshakes, ctx.Timing.Sessions, ok);
    var sw2 = Stopwatch.StartNew();
    await ctx.Engine.RemoveLunsAsync(Enumerable.Range(0, n).Select(i => new LunRemoveRequest($"n{i:000}", Force: true)).ToList());
    notes.Add($"N={n}: cleanup (remove {n} assigned LUNs, one batch) took {sw2.Elapsed.TotalSeconds:0.0} s.");
    return r;
}

async Task<double> PerStep(int n)
{
    // The design documents' way: one targetcli process per step and a saveconfig after each item. Run inside the
    // VM in one ssh session, so only targetcli's own cost is compared (generous to the per-step approach).
    var id = "ps" + Guid.NewGuid().ToString("N")[..6];
    var dir = $"{lab.LunDir}/{id}";
    var t = $"iqn.2026-01.bench.{id}:t";
    var sb = new StringBuilder($"set -e\nexport HOME=$(mktemp -d)\nmkdir -p {dir}\n");
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
    // Clean up in one batch.
    var del = new StringBuilder($"export HOME=$(mktemp -d)\ntargetcli <<'EOF' >/dev/null 2>&1\n/iscsi delete {t}\n");
    for (int i = 0; i < n; i++) del.Append($"/backstores/fileio delete {id}n{i}\n");
    del.Append($"saveconfig\nEOF\nrm -rf {dir}\n");
    lab.Ssh(del.ToString(), stdin: true);
    notes.Add($"Per-step approach, N={n}: {3 + 6 * n} targetcli starts, run in one ssh session inside the VM (its ssh cost is not counted).");
    return secs;
}

async Task<StatusResult> StatusRun(int m)
{
    using var ctx = new BenchContext(lab, $"s{m}");
    var be = ctx.AddBackend();
    // Setup (not measured as PureBoot work): rtslib makes M LUNs with ACLs and CHAP directly, then PureBoot imports them.
    var setup = Stopwatch.StartNew();
    lab.Ssh(Setup.Script(be.SharedTargetIqn, ctx.StorageDir, m), stdin: true, timeoutSeconds: 3600);
    var tSetup = setup.Elapsed.TotalSeconds;
    var imp = Stopwatch.StartNew();
    var report = await ctx.Engine.ImportTargetConfigAsync(be.Name, be.SharedTargetIqn);
    var tImport = imp.Elapsed.TotalSeconds;
    ctx.Timing.Reset();
    var sw = Stopwatch.StartNew();
    var st = await ctx.Engine.GetTargetStatusAsync(be.Name);
    var tStatus = sw.Elapsed.TotalSeconds;
    var r = new StatusResult(m, tStatus, st.TargetcliStarts, st.Exchanges, ctx.Timing.Sessions, st.Luns.Count, st.Drift.Count, report.Luns.Count, tImport, tSetup);
    lab.Ssh(Setup.Cleanup(be.SharedTargetIqn, ctx.StorageDir), stdin: true, timeoutSeconds: 3600);
    return r;
}

void WriteReport()
{
    var inv = CultureInfo.InvariantCulture;
    var md = new StringBuilder();
    md.AppendLine("# PureBoot benchmarks\n");
    md.AppendLine($"Run {started:yyyy-MM-dd HH:mm} UTC against the lab VM (Debian 12 under qemu TCG, 2 vCPU; targetcli-fb, kernel, vCPUs: {version}).");
    md.AppendLine("Absolute times on an emulated VM mean little; the ratios and counts, measured in one run, are the figures.\n");
    md.AppendLine("Reproduce: `bash tests/Integration/lab/build-image.sh && bash tests/Integration/lab/start-vm.sh && dotnet run -c Release --project tools/PureBoot.Bench -- --out docs/BENCHMARKS.md`\n");
    md.AppendLine("## Provisioning: N LUNs, each assigned to its node with CHAP (Shared mode), one batch (`New-IscsiLun -Assign`)\n");
    md.AppendLine("| N | total s | per LUN s | create s | assign s | in targetcli s | live-state reads s | host steps s | session opens s | PureBoot's own s (%) | targetcli starts | SSH handshakes | sessions | all ok |");
    md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (var r in results.Values)
    {
        var own = r.Total - r.Targetcli - r.Snapshot - r.Steps - r.Open;
        md.AppendLine(string.Format(inv, "| {0} | {1:0.0} | {2:0.00} | {3:0.0} | {4:0.0} | {5:0.0} | {6:0.0} | {7:0.0} | {8:0.0} | {9:0.00} ({10:0.0}%) | {11} | {12} | {13} | {14} |",
            r.N, r.Total, r.Total / r.N, r.Create, r.Assign, r.Targetcli, r.Snapshot, r.Steps, r.Open, own, 100 * own / r.Total, r.Starts, r.Handshakes, r.Sessions, r.Ok ? "yes" : "NO"));
    }
    if (baseline is { } b && results.TryGetValue(opt.Baseline, out var same))
    {
        md.AppendLine($"\n## Against the per-step approach (N = {opt.Baseline}, same VM, same run)\n");
        md.AppendLine("| approach | seconds | targetcli starts | ratio |");
        md.AppendLine("|---|---|---|---|");
        md.AppendLine(string.Format(inv, "| per-step (one targetcli per step, saveconfig per item) | {0:0.0} | {1} | 1.0x |", b, 3 + 6 * opt.Baseline));
        md.AppendLine(string.Format(inv, "| PureBoot, one batch (`New-IscsiLun -Assign`) | {0:0.0} | {1} | **{2:0.0}x faster** |", same.Total, same.Starts, b / same.Total));
        if (pipelined is not null)
            md.AppendLine(string.Format(inv, "| PureBoot, two batches (`New-IscsiLun \\| Set-IscsiLunAssignment`) | {0:0.0} | {1} | {2:0.0}x faster |", pipelined.Total, pipelined.Starts, b / pipelined.Total));
    }
    if (results.Count >= 2)
    {
        var lo = results.Values.MinBy(r => r.N)!; var hi = results.Values.MaxBy(r => r.N)!;
        md.AppendLine(string.Format(inv, "\nTime per LUN grows {0:0.0}x from N = {1} to N = {2}; targetcli's own time per LUN grows {3:0.0}x.",
            (hi.Total / hi.N) / (lo.Total / lo.N), lo.N, hi.N, (hi.Targetcli / hi.N) / (lo.Targetcli / lo.N)));
    }
    if (status.Count > 0)
    {
        md.AppendLine("\n## Status (Get-IscsiTargetStatus) at scale\n");
        md.AppendLine("| LUNs | status s | targetcli starts | exchanges | SSH sessions | LUN rows | drift items | (setup: rtslib s / import s) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var s in status)
            md.AppendLine(string.Format(inv, "| {0} | {1:0.0} | {2} | {3} | {4} | {5} | {6} | {7:0} / {8:0.0} |", s.M, s.Seconds, s.Starts, s.Exchanges, s.Sessions, s.Rows, s.Drift, s.SetupSeconds, s.ImportSeconds));
    }
    md.AppendLine("\n## Notes from this run\n");
    foreach (var n in notes) md.AppendLine($"- {n}");
    md.AppendLine("- \"in targetcli\" is the wall time of the exchanges that ran targetcli (script transfer, targetcli, saveconfig read-back); \"live-state reads\" are rtslib dumps of configfs (no targetcli start); \"PureBoot's own\" is everything else: inventory transactions, allocation, script composition, verification.");
    File.WriteAllText(opt.Out, md.ToString());
    Console.WriteLine($"wrote {opt.Out}");
}

record RunResult(int N, double Total, double Create, double Assign, double Targetcli, double Snapshot, double Steps, double Open, int Starts, int Handshakes, int Sessions, bool Ok)
{
    public override string ToString() => $"N={N}: {Total:0.0} s total ({Total / N:0.00} s/LUN), targetcli {Targetcli:0.0} s, snapshots {Snapshot:0.0} s, {Starts} targetcli starts, {Handshakes} handshakes, ok={Ok}";
}
record StatusResult(int M, double Seconds, int Starts, int Exchanges, int Sessions, int Rows, int Drift, int Imported, double ImportSeconds, double SetupSeconds)
{
    public override string ToString() => $"status of {M} LUNs: {Seconds:0.0} s, {Starts} targetcli starts, {Exchanges} exchanges, {Rows} rows, {Drift} drift, import {Imported} in {ImportSeconds:0.0} s";
}
