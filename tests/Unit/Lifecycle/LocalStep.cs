using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;

namespace PureBoot.Tests.Unit.Lifecycle;

/// <summary>
/// Runs one host step's real shell function in a local bash session (the prelude PureBoot sends to a storage host),
/// after bash functions that stand in for commands this machine lacks (dmsetup, lvs, lvcreate, ...).
/// </summary>
internal static class LocalStep
{
    /// <returns>The step's exit code and output, and every line of the exchange (what <paramref name="after"/> printed too).</returns>
    public static async Task<(string Rc, string Output, IReadOnlyList<string> Lines)> RunAsync(string standIns, HostStep step, string after = "")
    {
        var connector = new ShellTargetHostConnector(new ShellOptions { LockWaitSeconds = 30 });
        await using var session = (ShellSession)await connector.OpenAsync(new Backend { Name = "local1", Transport = TransportKind.Local });
        var block = standIns + "\n" + ShellScripts.Steps(new[] { step }) + after;
        var lines = await session.ExchangeAsync("{\n" + block + "\n} </dev/null\n", default);
        var f = lines.Single(l => l.StartsWith("@@PB-STEP 0 ", StringComparison.Ordinal)).Split(' ');
        return (f[2], f.Length > 3 ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(f[3])) : "", lines);
    }
}
