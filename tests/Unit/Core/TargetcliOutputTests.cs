using PureBoot.Core.Lio;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Targetcli;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

public class TargetcliOutputTests
{
    [Fact]
    public void SplitsTheRealBatchOutputByPrompt()
    {
        // The real stdout: every line gets a prompt; only successes print to stdout.
        var script = File.ReadAllLines(FixturePaths.Targetcli("batch-with-errors.script"));
        var (banner, chunks) = TargetcliSyntax.SplitByPrompt(FixturePaths.Read("batch-with-errors.stdout"), script.Length);
        Assert.StartsWith("targetcli shell version 2.1.53", banner);
        Assert.Equal("Parameter auto_save_on_exit is now 'false'.", chunks[0]);
        Assert.Equal("", chunks[1]);                                  // the failed fileio create printed to stderr only
        Assert.Equal("Parameter userid is now 'u'.\nParameter password is now 'short'.", chunks[8]);
        Assert.StartsWith("Using default IP port 3260", chunks[9]);
        Assert.Equal("Deleted storage object node1.", chunks[10]);
        Assert.Equal("", chunks[15]);
        Assert.Equal("(no open sessions)", chunks[16]);
    }

    [Fact]
    public void RoutineConfirmationsAreNotErrors()
    {
        Assert.True(TargetcliSyntax.IsRoutine("Created fileio web01 with size 67108864"));
        Assert.True(TargetcliSyntax.IsRoutine("Parameter userid is now 'u'."));
        Assert.True(TargetcliSyntax.IsRoutine("Deleted storage object node1."));
        foreach (var err in FixturePaths.Read("batch-with-errors.stderr").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.False(TargetcliSyntax.IsRoutine(err), err);
    }

    [Theory]
    [InlineData("/iscsi/x/tpg1/acls/y set auth userid=u password=abcdefghijkl", "/iscsi/x/tpg1/acls/y set auth userid=u password=********")]
    [InlineData("set auth mutual_userid=m mutual_password=Zz9.Zz9.Zz9.", "set auth mutual_userid=m mutual_password=********")]
    public void RedactsSecretsInLines(string line, string expected) => Assert.Equal(expected, Redaction.RedactTargetcliLine(line));

    [Fact]
    public void RedactsSecretsInOutputAndJson()
    {
        var text = Redaction.RedactText(FixturePaths.Read("batch-with-errors.stdout") + FixturePaths.Read("saveconfig.json"));
        Assert.DoesNotContain("short", text);
        Assert.DoesNotContain("secretpass1234", text);
        Assert.DoesNotContain("mutualsecret99", text);
        Assert.Contains("\"chap_userid\": \"node1user\"", text);
    }
}
