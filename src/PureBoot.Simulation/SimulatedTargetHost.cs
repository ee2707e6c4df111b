using System.Diagnostics;
using System.Globalization;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Targetcli;
using System.Text.Json.Nodes;

namespace PureBoot.Simulation;

/// <summary>
/// A session on a simulated storage host whose whole state lives in one JSON file (Backend.SimulationStatePath).
/// Opening takes an exclusive cross-process lock on "&lt;state&gt;.lock" and loads the state; disposing writes it
/// back atomically and lets the lock go. targetcli lines run through <see cref="TargetcliSimulator"/>.
/// </summary>
public sealed class SimulatedTargetHost : ITargetHostSession
{
    readonly SimulatedTargetHostOptions _options;
    readonly string _statePath;
    FileStream? _lock;
    int _targetcliStarts, _exchanges;
    bool _disposed;

    public Backend Backend { get; }
    public SimulatedHostState State { get; }
    public int TargetcliStarts => _targetcliStarts;
    public int Exchanges => _exchanges;
    public long BytesSent => 0;   // nothing goes over a wire

    SimulatedTargetHost(Backend backend, SimulatedTargetHostOptions options, string statePath, FileStream lockStream, SimulatedHostState state)
    {
        Backend = backend;
        _options = options;
        _statePath = statePath;
        _lock = lockStream;
        State = state;
    }

    public static async Task<SimulatedTargetHost> OpenAsync(Backend backend, SimulatedTargetHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        options ??= new SimulatedTargetHostOptions();
        if (string.IsNullOrWhiteSpace(backend.SimulationStatePath))
            throw new ArgumentException($"Backend '{backend.Name}' uses the simulated transport but has no SimulationStatePath.", nameof(backend));
        var statePath = Path.GetFullPath(backend.SimulationStatePath);
        Directory.CreateDirectory(Path.GetDirectoryName(statePath)!);
        var lockPath = statePath + ".lock";
        var started = Stopwatch.StartNew();
        FileStream lockStream;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                lockStream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                break;
            }
            catch (IOException e)
            {
                if (started.Elapsed >= options.LockTimeout)
                    throw new TargetHostException(backend.Endpoint, TargetHostFailure.LockTimeout,
                        $"Backend '{backend.Name}' ({backend.Endpoint}): another PureBoot run held the target lock for {options.LockTimeout.TotalSeconds:0} s.", e);
                await Task.Delay(options.LockRetryInterval, cancellationToken);
            }
        }
        SimulatedHostState state;
        try { state = SimulatedHostState.Load(statePath, options.Secrets?.Invoke()); }
        catch (Exception e)
        {
            await lockStream.DisposeAsync();
            throw new TargetHostException(backend.Endpoint, TargetHostFailure.ProtocolError,
                $"The simulated host state {statePath} of backend '{backend.Name}' could not be read: {e.Message}", e);
        }
        var host = new SimulatedTargetHost(backend, options, statePath, lockStream, state);
        if (state.TakeFault("@connect") is { } fault)
        {
            await host.DisposeAsync();
            throw new TargetHostException(backend.Endpoint, TargetHostFailure.Unreachable, $"Cannot reach backend '{backend.Name}' ({backend.Endpoint}). {fault.Message}");
        }
        options.Log?.Invoke($"[{backend.Name}] session open on {backend.Endpoint}, lock held ({started.ElapsedMilliseconds} ms)");
        return host;
    }

    void CheckOpen() => ObjectDisposedException.ThrowIf(_disposed, this);

    public Task<HostSnapshot> SnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken = default)
    {
        CheckOpen();
        cancellationToken.ThrowIfCancellationRequested();
        _exchanges++;
        if (State.TakeFault("@snapshot") is { } fault)
            throw new TargetHostException(Backend.Endpoint, TargetHostFailure.TargetcliFailed,
                $"Could not read the LIO configuration on backend '{Backend.Name}' ({Backend.Endpoint}) through rtslib: {fault.Message}");
        var storage = new List<StorageEntry>();
        string? storageError = null;
        if (request.IncludeStorage) storageError = ListStorage(storage);
        var probes = request.CheckedProbes().Select(RunStep).ToList();
        return Task.FromResult(new HostSnapshot
        {
            Live = SaveConfigParser.Parse(State.LiveText()),
            SaveConfigPath = State.SaveConfigPath,
            Storage = storage,
            Sessions = request.IncludeSessions ? Sessions() : Array.Empty<IscsiSession>(),
            TargetcliVersion = LioDefaults.TargetcliVersion,
            StorageError = storageError,
            ProbeResults = probes,
        });
    }

    string? ListStorage(List<StorageEntry> storage)
    {
        if (Backend.Storage == StorageKind.FileIO)
        {
            var dir = SimulatedHostState.NormalizePath(Backend.StoragePath);
            if (!State.DirectoryExists(dir)) return $"storage directory {Backend.StoragePath} does not exist";
            foreach (var (path, f) in State.Files)
                if (SimulatedHostState.ParentOf(path) == dir)
                    storage.Add(new StorageEntry(path[(dir.Length == 1 ? 1 : dir.Length + 1)..], f.SizeBytes, State.BlocksOf(f)));
            return null;
        }
        if (!State.VolumeGroups.TryGetValue(Backend.StoragePath, out var vg))
            return $"Volume group \"{Backend.StoragePath}\" not found\n  Cannot process volume group {Backend.StoragePath}";
        foreach (var (name, lv) in vg.LogicalVolumes) storage.Add(new StorageEntry(name, lv.SizeBytes, lv.SizeBytes));
        return null;
    }

    public Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken cancellationToken = default)
    {
        CheckOpen();
        cancellationToken.ThrowIfCancellationRequested();
        if (steps.Count == 0) return Task.FromResult<IReadOnlyList<StepResult>>(Array.Empty<StepResult>());
        _exchanges++;
        var results = steps.Select(RunStep).ToList();
        _options.Log?.Invoke($"[{Backend.Name}] ran {steps.Count} host steps");
        return Task.FromResult<IReadOnlyList<StepResult>>(results);
    }

    StepResult RunStep(HostStep step)
    {
        int rc; string msg;
        if (State.TakeFault(step.Describe()) is { } fault) { rc = 1; msg = fault.Message; }
        else (rc, msg) = SimulatedShell.Run(State, step);
        return StepResult.Of(step, rc, msg);
    }

    /// <summary>The logged-in initiators, as rtslib reads them from configfs (no targetcli start).</summary>
    IReadOnlyList<IscsiSession> Sessions()
    {
        var sim = new TargetcliSimulator(State);
        return sim.LiveSessions().Select(x => new IscsiSession
        {
            TargetIqn = x.Target, InitiatorIqn = x.Session.InitiatorIqn, Sid = x.Session.Sid, State = "LOGGED_IN",
            Authenticated = TargetcliSimulator.AclAuthenticatesTarget(x.Acl),
            Addresses = new[] { x.Session.Address },
            Luns = SimulatedHostState.Arr(x.Acl, "mapped_luns").OfType<JsonObject>()
                .Select(m => new SessionLun((int)(m["index"]?.GetValue<long>() ?? -1), sim.StorageObjectOf(x.Tpg, m) ?? "")).ToList(),
        }).ToList();
    }

    public Task<LioApplyResult> ApplyAsync(IReadOnlyList<LioChange> changes, CancellationToken cancellationToken = default)
    {
        CheckOpen();
        cancellationToken.ThrowIfCancellationRequested();
        _exchanges++;
        var sw = Stopwatch.StartNew();
        var rendered = TargetcliSyntax.Render(changes);
        foreach (var (_, line) in rendered)
            if (line.Contains('\n') || line.Contains('\r')) throw new ArgumentException("A targetcli line may not contain a line break.");
        foreach (var c in changes) _options.Log?.Invoke($"[{Backend.Name}] {Backend.Executor}> {c.Describe()}");
        var result = Backend.Executor == LioExecutorKind.Targetcli ? ApplyWithTargetcli(changes, rendered, sw) : ApplyWithRtslib(changes, rendered, sw);
        _options.Log?.Invoke($"[{Backend.Name}] {Backend.Executor} applied {changes.Count} changes in {sw.ElapsedMilliseconds} ms");
        return Task.FromResult(result);
    }

    LioApplyResult ApplyWithTargetcli(IReadOnlyList<LioChange> changes, IReadOnlyList<(LioChange Change, string Line)> rendered, Stopwatch sw)
    {
        if (State.TakeFault("@targetcli") is { } fault)
            throw new TargetHostException(Backend.Endpoint, TargetHostFailure.TargetcliFailed,
                $"targetcli on backend '{Backend.Name}' ({Backend.Endpoint}) failed (exit 1): {fault.Message}");
        PrivateHome();
        var run = new TargetcliSimulator(State).Run(TargetcliSyntax.Script(rendered.Select(r => r.Line)));
        _targetcliStarts++;
        if (run.ExitCode != 0) throw TargetcliFailure(run.Merged, run.ExitCode);
        return TargetcliSyntax.ToResult(changes, rendered, run.Merged, SaveConfigParser.Parse(State.Saved ?? ""), sw.Elapsed);
    }

    LioApplyResult ApplyWithRtslib(IReadOnlyList<LioChange> changes, IReadOnlyList<(LioChange Change, string Line)> rendered, Stopwatch sw)
    {
        if (State.TakeFault("@rtslib") is { } fault)
            throw new TargetHostException(Backend.Endpoint, TargetHostFailure.RtslibFailed,
                $"rtslib on backend '{Backend.Name}' ({Backend.Endpoint}) could not apply the plan (exit 1): {fault.Message}");
        var sim = new TargetcliSimulator(State);
        var errors = sim.ApplyAsRtslib(rendered.Select(r => r.Line).ToList());
        sim.SaveAsRtslib();
        var byChange = new Dictionary<LioChange, List<string>>(ReferenceEqualityComparer.Instance);
        foreach (var c in changes) byChange[c] = new List<string>();
        for (int i = 0; i < rendered.Count; i++)
            if (errors[i] is { } e) byChange[rendered[i].Change].Add(Redaction.RedactText(e));
        return new LioApplyResult
        {
            Changes = changes.Select(c => new LioChangeResult(c, byChange[c].Count == 0, string.Join("\n", byChange[c]))).ToList(),
            Saved = SaveConfigParser.Parse(State.Saved ?? ""),
            Executor = LioExecutorKind.Rtslib,
            Elapsed = sw.Elapsed,
        };
    }

    public Task<string?> ProbeTargetcliAsync(CancellationToken cancellationToken = default)
    {
        CheckOpen();
        _exchanges++;
        _targetcliStarts++;
        PrivateHome();
        var r = new TargetcliSimulator(State).RunCommandLine("sessions");
        if (r.ExitCode != 0) throw TargetcliFailure(r.Merged, r.ExitCode);
        return Task.FromResult<string?>(LioDefaults.TargetcliVersion);
    }

    /// <summary>
    /// The shell transport runs targetcli with HOME in its private temp dir, so every run starts from default
    /// prefs and leaves none behind: model that, not a root shell's persistent ~/.targetcli.
    /// </summary>
    void PrivateHome()
    {
        State.TargetcliPrefs.Clear();
        State.TargetcliPrefsFileExists = false;
    }

    /// <summary>The shell transport's reading of a failed targetcli start.</summary>
    TargetHostException TargetcliFailure(string output, int code)
    {
        var text = Redaction.RedactText(output.Trim());
        var last = text.Split('\n').LastOrDefault(x => x.Trim().Length > 0)?.Trim() ?? "";
        if (text.Contains("g-io-error-quark") || text.Contains("Could not connect"))
            return new(Backend.Endpoint, TargetHostFailure.DbusUnavailable,
                $"targetcli on backend '{Backend.Name}' ({Backend.Endpoint}) cannot reach the D-Bus system bus (exit {code}): start dbus on the target host. targetcli said: {last}");
        return new(Backend.Endpoint, TargetHostFailure.TargetcliFailed,
            $"targetcli on backend '{Backend.Name}' ({Backend.Endpoint}) failed (exit {code}): {last}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try { State.Save(_statePath, _options.Secrets?.Invoke()); }
        finally
        {
            if (_lock is not null) await _lock.DisposeAsync();
            _lock = null;
        }
    }
}

/// <summary>What the shell transport's helper functions do, on a simulated host (LC_ALL=C messages).</summary>
internal static partial class SimulatedShell
{
    public static (int Code, string Output) Run(SimulatedHostState s, HostStep step) => step switch
    {
        MakeDirectory m => MakeDirectory(s, m.Path),
        CopyImage c => CopyImage(s, c.Source, c.Destination),
        GrowFile g => Grow(s, g.Path, g.SizeBytes),
        CreateSparseFile f => Sparse(s, f.Path, f.SizeBytes),
        RemoveFile r => Remove(s, r.Path),
        CreateLogicalVolume c => LvCreate(s, c.VolumeGroup, c.Name, c.SizeBytes),
        ExtendLogicalVolume e => LvExtend(s, e.VolumeGroup, e.Name, e.SizeBytes),
        RemoveLogicalVolume r => LvRemove(s, r.VolumeGroup, r.Name),
        CopyImageToDevice d => Dd(s, d.Source, d.Device),
        _ => Lifecycle(s, step) ?? (127, $"unknown host step {step.GetType().Name}"),
    };

    static string N(string p) => SimulatedHostState.NormalizePath(p);

    static (int, string) MakeDirectory(SimulatedHostState s, string path)
    {
        var p = N(path);
        if (s.FileExists(p)) return (1, $"mkdir: cannot create directory '{path}': File exists");
        for (var a = SimulatedHostState.ParentOf(p); a != "/"; a = SimulatedHostState.ParentOf(a))
            if (s.FileExists(a)) return (1, $"mkdir: cannot create directory '{path}': Not a directory");
        s.AddDirectory(p);
        return (0, "");
    }

    static (int, string) Sparse(SimulatedHostState s, string path, long size)
    {
        var p = N(path);
        if (s.FileExists(p) || s.DirectoryExists(p)) return (17, $"refusing to overwrite existing {path}");
        if (!s.DirectoryExists(SimulatedHostState.ParentOf(p))) return (1, $"truncate: cannot open '{path}' for writing: No such file or directory");
        s.AddFile(p, size, 0);
        return (0, "");
    }

    static (int, string) CopyImage(SimulatedHostState s, string source, string destination)
    {
        var src = N(source); var dst = N(destination);
        if (s.FileExists(dst) || s.DirectoryExists(dst) || s.TryGetLogicalVolume(dst, out _, out _))
            return (17, $"refusing to overwrite existing {destination}");
        if (!s.FileExists(src)) return (2, $"source image {source} does not exist");
        if (!s.DirectoryExists(SimulatedHostState.ParentOf(dst)))
            return (1, $"cp: cannot create regular file '{destination}.pbtmp': No such file or directory");
        var f = s.Files[src];
        s.Files[dst] = new SimulatedFile { SizeBytes = f.SizeBytes, AllocatedBytes = f.AllocatedBytes, Content = f.Content };
        return (0, "");
    }

    static (int, string) Grow(SimulatedHostState s, string path, long size)
    {
        var p = N(path);
        if (!s.Files.TryGetValue(p, out var f)) return (1, $"stat: cannot statx '{path}': No such file or directory");
        if (size < f.SizeBytes) return (1, $"refusing to shrink {path} from {f.SizeBytes} to {size} bytes");
        f.SizeBytes = size;
        return (0, "");
    }

    static (int, string) Remove(SimulatedHostState s, string path)
    {
        var p = N(path);
        if (s.DirectoryExists(p)) return (1, $"rm: cannot remove '{path}': Is a directory");
        s.Files.Remove(p);
        return (0, "");
    }

    static (int, string)? NoVg(SimulatedHostState s, string vg) =>
        s.VolumeGroups.ContainsKey(vg) ? null : (5, $"  Volume group \"{vg}\" not found\n  Cannot process volume group {vg}");

    /// <summary>LVM's display of a size: two decimals rounded up, marked "&lt;" when inexact (e.g. "&lt;1.82 TiB").</summary>
    internal static string LvmSize(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        double v = bytes; int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        var rounded = Math.Ceiling(v * 100) / 100;
        var prefix = rounded > v ? "<" : "";
        return prefix + rounded.ToString("0.00", CultureInfo.InvariantCulture) + " " + units[u];
    }

    static (int, string) LvCreate(SimulatedHostState s, string vgName, string name, long size)
    {
        if (NoVg(s, vgName) is { } e) return e;
        var vg = s.VolumeGroups[vgName];
        if (vg.LogicalVolumes.ContainsKey(name)) return (5, $"  Logical Volume \"{name}\" already exists in volume group \"{vgName}\"");
        if (size <= 0) return (3, $"  Invalid argument for --size: {size}b");
        var extents = (size + vg.ExtentBytes - 1) / vg.ExtentBytes;
        var output = size % vg.ExtentBytes != 0 ? $"  Rounding up size to full physical extent {LvmSize(extents * vg.ExtentBytes)}\n" : "";
        if (extents > vg.FreeExtents)
            return (5, output + $"  Volume group \"{vgName}\" has insufficient free space ({vg.FreeExtents} extents): {extents} required.");
        vg.LogicalVolumes[name] = new SimulatedLogicalVolume { SizeBytes = extents * vg.ExtentBytes };
        return (0, output + $"  Logical volume \"{name}\" created.");
    }

    static (int, string) LvExtend(SimulatedHostState s, string vgName, string name, long size)
    {
        if (NoVg(s, vgName) is { } e) return e;
        var vg = s.VolumeGroups[vgName];
        if (!vg.LogicalVolumes.TryGetValue(name, out var lv)) return (5, $"  Failed to find logical volume \"{vgName}/{name}\"");
        var cur = lv.SizeBytes / vg.ExtentBytes;
        var extents = (size + vg.ExtentBytes - 1) / vg.ExtentBytes;
        var output = size % vg.ExtentBytes != 0 ? $"  Rounding size to boundary between physical extents: {LvmSize(extents * vg.ExtentBytes)}.\n" : "";
        if (extents == cur) return (5, output + $"  New size ({extents} extents) matches existing size ({cur} extents).");
        if (extents < cur) return (5, output + $"  New size given ({extents} extents) not larger than existing size ({cur} extents)");
        if (extents - cur > vg.FreeExtents) return (5, output + $"  Insufficient free space: {extents - cur} extents needed, but only {vg.FreeExtents} available");
        var old = lv.SizeBytes;
        lv.SizeBytes = extents * vg.ExtentBytes;
        return (0, output + $"  Size of logical volume {vgName}/{name} changed from {LvmSize(old)} ({cur} extents) to {LvmSize(lv.SizeBytes)} ({extents} extents).\n"
                   + $"  Logical volume {vgName}/{name} successfully resized.");
    }

    static (int, string) LvRemove(SimulatedHostState s, string vgName, string name)
    {
        if (NoVg(s, vgName) is { } e) return e;
        var vg = s.VolumeGroups[vgName];
        if (!vg.LogicalVolumes.ContainsKey(name)) return (5, $"  Failed to find logical volume \"{vgName}/{name}\"");
        // LIO holds the device open while a backstore (block or fileio) uses it.
        foreach (var so in SimulatedHostState.Arr(s.Live, "storage_objects").OfType<System.Text.Json.Nodes.JsonObject>())
            if (s.TryGetLogicalVolume((string?)so["dev"] ?? "", out var v, out var l) && v == vgName && l == name)
                return (5, $"  Logical volume {vgName}/{name} in use.");
        vg.LogicalVolumes.Remove(name);
        return (0, $"  Logical volume \"{name}\" successfully removed.");
    }

    static (int, string) Dd(SimulatedHostState s, string source, string device)
    {
        var src = N(source);
        if (!s.Files.TryGetValue(src, out var f)) return (2, $"source image {source} does not exist");
        if (!s.TryGetLogicalVolume(device, out var vg, out var lvName)) return (1, $"dd: failed to open '{device}': No such file or directory");
        var lv = s.VolumeGroups[vg].LogicalVolumes[lvName];
        lv.Content = f.Content;
        if (f.SizeBytes > lv.SizeBytes) return (1, $"dd: error writing '{device}': No space left on device");
        return (0, "");
    }
}
