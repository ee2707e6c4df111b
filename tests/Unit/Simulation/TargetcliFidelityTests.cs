using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Simulation;

/// <summary>The simulator against real targetcli 2.1.53 output, byte for byte.</summary>
public class TargetcliFidelityTests
{
    // The fixture README says the batch ran "after some of its objects already existed": saveconfig.json is that
    // pre-state (every "already exists" error of the batch names an object of it, and node1 is there to delete),
    // with the image files on disk. No other pre-state is needed.
    [Fact]
    public void BatchWithErrors_ReproducesTheRealStdoutAndStderrByteForByte()
    {
        var host = SimFixtures.FixtureHost();
        var run = new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.Read("batch-with-errors.script")));
        Assert.Equal(SimFixtures.Read("batch-with-errors.stdout"), run.Stdout);
        Assert.Equal(SimFixtures.Read("batch-with-errors.stderr"), run.Stderr);
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void BatchWithErrors_DeletesNode1AndItsLunAndMappedLunOnly()
    {
        var host = SimFixtures.FixtureHost();
        new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.Read("batch-with-errors.script")));
        var live = PureBoot.Core.Lio.SaveConfigParser.Parse(host.LiveText());
        Assert.Null(live.FindStorageObject("fileio", "node1"));
        var tpg = live.FindTarget("iqn.2026-01.local.pureboot:target1")!.Tpg1!;
        Assert.Equal(new[] { 1 }, tpg.Luns.Select(l => l.Index));
        Assert.Empty(tpg.FindAcl("iqn.2026-01.local.pureboot:node:aabbcc000001")!.MappedLuns);
        Assert.Single(tpg.FindAcl("iqn.2026-01.local.pureboot:node:aabbcc000002")!.MappedLuns);
        // the batch set a 5-character secret on node1's ACL, as the README notes
        Assert.Equal("u", tpg.FindAcl("iqn.2026-01.local.pureboot:node:aabbcc000001")!.ChapUserId);
        // auto_save_on_exit=false and no saveconfig: the saved file is untouched
        Assert.Equal(SimFixtures.Read("saveconfig.json"), host.Saved);
    }

    [Fact]
    public void Ls_OfTheFixtureState_IsTheRealTree()
    {
        var text = new TargetcliSimulator(SimFixtures.FixtureHost()).LsText();
        Assert.Equal(SimFixtures.Read("targetcli-ls.txt"), text);
    }

    [Fact]
    public void SessionsDetail_WithOneLoggedInInitiator_IsTheRealText()
    {
        var host = SimFixtures.FixtureHost();
        host.Sessions.Add(new SimulatedSession
        {
            InitiatorIqn = "iqn.2026-01.local.pureboot:node:aabbcc000001",
            TargetIqn = "iqn.2026-01.local.pureboot:target1",
            Sid = 4,
            Address = "10.0.2.2",
        });
        var run = new TargetcliSimulator(host).RunCommandLine("sessions detail");
        Assert.Equal(SimFixtures.Read("sessions-detail.txt"), run.Stdout);
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public void SaveConfig_OfTheFixtureState_IsTheFixtureFileByteForByte()
    {
        var host = SimFixtures.FixtureHost();
        var run = new TargetcliSimulator(host).Run(new[] { "set global auto_save_on_exit=false", "saveconfig", "exit" });
        Assert.Equal(SimFixtures.Read("saveconfig.json"), run.SavedDocument);
        Assert.Contains("Configuration saved to /etc/rtslib-fb-target/saveconfig.json\n", run.Stdout);
    }

    // ---- the lab VM captures (tests/Integration/lab/captures, copied to Fixtures/targetcli-2.1.53-lab) ----

    [Fact]
    public void LabCreateScript_MatchesTheRealMergedStdoutAndStderr()
    {
        var host = SimFixtures.LabHost();
        var run = new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.ReadLab("c1-create.script")));
        Assert.Equal(SimFixtures.ReadLab("c1-create.merged"), run.Merged);
        Assert.Equal(SimFixtures.ReadLab("c1-create.stdout"), run.Stdout);
        Assert.Equal(SimFixtures.ReadLab("c1-create.stderr"), run.Stderr);
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void LabCreateScript_SavesTheRealDocument_GeneratedFieldsAside()
    {
        var host = SimFixtures.LabHost();
        new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.ReadLab("c1-create.script")));
        Assert.Equal(SimFixtures.NormaliseGenerated(SimFixtures.ReadLab("c1-create.merged.saveconfig.json")),
                     SimFixtures.NormaliseGenerated(host.Saved!));
        Assert.Equal(SimFixtures.ReadLab("c1-create.merged.ls.txt"), new TargetcliSimulator(host).LsText());
    }

    [Fact]
    public void LabDeleteScript_AfterTheCreateScript_MatchesTheRealOutputAndSavedDocument()
    {
        var host = SimFixtures.LabHost();
        new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.ReadLab("c1-create.script")));
        var run = new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.ReadLab("c2-delete.script")));
        Assert.Equal(SimFixtures.ReadLab("c2-delete.merged"), run.Merged);
        Assert.Equal(SimFixtures.ReadLab("c2-delete.stdout"), run.Stdout);
        Assert.Equal(SimFixtures.ReadLab("c2-delete.stderr"), run.Stderr);
        Assert.Equal(SimFixtures.NormaliseGenerated(SimFixtures.ReadLab("c2-delete.merged.saveconfig.json")),
                     SimFixtures.NormaliseGenerated(host.Saved!));
        Assert.Equal(SimFixtures.ReadLab("c2-delete.merged.ls.txt"), new TargetcliSimulator(host).LsText());
    }

    [Fact]
    public void LabNavigationScript_CdLsGetPwdAndEofExit_MatchTheRealOutput()
    {
        var host = SimFixtures.LabHost();
        host.TargetcliPrefsFileExists = true;
        var expected = SimFixtures.ReadLab("a-batch20.out");
        // the capture harness appended its timings after targetcli's output
        expected = expected[..(expected.LastIndexOf("Configuration saved to /etc/rtslib-fb-target/saveconfig.json\n", StringComparison.Ordinal)
                               + "Configuration saved to /etc/rtslib-fb-target/saveconfig.json\n".Length)];
        var run = new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.ReadLab("a-batch20.script")));
        Assert.Equal(expected, run.Merged);
    }
}
