using System.Diagnostics;
using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Shell;

/// <summary>
/// The default executor: the plan as JSON on the stdin of rtslib_apply.py, run with python3-rtslib-fb in the same
/// session and under the same locks (PureBoot's and targetcli's own), which applies each change, saves with rtslib
/// (0600) and syncs. No targetcli start. Each change reports ok or its error; the saved config read back decides.
/// </summary>
internal static class RtslibExecutor
{
    public static async Task<LioApplyResult> ApplyAsync(ShellSession s, IReadOnlyList<LioChange> changes, string saveFile, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var json = RtslibPlan.Serialize(saveFile, changes);
        var output = await s.ExchangeAsync(s.WithPython("rtslib_apply.py", ShellScripts.Rtslib(s.Nonce, json)), ct);
        var rc = s.ReturnCode(output);
        var result = s.Section(output, "out", out _);
        var stderr = s.Section(output, "raerr", out _);
        if (rc != 0 || string.IsNullOrWhiteSpace(result)) throw HostFailures.Rtslib(s.Backend, stderr.Length > 0 ? stderr : result, rc, "apply the plan");
        var saved = s.ParseSaved(s.Section(output, "saved", out _));
        s.Log($"rtslib applied {changes.Count} changes in {sw.ElapsedMilliseconds} ms ({json.Length} bytes of plan)");
        return RtslibPlan.ReadResult(changes, JsonNode.Parse(result)!.AsObject(), saved, sw.Elapsed, Redaction.RedactText(stderr.Trim()));
    }
}
