using PureBoot.Core.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Simulation;

public class TargetcliFidelityTests
{
    [Fact]
    public void BatchWithErrors_ReproducesTheRealStdoutAndStderrByteForByte()
    {
        var host = SimFixtures.FixtureHost();
        var run = new TargetcliSimulator(host).Run(SimFixtures.ScriptLines("batch-with-errors.script"));
        Assert.Equal(SimFixtures.Read("batch-with-errors.stdout"), run.Stdout);
        Assert.Equal(SimFixtures.Read("batch-with-errors.stderr"), run.Stderr);
        Assert.Equal(0, run.ExitCode);
    }
}
