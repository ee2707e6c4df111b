using System.Collections.Concurrent;
using PureBoot.Core.Inventory;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using PureBoot.Simulation;

namespace PureBoot.PowerShell;

/// <summary>
/// One <see cref="PureBootEngine"/> per inventory file per process, shared by every runspace. The engine's
/// Log and Progress callbacks are installed once and forwarded to whichever cmdlet call is running on the
/// current logical flow (<see cref="EngineSink.Current"/>), so concurrent runspaces never see each other's lines.
/// </summary>
internal static class EngineCache
{
    static readonly ConcurrentDictionary<string, Lazy<PureBootEngine>> Engines = new(StringComparer.Ordinal);

    /// <summary>The engine for an already resolved inventory path (see <see cref="InventoryPaths.Resolve"/>).</summary>
    public static PureBootEngine Get(string resolvedPath)
    {
        var lazy = Engines.GetOrAdd(resolvedPath, p => new Lazy<PureBootEngine>(() => Create(p), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not keep a failure (a locked or unreadable file): the next call tries again.
            Engines.TryRemove(new KeyValuePair<string, Lazy<PureBootEngine>>(resolvedPath, lazy));
            throw;
        }
    }

    /// <summary>The engine for a path only if its file already exists (argument completion must not create files).</summary>
    public static PureBootEngine? TryGetExisting(string resolvedPath)
    {
        if (Engines.TryGetValue(resolvedPath, out var lazy) && lazy.IsValueCreated) return lazy.Value;
        return File.Exists(resolvedPath) ? Get(resolvedPath) : null;
    }

    static PureBootEngine Create(string path)
    {
        var engine = PureBootEngine.Open(path, ConnectorFactory.Create(EngineSink.Dispatch));
        engine.Log = EngineSink.Dispatch;
        engine.Progress = EngineSink.ProgressDispatcher;
        return engine;
    }

    /// <summary>Closes every engine (Remove-Module).</summary>
    public static void DisposeAll()
    {
        foreach (var key in Engines.Keys.ToList())
        {
            if (Engines.TryRemove(key, out var lazy) && lazy.IsValueCreated)
            {
                try { lazy.Value.Dispose(); } catch { /* closing on unload: nothing to report to */ }
            }
        }
    }
}

/// <summary>
/// Chooses how each backend's host is reached: the shell transport (local bash, sudo, the OpenSSH client) or the
/// simulated host the module ships for runbook tests and demos. Core only sees the <see cref="ITargetHostConnector"/>.
/// </summary>
internal static class ConnectorFactory
{
    public static ITargetHostConnector Create(Action<string> log)
    {
        // The simulated host's state file seals its CHAP passwords with PureBoot's own secret key (read again when it changes).
        var keyring = new SecretKeyring(null, _ => { });
        return new RoutingConnector(
            new ShellTargetHostConnector(new ShellOptions { Log = log }),
            new SimulatedTargetHostConnector(new SimulatedTargetHostOptions { Log = log, Secrets = () => keyring.Current }));
    }
}

/// <summary>
/// Collects what the engine reports while one cmdlet call runs (possibly on thread-pool threads) so the cmdlet can
/// write it from the pipeline thread: PowerShell's Write* methods may only be called there.
/// </summary>
internal sealed class EngineSink
{
    static readonly AsyncLocal<EngineSink?> CurrentSink = new();

    public static EngineSink? Current
    {
        get => CurrentSink.Value;
        set => CurrentSink.Value = value;
    }

    public static readonly Action<string> Dispatch = text => Current?.Enqueue(new SinkItem(text, null));
    public static readonly IProgress<BatchProgress> ProgressDispatcher = new Dispatcher();

    readonly ConcurrentQueue<SinkItem> _items = new();

    /// <summary>Set whenever something is queued, so the waiting cmdlet wakes up at once.</summary>
    public AutoResetEvent Signal { get; } = new(false);

    void Enqueue(SinkItem item)
    {
        _items.Enqueue(item);
        try { Signal.Set(); } catch (ObjectDisposedException) { }
    }

    public bool TryDequeue(out SinkItem item) => _items.TryDequeue(out item!);

    sealed class Dispatcher : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => Current?.Enqueue(new SinkItem(null, value));
    }
}

/// <summary>Either a verbose line or a progress report.</summary>
internal readonly record struct SinkItem(string? Text, BatchProgress? Progress);
