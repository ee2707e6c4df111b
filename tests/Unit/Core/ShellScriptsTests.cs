using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

public class ShellScriptsTests
{
    const string Nonce = "0123456789abcdef";

    [Fact]
    public void TargetcliBlockFeedsLinesVerbatimInAQuotedHeredocAndReadsTheSavedConfigBack()
    {
        var lines = new[] { "set global auto_save_on_exit=false", "/backstores/fileio create name=web01 file_or_dev=/var/lib/pureboot/luns/web01.img size=1073741824 sparse=true", "saveconfig", "exit" };
        var text = ShellScripts.Targetcli(Nonce, lines, "/etc/rtslib-fb-target/saveconfig.json").Split('\n');
        Assert.Equal("{", text[0]);
        Assert.Equal($"HOME=\"$pb_t\" PYTHONUNBUFFERED=1 targetcli >\"$pb_t/tc.out\" 2>&1 <<'PB_TC_{Nonce}'", text[1]);
        Assert.Equal(lines, text[2..6]);
        Assert.Equal($"PB_TC_{Nonce}", text[6]);
        Assert.Equal($"echo \"@@PB-RC {Nonce} $?\"", text[7]);
        Assert.Equal("sync", text[8]);                      // durable before the batch is reported done
        Assert.Contains("cat '/etc/rtslib-fb-target/saveconfig.json'", text[10]);
        Assert.Equal("} </dev/null", text[11]);
    }

    [Theory]
    [InlineData("a\nrm -rf /")]
    [InlineData("a\rb")]
    [InlineData("PB_TC_0123456789abcdef")]
    public void TargetcliBlockRefusesLinesThatCouldEndTheHeredoc(string line) =>
        Assert.Throws<ArgumentException>(() => ShellScripts.Targetcli(Nonce, new[] { line }, "/x"));

    [Fact]
    public void StepsCallFixedFunctionsWithQuotedArguments()
    {
        var steps = new HostStep[]
        {
            new MakeDirectory("a", "/var/lib/pureboot/luns"),
            new CopyImage("a", "/img/gold.img", "/var/lib/pureboot/luns/web01.img"),
            new GrowFile("b", "/var/lib/pureboot/luns/web01.img", 2147483648),
            new RemoveFile("b", "/var/lib/pureboot/luns/x'y.img"),
            new CreateLogicalVolume("c", "pureboot", "web02", 1073741824),
            new ExtendLogicalVolume("c", "pureboot", "web02", 2147483648),
            new RemoveLogicalVolume("c", "pureboot", "web02"),
            new CopyImageToDevice("c", "/img/gold.img", "/dev/pureboot/web02"),
        };
        var text = ShellScripts.Steps(steps).Split('\n');
        Assert.Equal(new[]
        {
            "{",
            "pb_step 0 pb_mkdir '/var/lib/pureboot/luns'",
            "pb_step 1 pb_copy '/img/gold.img' '/var/lib/pureboot/luns/web01.img'",
            "pb_step 2 pb_grow '/var/lib/pureboot/luns/web01.img' 2147483648",
            "pb_step 3 pb_rm '/var/lib/pureboot/luns/x'\\''y.img'",
            "pb_step 4 pb_lvcreate 'pureboot' 'web02' 1073741824",
            "pb_step 5 pb_lvextend 'pureboot' 'web02' 2147483648",
            "pb_step 6 pb_lvremove 'pureboot' 'web02'",
            "pb_step 7 pb_dd '/img/gold.img' '/dev/pureboot/web02'",
            "} </dev/null",
            "",
        }, text);
    }

    [Fact]
    public void PreludeTakesTheLockBeforeSayingReady()
    {
        var p = ShellScripts.Prelude(Nonce, 300);
        var lockAt = p.IndexOf("flock -w 300 9", StringComparison.Ordinal);
        var readyAt = p.IndexOf($"@@PB-READY {Nonce}", StringComparison.Ordinal);
        Assert.True(lockAt > 0 && readyAt > lockAt);
        Assert.Contains("umask 077", p);
        Assert.Contains("set -u", p);
    }

    [Fact]
    public void SnapshotPassesOnlyTheValidatedStoragePathAsAnArgument_AndStartsNoTargetcli()
    {
        var b = new Backend { Name = "san1", Storage = StorageKind.Block, StoragePath = "pureboot" };
        var text = ShellScripts.Snapshot(Nonce, b, new SnapshotRequest(IncludeSessions: true));
        Assert.Contains("pb_py /dev/null fd:8 \"$pb_t/py.err\" lio_snapshot.py 'block' 'pureboot' 1\n", text);
        Assert.DoesNotContain("targetcli", text);
        Assert.EndsWith("} </dev/null\n", text);
    }

    [Fact]
    public void ThePythonProgramsAreWrittenIntoThePrivateTempDirSingleQuoted()
    {
        var text = ShellScripts.PythonFile("lio_snapshot.py");
        Assert.StartsWith("printf '%s\\n' '# PureBoot", text);
        Assert.Contains("RTSRoot()", text);
        Assert.Contains("default_save_file", text);
        Assert.Contains("/acls/%s/info", text);   // sessions: each node ACL's configfs info file, as NodeACL.session reads it
        Assert.EndsWith("' >\"$pb_t/lio_snapshot.py\"\n", text);
    }

    [Fact]
    public void RtslibBlockWritesThePlanWithABuiltinAndTheAgentRunsIt()
    {
        var json = "{\"save_file\":\"/etc/x.json\",\"changes\":[{\"password\":\"it's\"}]}";
        var text = ShellScripts.Rtslib(Nonce, json).Split('\n');
        Assert.Equal("printf '%s\\n' '{\"save_file\":\"/etc/x.json\",\"changes\":[{\"password\":\"it'\\''s\"}]}' >\"$pb_t/plan.json\"", text[1]);
        Assert.Equal($"pb_py \"$pb_t/plan.json\" fd:8 \"$pb_t/ra.err\" rtslib_apply.py --sections {Nonce}", text[2]);
        Assert.Equal($"echo \"@@PB-RC {Nonce} $?\"", text[3]);
        Assert.Throws<ArgumentException>(() => ShellScripts.Rtslib(Nonce, "{}\nrm -rf /"));
    }
}
