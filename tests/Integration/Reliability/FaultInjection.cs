using System.Diagnostics;
using PureBoot.Core.Model;
using PureBoot.Core.Lio;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;

namespace PureBoot.Tests.Integration.Reliability;

/// <summary>How a crash trial breaks the conversation with the target.</summary>
public enum FaultKind
{
    /// <summary>The wrapper throws TargetHostException(Unreachable) before or after a host call: the connection dropped; the engine sees it.</summary>
    Drop,
    /// <summary>The session's ssh is SIGKILLed and a non-transport exception escapes the engine: the admin process died mid-batch.</summary>
    Die,
    /// <summary>A timer SIGKILLs the session's ssh client process while a host call (usually targetcli) runs.</summary>
    KillClient,
    /// <summary>A timer runs <c>ssh -O exit</c> on the backend's ControlMaster while a host call runs.</summary>
    MasterExit,
    /// <summary>A timer SIGTERMs the ControlMaster process while a host call runs: it exits and removes its socket, as when its link drops.</summary>
    StopMaster,
}

public sealed record FaultPlan(FaultKind Kind, int AtCall, bool After, TimeSpan Delay)
{
    public override string ToString() => Kind switch
    {
        FaultKind.Drop or FaultKind.Die => $"{Kind} {(After ? "after" : "before")} call {AtCall}",
        _ => $"{Kind} {Delay.TotalMilliseconds:0} ms into call {AtCall}",
    };
}

/// <summary>Thrown through the engine to stand for the PowerShell process dying: the engine's transport handlers do not see it.</summary>
public sealed class ProcessDiedException(string message) : Exception(message);

/// <summary>
/// Wraps the real <see cref="ShellTargetHostConnector"/> and injects one fault per plan: counted host calls
/// (snapshot, steps, targetcli, numbered from 1 across sessions) fail before or after they ran, or a timer kills
/// the real ssh processes of this connector's control directory while a call is in flight.
/// </summary>
public sealed class FaultyConnector : ITargetHostConnector
{
    readonly ShellTargetHostConnector _inner;
    readonly string _controlDir;
    int _calls, _opens;
    public FaultyConnector(ShellTargetHostConnector inner, string controlDir) { _inner = inner; _controlDir = controlDir; }

    public ShellTargetHostConnector Inner => _inner;
    public int Opens => _opens;
    public int Calls => _calls;
    public FaultPlan? Plan { get; private set; }
    /// <summary>What the fault actually hit (for the trial log); null if it never fired.</summary>
    public string? Fired { get; private set; }
    public List<string> CallLog { get; } = new();

    Task _timer = Task.CompletedTask;

    public void Arm(FaultPlan? plan) { Plan = plan; Fired = null; _calls = 0; _timer = Task.CompletedTask; lock (CallLog) CallLog.Clear(); }

    /// <summary>Waits until a timed kill has happened (it may land after the operation ended), then disarms.</summary>
    public async Task SettleAsync() { await _timer; Plan = null; }

    public async Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _opens);
        return new Session(this, backend, await _inner.OpenAsync(backend, cancellationToken));
    }

    async Task<T> Call<T>(Backend b, string what, Func<Task<T>> run)
    {
        var n = Interlocked.Increment(ref _calls);
        var p = Plan;
        var sw = Stopwatch.StartNew();
        Task? timer = null;
        if (p is not null && p.AtCall == n)
        {
            switch (p.Kind)
            {
                case FaultKind.Drop when !p.After:
                    Fired = $"dropped before call {n} ({what})";
                    throw Dropped(b);
                case FaultKind.Die when !p.After:
                    Fired = $"process died before call {n} ({what}); killed {KillSessionClients()} ssh client(s)";
                    throw new ProcessDiedException(Fired);
                case FaultKind.KillClient or FaultKind.MasterExit or FaultKind.StopMaster:
                    _timer = timer = Task.Run(async () =>
                    {
                        await Task.Delay(p.Delay);
                        var hit = p.Kind switch
                        {
                            FaultKind.KillClient => $"SIGKILL to {KillSessionClients()} ssh client(s)",
                            FaultKind.StopMaster => $"SIGTERM to {KillMasters(hard: false)} ssh master(s)",
                            _ => await MasterExit(b),
                        };
                        Fired = $"{hit} {sw.ElapsedMilliseconds} ms into call {n} ({what})";
                    });
                    break;
            }
        }
        try
        {
            var r = await run();
            lock (CallLog) CallLog.Add($"call {n} {what}: {sw.ElapsedMilliseconds} ms");
            if (p is not null && p.AtCall == n && p.After)
            {
                if (p.Kind == FaultKind.Drop) { Fired = $"answer of call {n} ({what}) lost"; throw Dropped(b); }
                if (p.Kind == FaultKind.Die) { Fired = $"process died after call {n} ({what}); killed {KillSessionClients()} ssh client(s)"; throw new ProcessDiedException(Fired); }
            }
            return r;
        }
        catch (TargetHostException e)
        {
            lock (CallLog) CallLog.Add($"call {n} {what}: {sw.ElapsedMilliseconds} ms, {e.Failure}");
            if (timer is not null) await timer;   // so Fired is set before the trial reads it
            throw;
        }
    }

    static TargetHostException Dropped(Backend b) =>
        new(b.Endpoint, TargetHostFailure.Unreachable, $"Cannot reach backend '{b.Name}' ({b.Endpoint}): connection reset (injected by ReliabilityTests)");

    async Task<string> MasterExit(Backend b)
    {
        var before = SshProcesses.Find(_controlDir, master: true).Count;
        await _inner.CloseMasterAsync(b);
        await Task.Delay(200);
        return $"ssh -O exit on the master ({before} master(s) before, {SshProcesses.Find(_controlDir, master: true).Count} after, {SshProcesses.Find(_controlDir, master: false).Count} session client(s) left)";
    }

    /// <summary>SIGKILLs the ssh clients that carry this connector's sessions (found by control directory); returns how many.</summary>
    public int KillSessionClients() => SshProcesses.Kill(SshProcesses.Find(_controlDir, master: false));

    /// <summary>Stops the ControlMaster(s) of this connector's control directory (SIGKILL, or SIGTERM); returns how many.</summary>
    public int KillMasters(bool hard = true) => SshProcesses.Kill(SshProcesses.Find(_controlDir, master: true), hard);

    sealed class Session(FaultyConnector owner, Backend backend, ITargetHostSession inner) : ITargetHostSession
    {
        public Backend Backend => backend;
        public int TargetcliStarts => inner.TargetcliStarts;
        public int Exchanges => inner.Exchanges;
        public long BytesSent => inner.BytesSent;
        public Task<HostSnapshot> SnapshotAsync(SnapshotRequest r, CancellationToken ct = default) =>
            owner.Call(backend, r.IncludeSessions ? "snapshot+sessions" : "snapshot", () => inner.SnapshotAsync(r, ct));
        public Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken ct = default) =>
            owner.Call(backend, $"{steps.Count} steps", () => inner.RunStepsAsync(steps, ct));
        public Task<LioApplyResult> ApplyAsync(IReadOnlyList<LioChange> changes, CancellationToken ct = default) =>
            owner.Call(backend, $"apply {changes.Count} changes", () => inner.ApplyAsync(changes, ct));
        public Task<string?> ProbeTargetcliAsync(CancellationToken ct = default) =>
            owner.Call(backend, "targetcli probe", () => inner.ProbeTargetcliAsync(ct));
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>Finds the ssh processes PureBoot started for one control directory (each test has its own), by their command line.</summary>
public static class SshProcesses
{
    public static List<(int Pid, string CommandLine)> Find(string controlDir, bool? master)
    {
        var found = new List<(int, string)>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid)) continue;
            string[] argv;
            try { argv = File.ReadAllText(Path.Combine(d, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries); }
            catch { continue; }
            if (argv.Length == 0) continue;
            // A master that ssh backgrounded itself (ControlPersist) renames its process to "ssh: <ControlPath> [mux]".
            var renamedMaster = argv.Length == 1 && argv[0].StartsWith("ssh: " + controlDir + "/", StringComparison.Ordinal) && argv[0].EndsWith("[mux]", StringComparison.Ordinal);
            if (!renamedMaster && (Path.GetFileName(argv[0]) != "ssh" || !argv.Any(x => x.StartsWith("ControlPath=" + controlDir + "/", StringComparison.Ordinal)))) continue;
            var isMaster = renamedMaster || argv.Contains("ControlMaster=yes");
            var isSession = argv.Any(x => x.EndsWith("bash -s", StringComparison.Ordinal));
            if (master == true && !isMaster) continue;
            if (master == false && (isMaster || !isSession)) continue;
            found.Add((pid, string.Join(' ', argv)));
        }
        return found;
    }

    /// <summary>SIGKILL (hard) or SIGTERM to each process, by pid; returns how many were signalled.</summary>
    public static int Kill(IEnumerable<(int Pid, string CommandLine)> processes, bool hard = true)
    {
        var n = 0;
        foreach (var (pid, _) in processes)
        {
            try
            {
                if (hard) { using var p = Process.GetProcessById(pid); p.Kill(); }
                else if (Lab.RunHost("kill", "-TERM", pid.ToString()).Code != 0) continue;
                n++;
            }
            catch { }
        }
        return n;
    }
}
