using System.Diagnostics;
using System.Security.Cryptography;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;

namespace PureBoot.Tests.Integration.Reliability;

/// <summary>
/// Like <see cref="LabContext"/> (private inventory, key, IQN prefix, storage directory and ssh control directory per
/// test) plus what the reliability tests need: the key and database path (to start "another process" on the same
/// inventory), a fault-injecting connector in front of the real ssh transport, and a thorough clean-up of the VM.
/// </summary>
public sealed class RelContext : IDisposable
{
    public Lab Lab { get; } = Lab.Current!;
    public string Id { get; } = "r" + Guid.NewGuid().ToString("N")[..8];
    public string Dir { get; } = Directory.CreateTempSubdirectory("pb-rel-").FullName;
    public byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);
    public string DbPath => Path.Combine(Dir, "pureboot.db");
    public string ControlDir => Path.Combine(Dir, "ssh");
    /// <summary>ssh control directory of the test plumbing (Vm, VmOk, VmWithInput): one multiplexed connection, not PureBoot's.</summary>
    public string PlumbingDir => Path.Combine(Dir, "p");
    public List<string> Log { get; } = new();
    public string IqnPrefix => $"iqn.2026-01.rel.{Id}";
    public string StorageDir => $"{Lab.LunDir}/{Id}";
    public ShellTargetHostConnector Shell { get; private set; } = null!;
    public FaultyConnector Faults { get; private set; } = null!;
    public PureBootEngine Engine { get; private set; } = null!;
    /// <summary>Extra clean-up run on the VM (as root) before the standard one; each test registers what it changed.</summary>
    public List<string> VmRestore { get; } = new();
    /// <summary>Clean-up run after this test's LIO objects are gone (e.g. unmounting a file system they used).</summary>
    public List<string> VmRestoreLate { get; } = new();

    /// <summary>The executor of this test's backends: the test's choice, else $PUREBOOT_LAB_EXECUTOR, else Rtslib.</summary>
    public LioExecutorKind Executor { get; }

    public RelContext(LioExecutorKind? executor = null)
    {
        Executor = executor ?? (Enum.TryParse<LioExecutorKind>(Environment.GetEnvironmentVariable("PUREBOOT_LAB_EXECUTOR"), out var e) ? e : LioExecutorKind.Rtslib);
        Restart();
    }

    public ShellOptions NewOptions() => new() { ControlDirectory = ControlDir, Log = Say, LockWaitSeconds = 600 };

    public void Say(string line) { lock (Log) Log.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}"); }

    /// <summary>Drops the engine as a dead process would, and starts a new one on the same inventory, key and control directory.</summary>
    public void Restart()
    {
        Engine?.Dispose();
        Shell = new ShellTargetHostConnector(NewOptions());
        Faults = new FaultyConnector(Shell, ControlDir);
        Engine = OpenEngine(Faults);
    }

    public PureBootEngine OpenEngine(ITargetHostConnector connector) =>
        new(new InventoryStore(DbPath), connector, () => new SecretBox(Key)) { Log = Say };

    public BackendSpec Spec(string name, StorageKind storage = StorageKind.FileIO, TargetMode mode = TargetMode.Shared, bool asSudoUser = false) => new()
    {
        Name = name, Transport = TransportKind.Ssh, Host = Lab.Host, Port = Lab.SshPort,
        User = asSudoUser ? Lab.User : "root", IdentityFile = asSudoUser ? Lab.UserKey : Lab.RootKey, UseSudo = asSudoUser,
        KnownHostsFile = Lab.KnownHosts, IqnPrefix = IqnPrefix, Storage = storage, Mode = mode, Executor = Executor,
        StoragePath = storage == StorageKind.FileIO ? StorageDir : Lab.VolumeGroup,
    };

    public Backend AddBackend(string name, StorageKind storage = StorageKind.FileIO, TargetMode mode = TargetMode.Shared, bool asSudoUser = false) =>
        Engine.AddBackend(Spec(name, storage, mode, asSudoUser));

    /// <summary>An initiator IQN private to this test (ACLs live under this test's targets anyway).</summary>
    public string InitiatorIqn(string node) => $"iqn.2026-01.rel.{Id}:{node}";

    /// <summary>Timed, logged VM command as root (test plumbing, not PureBoot's transport).</summary>
    public (int Code, string Out) Vm(string command, int timeoutSeconds = 300) => Plumb(command, null, timeoutSeconds);

    /// <summary>Runs a VM command with text on its stdin (keeps values such as secrets off the command line).</summary>
    public (int Code, string Out) VmWithInput(string command, string input) => Plumb(command, input, 300);

    /// <summary>Forgets the plumbing's ssh master (after the VM was reset under it).</summary>
    public void ResetPlumbing() => SshProcesses.Kill(SshProcesses.Find(PlumbingDir, null));

    (int Code, string Out) Plumb(string command, string? input, int timeoutSeconds)
    {
        Directory.CreateDirectory(PlumbingDir);
        var sw = Stopwatch.StartNew();
        var psi = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-i", Lab.RootKey, "-p", Lab.SshPort.ToString(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                     "-o", "StrictHostKeyChecking=yes", "-o", $"UserKnownHostsFile={Lab.KnownHosts}", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR",
                     "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
                     "-o", "ControlMaster=auto", "-o", $"ControlPath={PlumbingDir}/%C", "-o", "ControlPersist=120",
                     $"root@{Lab.Host}", command })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (input is not null) p.StandardInput.Write(input);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException($"ssh {command} timed out"); }
        p.WaitForExit();
        Say($"vm ({sw.ElapsedMilliseconds} ms, rc {p.ExitCode}{(input is null ? "" : ", with stdin")}): {command.Split('\n')[0]}");
        return (p.ExitCode, o.Result + err.Result);
    }

    public string VmOk(string command)
    {
        var (c, o) = Vm(command);
        if (c != 0) throw new InvalidOperationException($"`{command}` failed ({c}): {o}");
        return o;
    }

    public void Dispose()
    {
        // Undo what the test changed on the VM first (e.g. a hidden targetcli), then remove this test's objects.
        foreach (var r in VmRestore.AsEnumerable().Reverse())
            try { Vm(r); } catch { }
        // Then this test's LIO objects, files and volumes, straight through rtslib: removing them through PureBoot is what the
        // tests exercise already, and at 100 LUNs it costs ~90 s on the emulated VM (rtslib: a few seconds).
        try { Engine.Dispose(); } catch { }
        try { Vm(CleanupScript(IqnPrefix, StorageDir, Lab.VolumeGroup, Id)); } catch { }
        foreach (var r in VmRestoreLate.AsEnumerable().Reverse())
            try { Vm(r); } catch { }
        // The ControlMaster (and any stray ssh) of this test's control directory: processes this test started.
        SshProcesses.Kill(SshProcesses.Find(ControlDir, null));
        SshProcesses.Kill(SshProcesses.Find(PlumbingDir, null));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Dir, true); } catch { }
    }

    /// <summary>
    /// Removes every LIO object, file and volume of one test's namespace, whatever PureBoot left (rtslib, then saveconfig).
    /// Storage objects are matched on the storage directory as a prefix, so <c>{StorageDir}-full/...</c> goes too: a storage
    /// object whose file vanishes (an unmounted directory) makes every later targetcli saveconfig on the host fail.
    /// </summary>
    public static string CleanupScript(string iqnPrefix, string storageDir, string vg, string id) => $$"""
python3 - <<'PY'
from rtslib_fb import RTSRoot
r = RTSRoot()
changed = False
for t in list(r.targets):
    if t.wwn.startswith("{{iqnPrefix}}:"):
        t.delete(); changed = True
for so in list(r.storage_objects):
    p = so.udev_path or ""
    if p.startswith("{{storageDir}}") or p.startswith("/dev/{{vg}}/{{id}}"):
        so.delete(); changed = True
if changed:
    r.save_to_file()
PY
rm -rf '{{storageDir}}'
for lv in $(lvs --noheadings -o lv_name {{vg}} 2>/dev/null | grep '^ *{{id}}'); do lvremove -f {{vg}}/$lv >/dev/null; done
true
""";
}
