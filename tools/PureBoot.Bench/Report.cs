using System.Globalization;
using System.Text;
using PureBoot.Core.Model;

/// <summary>One provisioning run: N LUNs created, each assigned to its node with CHAP, in one batch.</summary>
record RunResult(int N, LioExecutorKind Executor, double Total, double Apply, double Snapshot, double Steps, double Open, int Starts, int Handshakes,
    int Sessions, long Bytes, double Cpu, double? Remove, bool Ok)
{
    public double PerLun => Total / N;
    /// <summary>PureBoot's own wall time: all but the host's exchanges and the session open.</summary>
    public double Own => Total - Apply - Snapshot - Steps - Open;
    public override string ToString() =>
        $"N={N} {Executor}: {Total:0.0} s ({PerLun:0.000} s/LUN), apply {Apply:0.0} s, snapshots {Snapshot:0.0} s, steps {Steps:0.0} s, {Starts} targetcli starts, " +
        $"{Bytes / N} bytes/LUN, CPU {Cpu:0.0} s{(Remove is { } r ? $", remove {r:0.0} s" : "")}, ok={Ok}";
}

record StatusResult(int M, double Seconds, int Starts, int Exchanges, int Rows, int Drift, int Sessions, int Imported, double ImportSeconds, double SetupSeconds)
{
    public override string ToString() => $"status of {M} LUNs: {Seconds:0.0} s, {Starts} targetcli starts, {Exchanges} exchanges, {Rows} rows, {Drift} drift, import {Imported} in {ImportSeconds:0.0} s";
}

sealed class BenchReport(DateTime started, string version)
{
    public (int N, double Seconds)? PerStep { get; set; }
    public List<RunResult> Runs { get; } = new();
    public List<StatusResult> Status { get; } = new();
    public List<string> Notes { get; } = new();
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    RunResult? Run(int n, LioExecutorKind e) => Runs.FirstOrDefault(r => r.N == n && r.Executor == e);

    public string Markdown(Args opt)
    {
        var md = new StringBuilder();
        md.AppendLine("# PureBoot benchmarks\n");
        md.AppendLine($"Run {started:yyyy-MM-dd HH:mm} UTC against the lab VM (Debian 12 under qemu TCG, no KVM; targetcli-fb, python3-rtslib-fb, kernel, vCPUs: {version}).");
        md.AppendLine("Absolute times on an emulated VM mean little; the ratios and counts, all measured in this one run, are the figures.\n");
        md.AppendLine("Reproduce: `bash tests/Integration/lab/build-image.sh && bash tests/Integration/lab/start-vm.sh && dotnet run -c Release --project tools/PureBoot.Bench -- --lab /tmp/pureboot-lab/lab.env --out docs/BENCHMARKS.md`\n");
        Goals(md, opt);
        Provisioning(md);
        StatusTable(md);
        md.AppendLine("\n## Notes from this run\n");
        foreach (var n in Notes) md.AppendLine($"- {n}");
        md.AppendLine("- \"apply\" is the wall time of the exchanges that applied a plan (transfer, rtslib or targetcli, save, sync, saved config read back); \"snapshots\" are rtslib reads of configfs; \"own\" is everything else: inventory transactions, allocation, planning, verification.");
        return md.ToString();
    }

    void Goals(StringBuilder md, Args opt)
    {
        md.AppendLine("## Goals (issue 12)\n");
        md.AppendLine("| figure | before (ac8d504) | goal | measured | met |");
        md.AppendLine("| --- | --- | --- | --- | --- |");
        var b = opt.Baseline;
        var rts = Run(b, LioExecutorKind.Rtslib); var tc = Run(b, LioExecutorKind.Targetcli);
        if (PerStep is { } ps && rts is not null)
            Row(md, $"{b} LUNs + ACL + CHAP vs per-step", "7.3-9.9x", ">= 25x", $"rtslib {ps.Seconds / rts.Total:0.0}x, targetcli {(tc is null ? "-" : (ps.Seconds / tc.Total).ToString("0.0", Inv) + "x")} ({ps.Seconds:0.0} s vs {rts.Total:0.0} s / {tc?.Total:0.0} s)", ps.Seconds / rts.Total >= 25);
        if (Run(100, LioExecutorKind.Rtslib) is { } r100)
            Row(md, "per LUN at N=100", "1.61 s", "<= 0.3 s", $"{r100.PerLun:0.000} s", r100.PerLun <= 0.3);
        if (Run(1000, LioExecutorKind.Rtslib) is { } r1000 && rts is not null)
            Row(md, "per LUN at N=1000 vs N=10", "unmeasured", "<= 1.5x", $"{r1000.PerLun / rts.PerLun:0.00}x ({r1000.PerLun:0.000} s vs {rts.PerLun:0.000} s)", r1000.PerLun / rts.PerLun <= 1.5);
        if (Status.FirstOrDefault(s => s.M == 500) is { } s500)
            Row(md, "status of 500 LUNs incl. sessions", "392 s", "<= 20 s, 0 targetcli starts", $"{s500.Seconds:0.0} s, {s500.Starts} starts", s500.Seconds <= 20 && s500.Starts == 0);
        if (Run(opt.Remove, LioExecutorKind.Rtslib) is { Remove: { } rm } rr)
            Row(md, $"remove {opt.Remove} vs create {opt.Remove}", "2.5x", "<= 1.2x", $"{rm / rr.Total:0.00}x ({rm:0.0} s vs {rr.Total:0.0} s)", rm / rr.Total <= 1.2);
        var rtsRuns = Runs.Where(r => r.Executor == LioExecutorKind.Rtslib).ToList();
        if (rtsRuns.Count > 0)
            Row(md, "targetcli starts per batch (rtslib path)", "1", "0", string.Join(", ", rtsRuns.Select(r => $"N={r.N}: {r.Starts}")), rtsRuns.All(r => r.Starts == 0));
        md.AppendLine();
        if (rtsRuns.Count > 0)
        {
            md.AppendLine("Also: bytes sent over SSH per LUN (scripts and plans, the python programs once per session): " +
                string.Join(", ", Runs.Select(r => $"N={r.N} {r.Executor} {r.Bytes / r.N} B")) + ".");
            md.AppendLine("PureBoot's own CPU (this process, user + system) as a share of the run's wall time: " +
                string.Join(", ", Runs.Select(r => string.Format(Inv, "N={0} {1} {2:0.0} s ({3:0.0}%)", r.N, r.Executor, r.Cpu, 100 * r.Cpu / r.Total))) + ".\n");
        }
    }

    static void Row(StringBuilder md, string figure, string before, string goal, string measured, bool met) =>
        md.AppendLine($"| {figure} | {before} | {goal} | {measured} | {(met ? "yes" : "**no**")} |");

    void Provisioning(StringBuilder md)
    {
        md.AppendLine("## Provisioning: N LUNs, each assigned to its node with CHAP (Shared mode), one batch (`New-IscsiLun -Assign`)\n");
        md.AppendLine("| N | executor | total s | per LUN s | apply s | live-state reads s | host steps s | session opens s | own s (%) | targetcli starts | SSH handshakes | sessions | bytes/LUN | remove s | all ok |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in Runs)
            md.AppendLine(string.Format(Inv, "| {0} | {1} | {2:0.0} | {3:0.000} | {4:0.0} | {5:0.0} | {6:0.0} | {7:0.0} | {8:0.00} ({9:0.0}%) | {10} | {11} | {12} | {13} | {14} | {15} |",
                r.N, r.Executor, r.Total, r.PerLun, r.Apply, r.Snapshot, r.Steps, r.Open, r.Own, 100 * r.Own / r.Total, r.Starts, r.Handshakes, r.Sessions,
                r.Bytes / r.N, r.Remove is { } x ? x.ToString("0.0", Inv) : "-", r.Ok ? "yes" : "NO"));
        if (PerStep is { } ps)
        {
            md.AppendLine($"\n## Against the per-step approach (N = {ps.N}, same VM, same run, back to back)\n");
            md.AppendLine("| approach | seconds | targetcli starts | ratio |");
            md.AppendLine("|---|---|---|---|");
            md.AppendLine(string.Format(Inv, "| per-step (one targetcli per step, saveconfig per item) | {0:0.0} | {1} | 1.0x |", ps.Seconds, 3 + 6 * ps.N));
            foreach (var r in Runs.Where(r => r.N == ps.N))
                md.AppendLine(string.Format(Inv, "| PureBoot, {0} executor, one batch | {1:0.0} | {2} | **{3:0.0}x faster** |", r.Executor, r.Total, r.Starts, ps.Seconds / r.Total));
        }
    }

    void StatusTable(StringBuilder md)
    {
        if (Status.Count == 0) return;
        md.AppendLine("\n## Status (Get-IscsiTargetStatus, sessions included) at scale\n");
        md.AppendLine("| LUNs | status s | targetcli starts | exchanges | LUN rows | drift items | sessions | (setup: rtslib s / import s) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var s in Status)
            md.AppendLine(string.Format(Inv, "| {0} | {1:0.0} | {2} | {3} | {4} | {5} | {6} | {7:0} / {8:0.0} |", s.M, s.Seconds, s.Starts, s.Exchanges, s.Rows, s.Drift, s.Sessions, s.SetupSeconds, s.ImportSeconds));
    }
}
