using System.Diagnostics;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport.Targetcli;

namespace PureBoot.Core.Transport.Shell;

/// <summary>
/// The plan as one targetcli script fed on stdin (<c>set global auto_save_on_exit=false</c> ... <c>saveconfig</c>), for
/// hosts where only targetcli may change LIO. targetcli prints, it does not answer: each change gets the text its
/// lines printed (Ok unknown), and the saved config read back decides.
/// </summary>
internal static class TargetcliExecutor
{
    public static async Task<LioApplyResult> ApplyAsync(ShellSession s, IReadOnlyList<LioChange> changes, string saveFile, CancellationToken ct)
    {
        var rendered = TargetcliSyntax.Render(changes);
        var script = TargetcliSyntax.Script(rendered.Select(r => r.Line));
        var sw = Stopwatch.StartNew();
        var output = await s.ExchangeAsync(ShellScripts.Targetcli(s.Nonce, script, saveFile), ct);
        s.CountTargetcliStart();
        var rc = s.ReturnCode(output);
        var console = s.Section(output, "out", out _);
        var saved = s.Section(output, "saved", out _);
        if (rc != 0) throw HostFailures.Targetcli(s.Backend, console, rc);
        s.Log($"targetcli ran {rendered.Count} lines in {sw.ElapsedMilliseconds} ms");
        return TargetcliSyntax.ToResult(changes, rendered, console, s.ParseSaved(saved), sw.Elapsed);
    }
}
