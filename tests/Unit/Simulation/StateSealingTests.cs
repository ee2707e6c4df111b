using System.Security.Cryptography;
using PureBoot.Core.Lio;
using PureBoot.Core.Secrets;
using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Simulation;

/// <summary>The simulated host's state file: 0600, and no CHAP password in it in plain text when a key is given.</summary>
public class StateSealingTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pb-sealing-").FullName;
    readonly SecretBox _box = new(RandomNumberGenerator.GetBytes(32));
    public void Dispose() { try { Directory.Delete(_dir, true); } catch { } }

    const string Acl = "iqn.2026-01.local.pureboot:node:525400000001";
    const string Target = "iqn.2026-01.local.pureboot:san1";

    SimulatedHostState StateWithChap()
    {
        var s = SimulatedHostState.CreateDefault();
        var run = new TargetcliSimulator(s).Run(new[]
        {
            $"/iscsi create {Target}",
            $"/iscsi/{Target}/tpg1/acls create {Acl} add_mapped_luns=false",
            $"/iscsi/{Target}/tpg1/acls/{Acl} set auth userid=web01 password=Secret-Web01-xyz mutual_userid=san1-target mutual_password=Mutual-San1-abcd",
            "saveconfig",
        });
        Assert.Equal("", run.Stderr);
        return s;
    }

    [Fact]
    public void TheFileIsPrivateAndHoldsNoPasswordInPlainText()
    {
        var path = Path.Combine(_dir, "sim.json");
        var s = StateWithChap();
        s.Save(path, _box);
        Assert.Equal(PrivateFileMode, File.GetUnixFileMode(path));
        var text = File.ReadAllText(path);
        Assert.DoesNotContain("Secret-Web01-xyz", text);
        Assert.DoesNotContain("Mutual-San1-abcd", text);
        Assert.Contains("pureboot-sealed:", text);
        Assert.Contains("web01", text);   // user names are not secrets

        var back = SimulatedHostState.Load(path, _box);
        Assert.Equal(s.LiveText(), back.LiveText());
        Assert.Equal(s.Saved, back.Saved);
        var acl = SaveConfigParser.Parse(back.Saved!).FindTpg(Target)!.FindAcl(Acl)!;
        Assert.True(acl.ChapPasswordEquals("Secret-Web01-xyz"));
        Assert.True(acl.ChapMutualPasswordEquals("Mutual-San1-abcd"));
    }

    static readonly UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void AnUnchangedStateIsWrittenByteForByteTheSame()
    {
        var path = Path.Combine(_dir, "sim.json");
        StateWithChap().Save(path, _box);
        var first = File.ReadAllBytes(path);
        SimulatedHostState.Load(path, _box).Save(path, _box);
        Assert.Equal(first, File.ReadAllBytes(path));
    }

    [Fact]
    public void WithoutTheKeySealedValuesStayAsTheyAreAndAnotherKeyCannotOpenThem()
    {
        var path = Path.Combine(_dir, "sim.json");
        StateWithChap().Save(path, _box);
        var blind = SimulatedHostState.Load(path);
        Assert.DoesNotContain("Secret-Web01-xyz", blind.LiveText());
        blind.Save(path);                                  // a tool without the key keeps them sealed
        Assert.DoesNotContain("Secret-Web01-xyz", File.ReadAllText(path));
        Assert.Contains("Secret-Web01-xyz", SimulatedHostState.Load(path, _box).Saved);
        Assert.ThrowsAny<Exception>(() => SimulatedHostState.Load(path, new SecretBox(RandomNumberGenerator.GetBytes(32))));
    }

    [Fact]
    public void WithoutAKeyTheStateIsWrittenAsARealHostHoldsItButStill0600()
    {
        var path = Path.Combine(_dir, "plain.json");
        StateWithChap().Save(path);
        Assert.Equal(PrivateFileMode, File.GetUnixFileMode(path));
        Assert.Contains("Secret-Web01-xyz", File.ReadAllText(path));
    }
}
