using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Transport;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

/// <summary>The host side of the rtslib executor: the shipped python and real outputs of it from the lab VM.</summary>
public class RtslibHostTests
{
    const string Nonce = "0123456789abcdef";

    [Theory]
    [InlineData(HostPython.Apply, "def main():")]
    [InlineData(HostPython.Snapshot, "def sessions(live):")]
    [InlineData(HostPython.Common, "def dump(root):")]
    public void EachProgramIsEmbedded(string file, string marker) => Assert.Contains(marker, HostPython.Text(file));

    [Fact]
    public void ThePreludeWritesTheProgramsIntoThePrivateTempDirAfterTakingTheLock()
    {
        var p = ShellScripts.Prelude(Nonce, 300);
        var lockAt = p.IndexOf("flock -w 300 9", StringComparison.Ordinal);
        var readyAt = p.IndexOf($"@@PB-READY {Nonce}", StringComparison.Ordinal);
        foreach (var f in new[] { HostPython.Common, HostPython.Snapshot, HostPython.Apply })
        {
            var at = p.IndexOf($"cat >\"$pb_t/{f}\" <<'PB_PY_{Nonce}'\n", StringComparison.Ordinal);
            Assert.True(at > lockAt && at < readyAt, f);
            Assert.Contains(HostPython.Text(f) + $"PB_PY_{Nonce}\n", p);
        }
    }

    [Fact]
    public void SessionsFromConfigfsReadLikeTargetcliSessionsDetailCapturedAtTheSameMoment()
    {
        var snap = JsonNode.Parse(FixturePaths.RtslibLab("snapshot-two-sessions.json"))!;
        var fromTargetcli = SessionsDetailParser.Parse(FixturePaths.RtslibLab("sessions-detail-two-sessions.txt"));
        var fromJson = RtslibSessions.Parse(snap["sessions"]);
        var rendered = SessionsDetailParser.Parse(RtslibSessions.ToTargetcliText(snap["sessions"]));
        Assert.Equal(2, fromTargetcli.Count);
        foreach (var list in new[] { fromJson, rendered })
        {
            Assert.Equal(fromTargetcli.Select(Key), list.Select(Key));
        }
        Assert.Equal(FixturePaths.RtslibLab("sessions-detail-two-sessions.txt").Replace("\r\n", "\n"), RtslibSessions.ToTargetcliText(snap["sessions"]));
        // what targetcli does not say: the kernel demanded CHAP at login (one-way: "NOT AUTHENTICATED" there)
        Assert.All(snap["sessions"]!.AsArray(), s => Assert.True(s!["chap_required"]!.GetValue<bool>()));
        Assert.Equal("(no open sessions)\n", RtslibSessions.ToTargetcliText(JsonNode.Parse(FixturePaths.RtslibLab("snapshot-no-sessions.json"))!["sessions"]));
    }

    static string Key(IscsiSession s) =>
        $"{s.Sid} {s.InitiatorIqn} {s.State} {s.Authenticated} {string.Join(",", s.MappedLuns)} {string.Join(",", s.Addresses)}";

    [Fact]
    public void TheSnapshotsLiveDumpParsesAsASavedConfig()
    {
        var snap = JsonNode.Parse(FixturePaths.RtslibLab("snapshot-two-sessions.json"))!;
        var live = SaveConfigParser.Parse(snap["live"]!.ToJsonString());
        var tpg = live.FindTarget("iqn.2026-01.local.pureboot:bench")!.Tpg1!;
        Assert.Equal(4, live.StorageObjects.Count);
        Assert.Equal(4, tpg.Luns.Count);
        Assert.Equal("/etc/rtslib-fb-target/saveconfig.json", snap["save_file"]!.GetValue<string>());
        Assert.Equal("2.1.53", snap["targetcli_version"]!.GetValue<string>());
    }

    [Fact]
    public void TheFileRtslibApplySavedHasTheObjectsThePlanMadeAndNotTheOnesThatFailed()
    {
        var saved = SaveConfigParser.Parse(FixturePaths.RtslibLab("saveconfig-by-rtslib_apply.json"));
        Assert.NotNull(saved.FindStorageObject("fileio", "pb-bench-0003"));
        Assert.Null(saved.FindStorageObject("fileio", "pb-dup"));
        Assert.Null(saved.FindStorageObject("block", "pb-nolv"));
        var acl = saved.FindTarget("iqn.2026-01.local.pureboot:bench")!.Tpg1!.FindAcl("iqn.2026-01.local.pureboot:node-0003")!;
        Assert.Equal(new[] { (0, 3) }, acl.MappedLuns.Select(m => (m.Index, m.TpgLun)));
        Assert.Equal("node-0003", acl.ChapUserId);
    }

    [Fact]
    public void AResultHasOneEntryPerChangeAndNoSecretOfThePlan()
    {
        var plan = JsonNode.Parse(FixturePaths.RtslibLab("plan-with-failures.json"))!["changes"]!.AsArray();
        var text = FixturePaths.RtslibLab("result-with-failures.json");
        var results = JsonNode.Parse(text)!["results"]!.AsArray();
        Assert.Equal(plan.Count, results.Count);
        Assert.Equal(6, results.Count(r => r!["ok"]!.GetValue<bool>()));
        foreach (var secret in plan.Select(c => c!["password"]?.GetValue<string>()).Where(p => p is not null))
            Assert.DoesNotContain(secret!, text);
        Assert.Equal("'***' is not a permitted value", results[14]!["error"]!.GetValue<string>());   // password "NULL", scrubbed
        Assert.True(JsonNode.Parse(text)!["saved"]!.GetValue<bool>());
    }
}
