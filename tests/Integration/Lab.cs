using System.Diagnostics;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using Xunit;

namespace PureBoot.Tests.Integration;

/// <summary>The running lab VM, from the lab.env that tests/Integration/lab/start-vm.sh writes.</summary>
public sealed class Lab
{
    static readonly Lazy<Lab?> _current = new(Load);
    public static Lab? Current => _current.Value;

    public required string Host { get; init; }
    public int SshPort { get; init; }
    public int IscsiPort { get; init; }
    public required string RootKey { get; init; }
    public required string User { get; init; }
    public required string UserKey { get; init; }
    public required string KnownHosts { get; init; }
    public required string VolumeGroup { get; init; }
    public required string LunDir { get; init; }
    public required string StateDir { get; init; }
    /// <summary>An XFS filesystem with reflinks (the disk lifecycle's FileIO storage), when the lab has one.</summary>
    public string? XfsDir { get; init; }
    /// <summary>The thin pool in <see cref="VolumeGroup"/>, when the lab has one.</summary>
    public string? ThinPool { get; init; }

    static Lab? Load()
    {
        var path = Environment.GetEnvironmentVariable("PUREBOOT_LAB_ENV");
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return null;
        var env = File.ReadAllLines(path)
            .Select(l => l.Trim()).Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => l.StartsWith("export ") ? l[7..] : l)
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..].Trim('"', '\''));
        string Get(string k) => env.TryGetValue(k, out var v) ? v : throw new InvalidOperationException($"{path} has no {k}");
        return new Lab
        {
            Host = Get("PUREBOOT_LAB_SSH_HOST"), SshPort = int.Parse(Get("PUREBOOT_LAB_SSH_PORT")), IscsiPort = int.Parse(Get("PUREBOOT_LAB_ISCSI_PORT")),
            RootKey = Get("PUREBOOT_LAB_ROOT_KEY"), User = Get("PUREBOOT_LAB_USER"), UserKey = Get("PUREBOOT_LAB_USER_KEY"),
            KnownHosts = Get("PUREBOOT_LAB_KNOWN_HOSTS"), VolumeGroup = Get("PUREBOOT_LAB_VG"), LunDir = Get("PUREBOOT_LAB_LUN_DIR"),
            StateDir = Path.GetDirectoryName(path)!,
            XfsDir = env.GetValueOrDefault("PUREBOOT_LAB_XFS_DIR"), ThinPool = env.GetValueOrDefault("PUREBOOT_LAB_THIN_POOL"),
        };
    }

    /// <summary>Runs a command in the VM as root (test plumbing, not PureBoot's transport).</summary>
    public (int Code, string Out) Ssh(string command, bool asUser = false, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-i", asUser ? UserKey : RootKey, "-p", SshPort.ToString(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                     "-o", "StrictHostKeyChecking=yes", "-o", $"UserKnownHostsFile={KnownHosts}", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR",
                     $"{(asUser ? User : "root")}@{Host}", command })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException($"ssh {command} timed out"); }
        return (p.ExitCode, output.Result + err.Result);
    }

    public string SshOk(string command) { var (c, o) = Ssh(command); Assert.True(c == 0, $"`{command}` failed ({c}): {o}"); return o; }

    public string SavedConfigJson() => SshOk("cat /etc/rtslib-fb-target/saveconfig.json");

    public void Script(string name) => RunHost("bash", Path.Combine(RepoRoot, "tests", "Integration", "lab", name));

    public static string RepoRoot
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "PureBoot.sln"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static (int Code, string Out) RunHost(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o + err.Result);
    }
}

/// <summary>A test that needs the lab VM; skipped (with the reason) when PUREBOOT_LAB_ENV is not set.</summary>
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute()
    {
        if (Lab.Current is null) Skip = "lab VM not running: set PUREBOOT_LAB_ENV (./test.sh does it after tests/Integration/lab/start-vm.sh)";
    }
}

/// <summary>A lab theory; skipped like <see cref="LabFactAttribute"/> when no lab VM runs.</summary>
public sealed class LabTheoryAttribute : TheoryAttribute
{
    public LabTheoryAttribute()
    {
        if (Lab.Current is null) Skip = "lab VM not running: set PUREBOOT_LAB_ENV (./test.sh does it after tests/Integration/lab/start-vm.sh)";
    }
}

/// <summary>A private inventory, key and IQN namespace per test, so tests sharing the VM cannot collide.</summary>
public sealed class LabContext : IDisposable
{
    public Lab Lab { get; } = Lab.Current!;
    public string Id { get; } = "t" + Guid.NewGuid().ToString("N")[..8];
    public string Dir { get; } = Directory.CreateTempSubdirectory("pb-int-").FullName;
    public PureBootEngine Engine { get; }
    public ShellTargetHostConnector Shell { get; }
    public List<string> Log { get; } = new();
    public string IqnPrefix => $"iqn.2026-01.test.{Id}";
    public string StorageDir => $"{Lab.LunDir}/{Id}";

    /// <summary>The executor backends of this context use: the test's choice, else $PUREBOOT_LAB_EXECUTOR, else Rtslib (the product's default).</summary>
    public LioExecutorKind Executor { get; }

    public LabContext(LioExecutorKind? executor = null)
    {
        Executor = executor ?? (Enum.TryParse<LioExecutorKind>(Environment.GetEnvironmentVariable("PUREBOOT_LAB_EXECUTOR"), out var e) ? e : LioExecutorKind.Rtslib);
        Shell = new ShellTargetHostConnector(new ShellOptions { ControlDirectory = Path.Combine(Dir, "ssh"), Log = l => { lock (Log) Log.Add(l); } });
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Engine = new PureBootEngine(new InventoryStore(Path.Combine(Dir, "pureboot.db")),
            new RoutingConnector(Shell, new PureBoot.Simulation.SimulatedTargetHostConnector()), () => new SecretBox(key));
        Engine.Log = l => { lock (Log) Log.Add(l); };
    }

    public Backend AddBackend(string name, StorageKind storage = StorageKind.FileIO, TargetMode mode = TargetMode.Shared, bool asSudoUser = false) =>
        Engine.AddBackend(new BackendSpec
        {
            Name = name, Transport = TransportKind.Ssh, Host = Lab.Host, Port = Lab.SshPort,
            User = asSudoUser ? Lab.User : "root", IdentityFile = asSudoUser ? Lab.UserKey : Lab.RootKey, UseSudo = asSudoUser,
            KnownHostsFile = Lab.KnownHosts, IqnPrefix = IqnPrefix, Storage = storage, Mode = mode, Executor = Executor,
            StoragePath = storage == StorageKind.FileIO ? StorageDir : Lab.VolumeGroup,
        });

    public void Dispose()
    {
        // Leave the shared VM clean even when a test failed half way.
        try
        {
            var left = Engine.ListLuns().Select(l => new LunRemoveRequest(l.Name, Force: true)).ToList();
            if (left.Count > 0) Engine.RemoveLunsAsync(left).GetAwaiter().GetResult();
            Lab.Ssh($"rm -rf '{StorageDir}'; for t in $(ls /sys/kernel/config/target/iscsi 2>/dev/null | grep '^{IqnPrefix}:'); do HOME=/tmp targetcli /iscsi delete $t >/dev/null; done; true");
        }
        catch { }
        foreach (var b in Engine.ListBackends()) try { Shell.CloseMasterAsync(b).GetAwaiter().GetResult(); } catch { }
        Engine.Dispose();
        try { Directory.Delete(Dir, true); } catch { }
    }
}

/// <summary>libiscsi's command-line initiator on the host, addressing LUNs directly (discovery answers with the VM's inner address).</summary>
public static class Initiator
{
    public static (int Code, string Out) ReadCapacity(Lab lab, string initiatorIqn, string target, int lun, string? user = null, string? secret = null)
    {
        var auth = user is null ? "" : $"{user}%{secret}@";
        return Lab.RunHost("timeout", "60", "iscsi-readcapacity16", "-i", initiatorIqn, $"iscsi://{auth}{lab.Host}:{lab.IscsiPort}/{target}/{lun}");
    }

    /// <summary>Bytes of the LUN as READ CAPACITY(16) reports them, or null when the login or command failed.</summary>
    public static long? CapacityBytes(Lab lab, string initiatorIqn, string target, int lun, string? user = null, string? secret = null)
    {
        var (code, o) = ReadCapacity(lab, initiatorIqn, target, lun, user, secret);
        if (code != 0) return null;
        long? lba = null, bs = null;
        foreach (var line in o.Split('\n'))
        {
            var parts = line.Split(':', 2);
            if (parts.Length != 2) continue;
            var k = parts[0].Trim().ToLowerInvariant(); var v = parts[1].Trim();
            if (k is "last lba" or "returned logical block address" && long.TryParse(v, out var l)) lba = l;
            if (k is "logical block length" or "logical block size" && long.TryParse(v, out var b)) bs = b;
            if (k == "total size" && long.TryParse(v.Split(' ')[0], out var t)) return t;
        }
        return lba is not null && bs is not null ? (lba + 1) * bs : null;
    }
}

public static class DataPath
{
    /// <summary>Runs one qemu-io command through its libiscsi driver as the given initiator; CHAP secret via a qemu secret object.</summary>
    public static (bool Ok, string Out) QemuIo(Lab lab, string initiatorIqn, string target, int lun, string? user, string? secret, string command)
    {
        var opts = $"driver=iscsi,transport=tcp,portal={lab.Host}:{lab.IscsiPort},target={target},lun={lun},initiator-name={initiatorIqn}";
        var args = new List<string> { "60", "qemu-io" };
        if (user is not null) { opts += $",user={user},password-secret=s0"; args.AddRange(new[] { "--object", $"secret,id=s0,data={secret}" }); }
        args.AddRange(new[] { "--image-opts", opts, "-c", command });
        var (code, o) = Lab.RunHost("timeout", args.ToArray());
        var ok = code == 0 && !o.Contains("failed", StringComparison.OrdinalIgnoreCase) && !o.Contains("error", StringComparison.OrdinalIgnoreCase);
        return (ok, o);
    }
}
