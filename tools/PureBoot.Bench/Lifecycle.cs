using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;

/// <summary>
/// Issue 13's goals on the lab VM, per backend kind (FileIO on the lab's XFS with reflinks, Block in its thin pool):
/// registering a 10 GiB image; one clone and its cost; N nodes provisioned from it, assigned, with CHAP (one batch);
/// the space N fresh clones take; resetting M nodes; checkpoint and restore of one LUN. Host figures (df, lvs) are read
/// on the host; times are wall clock with where they went (host steps, LIO plans, live-state reads).
/// </summary>
static class LifecycleBench
{
    sealed record Options(string Lab, string[] Kinds, int Nodes, int Reset, LioExecutorKind Executor, string Out, int Repeat);

    static Options Parse(string[] a)
    {
        string Get(string k, string d) { var i = Array.IndexOf(a, k); return i >= 0 && i + 1 < a.Length ? a[i + 1] : d; }
        return new Options(Get("--lab", "/tmp/pureboot-lab/lab.env"), Get("--kinds", "FileIO,Block").Split(','), int.Parse(Get("--nodes", "256")),
            int.Parse(Get("--reset", "100")), Enum.Parse<LioExecutorKind>(Get("--executor", "Rtslib")), Get("--out", "out/lifecycle-bench.md"), int.Parse(Get("--repeat", "5")));
    }

    sealed record Row(string Kind, string Figure, string Goal, string Measured, string Detail);

    public static async Task<int> RunAsync(string[] args)
    {
        var opt = Parse(args);
        var env = File.ReadAllLines(opt.Lab).Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#')).Select(l => l.StartsWith("export ") ? l[7..] : l)
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..].Trim('"', '\''));
        var lab = LabEnv.Load(opt.Lab);
        var version = lab.Ssh("dpkg-query -W -f '${Version}' targetcli-fb; echo; uname -r; nproc; lvm version | head -1").Trim().Replace("\n", ", ");
        var load = File.ReadAllText("/proc/loadavg").Trim();
        var others = RunHost("pgrep", "-c", "qemu-system").Trim();
        Console.WriteLine($"lab {lab.Host}:{lab.SshPort} ({version}); host load {load}; qemu processes on the host: {others}");
        var rows = new List<Row>();
        var notes = new List<string>();
        var started = DateTime.UtcNow;
        foreach (var kind in opt.Kinds.Select(Enum.Parse<StorageKind>))
        {
            try { await RunKindAsync(kind, opt, env, lab, rows, notes); }
            catch (Exception e) { notes.Add($"{kind}: the run failed: {e.Message}"); Console.WriteLine(e); }
        }
        var md = new StringBuilder();
        md.AppendLine($"## Disk lifecycle (issue 13), {started:yyyy-MM-dd HH:mm} UTC\n");
        md.AppendLine($"Lab VM under qemu TCG ({version}); executor {opt.Executor}; host load average at the start {load}, {others} qemu processes on the host (other helpers' VMs included).\n");
        md.AppendLine("| backend | figure | goal | measured | where the time went / detail |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var r in rows) md.AppendLine($"| {r.Kind} | {r.Figure} | {r.Goal} | {r.Measured} | {r.Detail} |");
        md.AppendLine();
        foreach (var n in notes) md.AppendLine($"- {n}");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(opt.Out))!);
        File.WriteAllText(opt.Out, md.ToString());
        Console.WriteLine(md);
        Console.WriteLine($"wrote {opt.Out}");
        return 0;
    }

    static async Task RunKindAsync(StorageKind kind, Options opt, Dictionary<string, string> env, LabEnv lab, List<Row> rows, List<string> notes)
    {
        var inv = CultureInfo.InvariantCulture;
        using var ctx = new LifecycleBenchContext(lab, kind == StorageKind.FileIO ? "lf" : "lt");
        var vg = env["PUREBOOT_LAB_VG"]; var pool = env.GetValueOrDefault("PUREBOOT_LAB_THIN_POOL") ?? "pool";
        var dir = kind == StorageKind.FileIO ? $"{env["PUREBOOT_LAB_XFS_DIR"]}/{ctx.Id}" : $"/var/lib/pureboot/images/{ctx.Id}";
        var be = ctx.Engine.AddBackend(ctx.Spec() with
        {
            Storage = kind, Executor = opt.Executor,
            StoragePath = kind == StorageKind.FileIO ? dir : vg, ThinPool = kind == StorageKind.Block ? pool : null, ImageDirectory = kind == StorageKind.Block ? dir : null,
        });
        long Used() => kind == StorageKind.FileIO
            ? long.Parse(lab.Ssh($"df -B1 --output=used {dir} | tail -1").Trim(), inv)
            : (long)Math.Round(double.Parse(lab.Ssh($"lvs --noheadings --units b --nosuffix -o data_percent {vg}/{pool}").Trim(), inv) / 100
                * long.Parse(lab.Ssh($"lvs --noheadings --units b --nosuffix -o lv_size {vg}/{pool}").Trim(), inv));
        string S(double s) => s.ToString("0.0", inv) + " s";
        // Seconds the session spent in clone steps since the timer's last reset.
        double CloneSeconds() => ctx.Timer.Exchanges.Where(x => x.Kinds.Contains(nameof(CloneFile)) || x.Kinds.Contains(nameof(ThinSnapshot))).Sum(x => x.Seconds);
        string K = kind == StorageKind.FileIO ? "FileIO (XFS reflink=1)" : "Block (LVM thin pool)";
        try
        {
            lab.Ssh($"mkdir -p {dir}/golden && truncate -s 10G {dir}/golden/base.img && dd if=/dev/urandom of={dir}/golden/base.img bs=1M count=1 conv=notrunc,fsync status=none");
            var sw = Stopwatch.StartNew();
            var reg = await ctx.Engine.NewImageAsync(new ImageCreateRequest { Name = "base-" + ctx.Id, Backend = be.Name, Path = "golden/base.img" });
            if (!reg.Succeeded) throw new Exception(reg.Error);
            rows.Add(new(K, "register a 10 GiB image (1 MiB of data)", "-", S(sw.Elapsed.TotalSeconds), $"{reg.Image!.AllocatedBytes} bytes allocated; {reg.Warnings.FirstOrDefault() ?? "no copy warning"}"));
            var image = reg.Image.Name;

            // One clone at a time, --repeat of them: the clone step's median with the range (one run under TCG moves by
            // ±0.3 s), the median run's whole one-LUN batch, and the most bytes a clone took.
            var clones = new List<(double Step, double Total, long Bytes, string Detail)>();
            for (int i = 0; i < Math.Max(1, opt.Repeat); i++)
            {
                var usedBefore = Used();
                ctx.Timer.Reset();
                sw.Restart();
                var one = await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = $"one{i}{ctx.Id}", Backend = be.Name, Image = image } });
                var total = sw.Elapsed.TotalSeconds;
                if (!one[0].Succeeded) throw new Exception(one[0].Error);
                clones.Add((CloneSeconds(), total, Used() - usedBefore, ctx.Timer.Describe()));
            }
            var (mid, spread) = Median(clones, c => c.Step);
            rows.Add(new(K, "clone of a 10 GiB image", "≤1 s each, 0 data bytes copied",
                $"{spread} (clone step); at most {clones.Max(c => c.Bytes)} bytes",
                $"the median run's one-LUN batch took {S(mid.Total)}: {mid.Detail}"));
            // Checkpoint and restore while one clone is the target's only LUN: the fixed cost, before the target holds N.
            await ctx.Engine.RemoveLunsAsync(Enumerable.Range(1, clones.Count - 1).Select(i => new LunRemoveRequest($"one{i}{ctx.Id}")).ToList());
            await CheckpointAndRestoreAsync(ctx, opt, rows, K, "one0" + ctx.Id, "the target's only LUN");
            await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("one0" + ctx.Id) });

            // N nodes from one image, assigned, CHAP: one batch.
            for (int i = 0; i < opt.Nodes; i++) ctx.Engine.AddNode($"n{i:000}{ctx.Id}", $"52:54:00:{(kind == StorageKind.FileIO ? 0x61 : 0x62):x2}:{i / 256:x2}:{i % 256:x2}");
            var before = Used();
            ctx.Timer.Reset();
            sw.Restart();
            var made = await ctx.Engine.CreateLunsAsync(Enumerable.Range(0, opt.Nodes).Select(i => new LunCreateRequest { Name = $"n{i:000}{ctx.Id}", Backend = be.Name, Image = image, Node = $"n{i:000}{ctx.Id}" }).ToList());
            var tMade = sw.Elapsed.TotalSeconds;
            var ok = made.Count(o => o.Succeeded);
            var perClone = CloneSeconds() / opt.Nodes;
            var extra = Used() - before;
            var chap = ctx.Engine.ListLuns().Count(l => l.Status == LunStatus.Active && l.ChapEnabled && l.Image is not null);
            rows.Add(new(K, $"{opt.Nodes} nodes provisioned from one image, assigned, CHAP", "≤5 min, one batch per backend",
                $"{S(tMade)}; {ok}/{opt.Nodes} ok, {chap} Active with CHAP; {ctx.Timer.Sessions} session", $"{ctx.Timer.Describe()}; {perClone.ToString("0.00", inv)} s per clone step"));
            rows.Add(new(K, $"extra space of {opt.Nodes} fresh clones", "<1 GiB until written", $"{extra} bytes ({(extra / 1048576.0).ToString("0.0", inv)} MiB)",
                kind == StorageKind.FileIO ? "df used on the XFS filesystem, before and after" : "thin pool data % x pool size (lvs), before and after"));
            foreach (var f in made.Where(o => !o.Succeeded).Take(3)) notes.Add($"{kind}: {f}");

            // Reset M nodes (they wrote nothing: the cost is the replacement itself).
            var m = Math.Min(opt.Reset, ok);
            ctx.Timer.Reset();
            sw.Restart();
            var reset = await ctx.Engine.ResetLunsAsync(Enumerable.Range(0, m).Select(i => new LunResetRequest($"n{i:000}{ctx.Id}")).ToList());
            rows.Add(new(K, $"reset {m} nodes", "≤60 s", $"{S(sw.Elapsed.TotalSeconds)}; {reset.Count(o => o.Succeeded)}/{m} ok", ctx.Timer.Describe()));
            foreach (var f in reset.Where(o => !o.Succeeded).Take(3)) notes.Add($"{kind} reset: {f}");

            // Checkpoint and restore one LUN.
            await CheckpointAndRestoreAsync(ctx, opt, rows, K, $"n{opt.Nodes - 1:000}{ctx.Id}", $"a target of {opt.Nodes} LUNs");
            var meta = kind == StorageKind.Block ? lab.Ssh($"lvs --noheadings -o data_percent,metadata_percent {vg}/{pool}").Trim() : "";
            if (meta.Length > 0) notes.Add($"{kind}: thin pool {vg}/{pool} data% and metadata% with {opt.Nodes} clones and their image: {meta}");
        }
        finally
        {
            var sw = Stopwatch.StartNew();
            try
            {
                var snaps = ctx.Engine.ListSnapshots().Select(x => new SnapshotRemoveRequest(x.LunName, x.SnapshotName)).ToList();
                if (snaps.Count > 0) await ctx.Engine.RemoveSnapshotsAsync(snaps);
                var luns = ctx.Engine.ListLuns().Select(l => new LunRemoveRequest(l.Name, Force: true)).ToList();
                if (luns.Count > 0) await ctx.Engine.RemoveLunsAsync(luns);
                foreach (var name in ctx.Engine.ListImages().Select(i => i.Name).Distinct().ToList()) await ctx.Engine.RemoveImageAsync(new ImageRemoveRequest(name, DetachLuns: true));
            }
            catch (Exception e) { notes.Add($"{kind}: cleanup failed: {e.Message}"); }
            lab.Ssh($"rm -rf {dir}");
            notes.Add($"{kind}: cleanup (remove every LUN, the snapshot and the image) took {sw.Elapsed.TotalSeconds.ToString("0.0", inv)} s.");
        }
    }

    /// <summary>
    /// Checkpoint then restore one LUN, --repeat times (a snapshot each, removed after): the median with the range,
    /// and where the median run's time went. One run under TCG varies by ±0.3 s.
    /// </summary>
    static async Task CheckpointAndRestoreAsync(LifecycleBenchContext ctx, Options opt, List<Row> rows, string kind, string lun, string where)
    {
        var runs = new Dictionary<string, List<(double Seconds, string Detail, string? Error)>> { ["checkpoint"] = new(), ["restore"] = new() };
        for (int i = 0; i < Math.Max(1, opt.Repeat); i++)
        {
            var snap = $"b{i}";
            ctx.Timer.Reset();
            var sw = Stopwatch.StartNew();
            var cp = await ctx.Engine.CheckpointLunsAsync(new[] { new LunCheckpointRequest(lun, snap) });
            runs["checkpoint"].Add((sw.Elapsed.TotalSeconds, ctx.Timer.Describe(), cp[0].Succeeded ? null : cp[0].Error));
            ctx.Timer.Reset();
            sw.Restart();
            var rs = await ctx.Engine.RestoreLunsAsync(new[] { new LunRestoreRequest(lun, snap) });
            runs["restore"].Add((sw.Elapsed.TotalSeconds, ctx.Timer.Describe(), rs[0].Succeeded ? null : rs[0].Error));
            await ctx.Engine.RemoveSnapshotsAsync(new[] { new SnapshotRemoveRequest(lun, snap) });
        }
        foreach (var (what, list) in runs)
        {
            var (median, spread) = Median(list, r => r.Seconds);
            var failed = list.FirstOrDefault(r => r.Error is not null).Error;
            rows.Add(new(kind, $"{what} one LUN ({where})", "≤2 s", spread + (failed is null ? "" : " FAILED " + failed), "median run: " + median.Detail));
        }
    }

    /// <summary>The median run by <paramref name="seconds"/>, and "M s median of N (MIN-MAX s)".</summary>
    static (T Median, string Text) Median<T>(IReadOnlyList<T> runs, Func<T, double> seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var sorted = runs.OrderBy(seconds).ToList();
        var median = sorted[sorted.Count / 2];
        return (median, $"{seconds(median).ToString("0.0", inv)} s median of {runs.Count} ({seconds(sorted[0]).ToString("0.0", inv)}-{seconds(sorted[^1]).ToString("0.0", inv)} s)");
    }

    static string RunHost(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return o;
    }
}

/// <summary>Times each exchange of a session by what it did (live-state read, which host steps, LIO plan).</summary>
sealed class ExchangeTimer(ITargetHostConnector inner) : ITargetHostConnector
{
    public sealed record Exchange(string What, IReadOnlyList<string> Kinds, double Seconds);
    public List<Exchange> Exchanges { get; } = new();
    public int Sessions, TargetcliStarts;
    public void Reset() { lock (Exchanges) Exchanges.Clear(); Sessions = 0; TargetcliStarts = 0; }

    public string Describe()
    {
        lock (Exchanges)
        {
            var inv = CultureInfo.InvariantCulture;
            var groups = Exchanges.GroupBy(x => x.What).Select(g => $"{g.Key} {g.Sum(x => x.Seconds).ToString("0.0", inv)} s ({g.Count()}x)");
            return string.Join(", ", groups) + $"; {TargetcliStarts} targetcli starts";
        }
    }

    public async Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var s = await inner.OpenAsync(backend, ct);
        lock (Exchanges) Exchanges.Add(new("session open", Array.Empty<string>(), sw.Elapsed.TotalSeconds));
        Sessions++;
        return new Timed(this, s);
    }

    sealed class Timed(ExchangeTimer o, ITargetHostSession s) : ITargetHostSession
    {
        public Backend Backend => s.Backend;
        public int TargetcliStarts => s.TargetcliStarts;
        public int Exchanges => s.Exchanges;
        public long BytesSent => s.BytesSent;
        async Task<T> Time<T>(string what, IReadOnlyList<string> kinds, Func<Task<T>> run)
        {
            var sw = Stopwatch.StartNew();
            try { return await run(); }
            finally { lock (o.Exchanges) o.Exchanges.Add(new(what, kinds, sw.Elapsed.TotalSeconds)); }
        }
        public Task<HostSnapshot> SnapshotAsync(SnapshotRequest r, CancellationToken ct = default) => Time("live-state reads", Array.Empty<string>(), () => s.SnapshotAsync(r, ct));
        public Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken ct = default)
        {
            var kinds = steps.Select(x => x.GetType().Name).Distinct().ToList();
            var what = kinds.Any(k => k is nameof(ProbeSpace) or nameof(FindMissing) or nameof(MeasureData)) && steps.Count <= 2 ? "space/existence probes" : "host steps";
            return Time(what, kinds, () => s.RunStepsAsync(steps, ct));
        }
        public async Task<LioApplyResult> ApplyAsync(IReadOnlyList<LioChange> changes, CancellationToken ct = default)
        {
            var before = s.TargetcliStarts;
            try { return await Time($"LIO plans", Array.Empty<string>(), () => s.ApplyAsync(changes, ct)); }
            finally { o.TargetcliStarts += s.TargetcliStarts - before; }
        }
        public Task<string?> ProbeTargetcliAsync(CancellationToken ct = default) => s.ProbeTargetcliAsync(ct);
        public ValueTask DisposeAsync() => s.DisposeAsync();
    }
}

sealed class LifecycleBenchContext : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pb-lcbench-").FullName;
    readonly LabEnv _lab;
    public string Id { get; }
    public ShellTargetHostConnector Shell { get; }
    public ExchangeTimer Timer { get; }
    public PureBootEngine Engine { get; }

    public LifecycleBenchContext(LabEnv lab, string tag)
    {
        _lab = lab;
        Id = tag + Guid.NewGuid().ToString("N")[..6];
        Shell = new ShellTargetHostConnector(new ShellOptions { ControlDirectory = Path.Combine(_dir, "ssh") });
        Timer = new ExchangeTimer(Shell);
        var key = RandomNumberGenerator.GetBytes(32);
        Engine = new PureBootEngine(new InventoryStore(Path.Combine(_dir, "pureboot.db")), Timer, () => new SecretBox(key));
    }

    public BackendSpec Spec() => new()
    {
        Name = Id, Transport = TransportKind.Ssh, Host = _lab.Host, Port = _lab.SshPort, User = "root", IdentityFile = _lab.RootKey,
        KnownHostsFile = _lab.KnownHosts, IqnPrefix = $"iqn.2026-01.bench.{Id}",
    };

    public void Dispose()
    {
        foreach (var b in Engine.ListBackends()) try { Shell.CloseMasterAsync(b).GetAwaiter().GetResult(); } catch { }
        Engine.Dispose();
        try { Directory.Delete(_dir, true); } catch { }
    }
}
