using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

/// <summary>The shell transport for real: a local bash speaking the same protocol as over ssh (no targetcli needed for steps).</summary>
public class LocalShellSessionTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pb-shell-").FullName;
    readonly Backend _local = new() { Name = "local1", Transport = TransportKind.Local };
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task RunsStepsAndReportsEachOutcome()
    {
        var connector = new ShellTargetHostConnector(new ShellOptions { LockWaitSeconds = 30 });
        await using var s = await connector.OpenAsync(_local);
        var img = Path.Combine(_dir, "gold.img");
        await File.WriteAllBytesAsync(img, new byte[4096]);
        var dst = Path.Combine(_dir, "luns", "web01.img");
        var results = await s.RunStepsAsync(new HostStep[]
        {
            new MakeDirectory("a", Path.Combine(_dir, "luns")),
            new CopyImage("a", img, dst),
            new CopyImage("b", img, dst),                       // exists: refused, nothing overwritten
            new GrowFile("a", dst, 1 << 20),
            new GrowFile("c", dst, 512),                        // shrink: refused
            new CopyImage("d", Path.Combine(_dir, "missing.img"), Path.Combine(_dir, "luns", "x.img")),
            new RemoveFile("a", Path.Combine(_dir, "luns", "nothing.img")),
        });
        Assert.Equal(new[] { true, true, false, true, false, false, true }, results.Select(r => r.Ok));
        Assert.Contains("refusing to overwrite", results[2].Message);
        Assert.Contains("refusing to shrink", results[4].Message);
        Assert.Contains("does not exist", results[5].Message);
        Assert.Equal(1 << 20, new FileInfo(dst).Length);
        Assert.Equal(1, s.Exchanges);
    }

    [Fact]
    public async Task ASecondSessionWaitsForTheLockAndGivesUpClearly()
    {
        var c1 = new ShellTargetHostConnector(new ShellOptions { LockWaitSeconds = 30 });
        var c2 = new ShellTargetHostConnector(new ShellOptions { LockWaitSeconds = 1 });
        await using var first = await c1.OpenAsync(_local);
        var e = await Assert.ThrowsAsync<TargetHostException>(() => c2.OpenAsync(_local));
        Assert.Equal(TargetHostFailure.LockTimeout, e.Failure);
        Assert.Contains("local1", e.Message);
        await first.DisposeAsync();
        await using var third = await c2.OpenAsync(_local);   // free again
    }

    [Fact]
    public async Task UnreachableSshHostFailsFastNamingTheHost()
    {
        var b = new Backend { Name = "gone", Transport = TransportKind.Ssh, Host = "127.0.0.1", Port = 1, User = "root" };
        var connector = new ShellTargetHostConnector(new ShellOptions { ConnectTimeoutSeconds = 3, ControlDirectory = Path.Combine(_dir, "ctl") });
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TargetHostException>(() => connector.OpenAsync(b));
        Assert.Equal(TargetHostFailure.Unreachable, e.Failure);
        Assert.Contains("127.0.0.1:1", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30));
    }
}
