using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Simulation;

// PLACEHOLDER written by the lead so the engine compiles: the simulator author replaces this file
// (keep the class name SimulatedTargetHostConnector : ITargetHostConnector, parameterless constructor).
public sealed class SimulatedTargetHostConnector : ITargetHostConnector
{
    public Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("simulator not written yet");
}
