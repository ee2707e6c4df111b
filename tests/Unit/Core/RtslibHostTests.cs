using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PureBoot.Core.Lio;
using PureBoot.Core.Transport.Shell;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

/// <summary>The python PureBoot ships for the rtslib path, and real outputs of it from the lab VM (Fixtures/rtslib-lab).</summary>
public class RtslibHostTests
{
    const string Nonce = "0123456789abcdef";

    [Theory]
    [InlineData("rtslib_apply.py", "def main():")]
    [InlineData("lio_snapshot.py", "def sessions(live):")]
    [InlineData(ShellScripts.PythonCommon, "def dump(root):")]
    [InlineData(ShellScripts.PythonAgent, "def run(module, argv, files):")]
    public void EachProgramIsEmbeddedAndWrittenExactlyByABuiltin(string file, string marker)
    {
        var text = ShellScripts.PythonFile(file);
        Assert.StartsWith("printf '%s\\n' '", text);
        Assert.EndsWith($"' >\"$pb_t/{file}\"\n", text);
        // Run by a real bash: the file it writes is the embedded program, byte for byte.
        var dir = Directory.CreateTempSubdirectory("pb-py-").FullName;
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardError = true };
            psi.Environment["pb_t"] = dir;
            using (var p = System.Diagnostics.Process.Start(psi)!)
            {
                p.StandardInput.Write(text);
                p.StandardInput.Close();
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
            }
            using var resource = typeof(ShellScripts).Assembly.GetManifestResourceStream("PureBoot.Shell." + file)!;
            var embedded = new StreamReader(resource).ReadToEnd().TrimEnd('\n') + "\n";
            var written = File.ReadAllText(Path.Combine(dir, file));
            Assert.Equal(embedded, written);
            Assert.Contains(marker, written);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BothProgramsImportTheCommonModuleFromTheirOwnDirectory()
    {
        foreach (var f in new[] { "rtslib_apply.py", "lio_snapshot.py" })
        {
            var text = ShellScripts.PythonFile(f);
            Assert.Contains("here = os.path.dirname(os.path.abspath(__file__))", text);
            Assert.Contains("sys.path.insert(0, here)", text);
            Assert.Contains("def cli():", text);   // what pb_agent.py runs
            Assert.Contains("import rtslib_common", text);
        }
    }

    [Fact]
    public void SessionsFromConfigfsAreTheOnesTargetcliSessionsDetailListedAtTheSameMoment()
    {
        var snap = SnapshotJson.Parse(JsonNode.Parse(FixturePaths.RtslibLab("snapshot-two-sessions.json"))!.AsObject());
        var detail = FixturePaths.RtslibLab("sessions-detail-two-sessions.txt");
        // targetcli 2.1.53: "alias: \tsid: 1 type: Normal session-state: LOGGED_IN", "    name: IQN (NOT AUTHENTICATED)",
        // "    mapped-lun: 0 backstore: fileio/x mode: rw", "    address: 10.0.2.2 (TCP)  cid: 0 connection-state: ..."
        var fromTargetcli = Regex.Matches(detail, @"sid: (\d+) type: \S+ session-state: (\S+)\n\s+name: (\S+) \((NOT )?AUTHENTICATED\)\n\s+mapped-lun: (\d+) backstore: (\S+) mode: \S+\n\s+address: (\S+)", RegexOptions.IgnoreCase)
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value} {m.Groups[3].Value} {m.Groups[4].Value.Length == 0} {m.Groups[5].Value} /backstores/{m.Groups[6].Value} {m.Groups[7].Value}").ToList();
        var fromJson = snap.Sessions.Select(s => $"{s.Sid} {s.State} {s.InitiatorIqn} {s.Authenticated} {s.Luns.Single().MappedLun} {s.Luns.Single().StorageObject} {s.Addresses.Single()}").ToList();
        Assert.Equal(2, fromTargetcli.Count);
        Assert.Equal(fromTargetcli, fromJson);
        Assert.All(snap.Sessions, s => Assert.Equal("iqn.2026-01.local.pureboot:bench", s.TargetIqn));
        Assert.True(snap.Sessions.Single(s => s.InitiatorIqn.EndsWith("node-0000")).Sees("/backstores/fileio/pb-bench-0000"));
        // what targetcli does not say: the kernel demanded CHAP at login ("NOT AUTHENTICATED" there means no mutual CHAP)
        var raw = JsonNode.Parse(FixturePaths.RtslibLab("snapshot-two-sessions.json"))!["sessions"]!.AsArray();
        Assert.All(raw, s => Assert.True(s!["chap_required"]!.GetValue<bool>()));
        Assert.Empty(SnapshotJson.Parse(JsonNode.Parse(FixturePaths.RtslibLab("snapshot-no-sessions.json"))!.AsObject()).Sessions);
    }

    [Fact]
    public void TheSnapshotsLiveDumpParsesAsASavedConfig()
    {
        var snap = SnapshotJson.Parse(JsonNode.Parse(FixturePaths.RtslibLab("snapshot-two-sessions.json"))!.AsObject());
        var tpg = snap.Live.FindTarget("iqn.2026-01.local.pureboot:bench")!.Tpg1!;
        Assert.Equal(4, snap.Live.StorageObjects.Count);
        Assert.Equal(4, tpg.Luns.Count);
        Assert.Equal("/etc/rtslib-fb-target/saveconfig.json", snap.SaveConfigPath);
        Assert.Equal("2.1.53", snap.TargetcliVersion);
        Assert.Contains(snap.Storage, e => e.Name == "pb-bench-0003.img" && e.SizeBytes == 16L << 20);
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
