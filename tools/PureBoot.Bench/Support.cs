using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Lio;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;

sealed record Args(string Lab, int[] Sizes, int Baseline, int[] Status, int Remove, string Out)
{
    public static Args Parse(string[] a)
    {
        string Get(string k, string d) { var i = Array.IndexOf(a, k); return i >= 0 && i + 1 < a.Length ? a[i + 1] : d; }
        int[] Ints(string s) => s.Length == 0 ? Array.Empty<int>() : s.Split(',').Select(int.Parse).ToArray();
        return new Args(Get("--lab", "/tmp/pureboot-lab/lab.env"), Ints(Get("--sizes", "10,100,1000")), int.Parse(Get("--baseline", "10")),
            Ints(Get("--status", "500")), int.Parse(Get("--remove", "100")), Get("--out", "docs/BENCHMARKS.md"));
    }
}

sealed class LabEnv
{
    public required string Host, RootKey, KnownHosts, LunDir;
    public int SshPort;
    public static LabEnv Load(string path)
    {
        var env = File.ReadAllLines(path).Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
            .Select(l => l.StartsWith("export ") ? l[7..] : l).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..].Trim('"', '\''));
        return new LabEnv { Host = env["PUREBOOT_LAB_SSH_HOST"], SshPort = int.Parse(env["PUREBOOT_LAB_SSH_PORT"]), RootKey = env["PUREBOOT_LAB_ROOT_KEY"], KnownHosts = env["PUREBOOT_LAB_KNOWN_HOSTS"], LunDir = env["PUREBOOT_LAB_LUN_DIR"] };
    }
    public string Ssh(string script, bool stdin = false, int timeoutSeconds = 1800)
    {
        var psi = new ProcessStartInfo("ssh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var x in new[] { "-i", RootKey, "-p", SshPort.ToString(), "-o", "BatchMode=yes", "-o", $"UserKnownHostsFile={KnownHosts}", "-o", "LogLevel=ERROR", $"root@{Host}", stdin ? "bash -s" : script })
            psi.ArgumentList.Add(x);
        using var p = Process.Start(psi)!;
        if (stdin) p.StandardInput.Write(script);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException("ssh timed out"); }
        if (p.ExitCode != 0) throw new Exception($"ssh failed ({p.ExitCode}): {err.Result}");
        return o;
    }
}

/// <summary>Wraps the shell connector to time where each session's wall time goes, and what it sent.</summary>
sealed class TimingConnector(ITargetHostConnector inner) : ITargetHostConnector
{
    public double ApplySeconds, SnapshotSeconds, StepSeconds, OpenSeconds;
    public int TargetcliStarts, Sessions;
    public long BytesSent;
    public void Reset() { ApplySeconds = SnapshotSeconds = StepSeconds = OpenSeconds = 0; TargetcliStarts = Sessions = 0; BytesSent = 0; }
    public async Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var s = await inner.OpenAsync(backend, ct);
        OpenSeconds += sw.Elapsed.TotalSeconds; Sessions++;
        return new Timed(this, s);
    }
    sealed class Timed(TimingConnector o, ITargetHostSession s) : ITargetHostSession
    {
        public Backend Backend => s.Backend;
        public int TargetcliStarts => s.TargetcliStarts;
        public int Exchanges => s.Exchanges;
        public long BytesSent => s.BytesSent;
        public async Task<HostSnapshot> SnapshotAsync(SnapshotRequest r, CancellationToken ct = default)
        { var sw = Stopwatch.StartNew(); try { return await s.SnapshotAsync(r, ct); } finally { o.SnapshotSeconds += sw.Elapsed.TotalSeconds; } }
        public async Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken ct = default)
        { var sw = Stopwatch.StartNew(); try { return await s.RunStepsAsync(steps, ct); } finally { o.StepSeconds += sw.Elapsed.TotalSeconds; } }
        public async Task<LioApplyResult> ApplyAsync(IReadOnlyList<LioChange> changes, CancellationToken ct = default)
        {
            var sw = Stopwatch.StartNew(); var before = s.TargetcliStarts;
            try { return await s.ApplyAsync(changes, ct); }
            finally { o.ApplySeconds += sw.Elapsed.TotalSeconds; o.TargetcliStarts += s.TargetcliStarts - before; }
        }
        public Task<string?> ProbeTargetcliAsync(CancellationToken ct = default) => s.ProbeTargetcliAsync(ct);
        public async ValueTask DisposeAsync() { o.BytesSent += s.BytesSent; await s.DisposeAsync(); }
    }
}

sealed class BenchContext : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pb-bench-").FullName;
    readonly LabEnv _lab;
    public string Id { get; }
    public ShellTargetHostConnector Shell { get; }
    public TimingConnector Timing { get; }
    public PureBootEngine Engine { get; }
    public string StorageDir => $"{_lab.LunDir}/{Id}";
    public BenchContext(LabEnv lab, string tag)
    {
        _lab = lab;
        Id = tag + Guid.NewGuid().ToString("N")[..6];
        Shell = new ShellTargetHostConnector(new ShellOptions { ControlDirectory = Path.Combine(_dir, "ssh") });
        Timing = new TimingConnector(Shell);
        var key = RandomNumberGenerator.GetBytes(32);
        Engine = new PureBootEngine(new InventoryStore(Path.Combine(_dir, "pureboot.db")), Timing, () => new SecretBox(key));
    }
    public Backend AddBackend(LioExecutorKind executor) => Engine.AddBackend(new BackendSpec
    {
        Name = Id, Transport = TransportKind.Ssh, Host = _lab.Host, Port = _lab.SshPort, User = "root", IdentityFile = _lab.RootKey,
        KnownHostsFile = _lab.KnownHosts, IqnPrefix = $"iqn.2026-01.bench.{Id}", StoragePath = StorageDir, Executor = executor,
    });
    public void Dispose()
    {
        foreach (var b in Engine.ListBackends()) try { Shell.CloseMasterAsync(b).GetAwaiter().GetResult(); } catch { }
        Engine.Dispose();
        try { Directory.Delete(_dir, true); } catch { }
    }
}

/// <summary>Status-benchmark setup: M LUNs with ACLs and CHAP made straight through rtslib (fast), then removed.</summary>
static class Setup
{
    public static string Script(string target, string dir, int m) => $$"""
set -e
mkdir -p {{dir}}
for i in $(seq 0 {{m - 1}}); do truncate -s 16M {{dir}}/s$i.img; done
python3 - <<'PY'
from rtslib_fb import RTSRoot, FileIOStorageObject, Target, TPG, LUN, NodeACL, MappedLUN, NetworkPortal, FabricModule
t = Target(FabricModule('iscsi'), '{{target}}')
tpg = TPG(t, 1)
tpg.set_attribute('generate_node_acls', '0'); tpg.set_attribute('authentication', '1')
NetworkPortal(tpg, '0.0.0.0', 3260)
tpg.enable = True
for i in range({{m}}):
    so = FileIOStorageObject('s%d' % i, '{{dir}}/s%d.img' % i, size=16777216, write_back=True)
    lun = LUN(tpg, i, so)
    acl = NodeACL(tpg, 'iqn.2026-01.bench.status:n%d' % i)
    acl.chap_userid = 'u%d' % i
    acl.chap_password = 'secretsecret%04d' % i
    acl.set_attribute('authentication', '1')
    MappedLUN(acl, 0, lun)
RTSRoot().save_to_file()
PY
""";

    public static string Cleanup(string target, string dir) => $$"""
python3 - <<'PY'
from rtslib_fb import RTSRoot
r = RTSRoot()
for t in list(r.targets):
    if t.wwn == '{{target}}':
        t.delete()
for so in list(r.storage_objects):
    if getattr(so, 'udev_path', '').startswith('{{dir}}/'):
        so.delete()
r.save_to_file()
PY
rm -rf {{dir}}
""";
}
