using PureBoot.Core.Model;

namespace PureBoot.Core.Transport;

/// <summary>
/// Picks the connector for a backend's transport: the shell one (local bash, sudo, SSH) or the simulated one, which
/// lives outside Core (PureBoot.Simulation) and is handed in by whoever wires the engine (the PowerShell layer).
/// </summary>
public sealed class RoutingConnector : ITargetHostConnector
{
    public ITargetHostConnector Shell { get; }
    public ITargetHostConnector? Simulated { get; }

    public RoutingConnector(ITargetHostConnector shell, ITargetHostConnector? simulated = null)
    {
        Shell = shell;
        Simulated = simulated;
    }

    public Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default)
    {
        if (backend.Transport != TransportKind.Simulated) return Shell.OpenAsync(backend, cancellationToken);
        return (Simulated ?? throw new TargetHostException(backend.Endpoint, TargetHostFailure.Unreachable,
            $"Backend '{backend.Name}' is simulated, but this PureBoot has no simulated transport wired in.")).OpenAsync(backend, cancellationToken);
    }
}
