using System.Security.Cryptography;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Simulation;
using PureBoot.Core.Lio;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using PureBoot.Core.Transport.Targetcli;

namespace PureBoot.Tests.Unit.Engine;

/// <summary>Counts and records what reaches a host, so tests can prove what was (not) sent.</summary>
public sealed class RecordingConnector : ITargetHostConnector
{
    readonly ITargetHostConnector _inner;
    public RecordingConnector(ITargetHostConnector inner) => _inner = inner;
    public int Opens;
    /// <summary>LIO plans applied (one per batch per backend, plus a follow-up when failed items are cleaned up).</summary>
    public int Applies;
    /// <summary>Every change applied, and the same as targetcli lines (how tests read a plan, whatever the executor).</summary>
    public List<LioChange> Changes { get; } = new();
    public List<string> Lines { get; } = new();
    public List<HostStep> Steps { get; } = new();
    /// <summary>Set to make the next ApplyAsync fail as if the connection dropped.</summary>
    public bool DropOnApply;
    /// <summary>Crash injection: the Nth host call (snapshot, steps or targetcli, counted from 1) fails, before or after it ran.</summary>
    public int? FailAtCall;
    public bool FailAfterCall;
    /// <summary>Runs before the Nth host call (counted as for <see cref="FailAtCall"/>): something changes on the host meanwhile.</summary>
    public Action<int>? BeforeCall;
    int _calls;

    async Task<T> Call<T>(Backend b, Func<Task<T>> run)
    {
        var n = Interlocked.Increment(ref _calls);
        BeforeCall?.Invoke(n);
        var crash = FailAtCall == n;
        if (crash && !FailAfterCall) throw Dropped(b);
        var r = await run();
        if (crash) throw Dropped(b);
        return r;
    }

    static TargetHostException Dropped(Backend b) => new(b.Endpoint, TargetHostFailure.Unreachable, $"Cannot reach backend '{b.Name}': connection reset (injected)");
    public void ResetCalls() { _calls = 0; FailAtCall = null; }

    public async Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken ct = default)
    {
        Interlocked.Increment(ref Opens);
        return new Session(this, await _inner.OpenAsync(backend, ct));
    }

    sealed class Session(RecordingConnector owner, ITargetHostSession inner) : ITargetHostSession
    {
        public Backend Backend => inner.Backend;
        public int TargetcliStarts => inner.TargetcliStarts;
        public int Exchanges => inner.Exchanges;
        public long BytesSent => inner.BytesSent;
        public Task<HostSnapshot> SnapshotAsync(SnapshotRequest r, CancellationToken ct = default) => owner.Call(Backend, () => inner.SnapshotAsync(r, ct));
        public Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken ct = default)
        {
            lock (owner) owner.Steps.AddRange(steps);
            return owner.Call(Backend, () => inner.RunStepsAsync(steps, ct));
        }
        public Task<LioApplyResult> ApplyAsync(IReadOnlyList<LioChange> changes, CancellationToken ct = default)
        {
            if (owner.DropOnApply) throw new TargetHostException(Backend.Endpoint, TargetHostFailure.Unreachable, $"Cannot reach backend '{Backend.Name}': connection reset");
            lock (owner) { owner.Changes.AddRange(changes); owner.Lines.AddRange(TargetcliSyntax.Render(changes).Select(r => r.Line)); owner.Applies++; }
            return owner.Call(Backend, () => inner.ApplyAsync(changes, ct));
        }
        public Task<string?> ProbeTargetcliAsync(CancellationToken ct = default) => owner.Call(Backend, () => inner.ProbeTargetcliAsync(ct));
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

public sealed class EngineHarness : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("pb-engine-").FullName;
    public string DbPath => Path.Combine(Dir, "pureboot.db");
    public string StatePath => Path.Combine(Dir, "sim.json");
    public byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);
    public RecordingConnector Connector { get; }
    public PureBootEngine Engine { get; }
    public List<string> Log { get; } = new();

    public EngineHarness()
    {
        Connector = new RecordingConnector(new RoutingConnector(new ShellTargetHostConnector(), new SimulatedTargetHostConnector()));
        Engine = NewEngine();
        Engine.Log = l => { lock (Log) Log.Add(l); };
    }

    /// <summary>Another engine (another "process") on the same inventory file and simulated host.</summary>
    public PureBootEngine NewEngine() => new(new InventoryStore(DbPath), Connector, () => new SecretBox(Key));

    public Backend AddBackend(string name = "san1", StorageKind storage = StorageKind.FileIO, TargetMode mode = TargetMode.Shared, string? state = null) =>
        Engine.AddBackend(new BackendSpec
        {
            Name = name, Transport = TransportKind.Simulated, SimulationStatePath = state ?? StatePath, Storage = storage, Mode = mode,
            StoragePath = storage == StorageKind.FileIO ? "/var/lib/pureboot/luns" : "pureboot",
        });

    public SimulatedHostState State => SimulatedHostState.Load(StatePath);

    public void Mutate(Action<SimulatedHostState> change)
    {
        var s = SimulatedHostState.Load(StatePath);
        change(s);
        s.Save(StatePath);
    }

    public async Task<IReadOnlyList<LunOutcome>> Create(params string[] names) =>
        await Engine.CreateLunsAsync(names.Select(n => new LunCreateRequest { Name = n, SizeBytes = 64L << 20, Backend = "san1" }).ToList());

    public static LunCreateRequest Req(string name, long size = 64L << 20, string backend = "san1") => new() { Name = name, SizeBytes = size, Backend = backend };

    public SimulatedLoginResult Login(string initiator, string target, int lun, string? user = null, string? secret = null, string? mutualUser = null, string? mutualSecret = null) =>
        SimulatedInitiator.Login(State, initiator, target, lun, user, secret, mutualUser, mutualSecret);

    public void Dispose()
    {
        Engine.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Dir, true); } catch { }
    }
}
