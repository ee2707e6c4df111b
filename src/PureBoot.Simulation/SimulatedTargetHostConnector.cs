using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;

namespace PureBoot.Simulation;

public sealed class SimulatedTargetHostOptions
{
    /// <summary>How long OpenAsync waits for another session holding the same state file.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan LockRetryInterval { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Receives redacted progress text (-Verbose).</summary>
    public Action<string>? Log { get; set; }
    /// <summary>
    /// The key the state file's CHAP passwords are sealed with (the PowerShell layer hands PureBoot's own); null writes
    /// them as a real host's saveconfig.json holds them, in plain text (unit tests).
    /// </summary>
    public Func<SecretBox>? Secrets { get; set; }
}

/// <summary>Opens sessions on simulated storage hosts (Backend.Transport = Simulated).</summary>
public sealed class SimulatedTargetHostConnector : ITargetHostConnector
{
    readonly SimulatedTargetHostOptions _options;
    public SimulatedTargetHostConnector(SimulatedTargetHostOptions? options = null) => _options = options ?? new SimulatedTargetHostOptions();

    public async Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default) =>
        await SimulatedTargetHost.OpenAsync(backend, _options, cancellationToken);
}
