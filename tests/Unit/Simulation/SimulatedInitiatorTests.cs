using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Simulation;

/// <summary>Logins against the fixture state, with the outcomes the fixture README saw from libiscsi on real LIO.</summary>
public class SimulatedInitiatorTests
{
    const string Target1 = "iqn.2026-01.local.pureboot:target1";
    const string Node1 = "iqn.2026-01.local.pureboot:node:aabbcc000001";
    const string Node2 = "iqn.2026-01.local.pureboot:node:aabbcc000002";
    const string PerLun = "iqn.2026-01.local.pureboot:perlun-web01";

    [Fact]
    public void RightChap_LogsInAndReadsTheCapacityOfItsLun()
    {
        var r = SimulatedInitiator.Login(SimFixtures.FixtureHost(), Node1, Target1, 0, "node1user", "secretpass1234");
        Assert.True(r.Ok);
        Assert.Null(r.Error);
        Assert.Equal(64L << 20, r.CapacityBytes);
        Assert.False(r.ReadOnly);
    }

    [Fact]
    public void WrongSecret_IsAnAuthenticationFailure()
    {
        var r = SimulatedInitiator.Login(SimFixtures.FixtureHost(), Node1, Target1, 0, "node1user", "wrongsecret123");
        Assert.False(r.LoggedIn);
        Assert.Equal("Authentication failure(513)", r.Error);
    }

    [Fact]
    public void AnotherNodesCredentials_AreAnAuthenticationFailure()
    {
        var r = SimulatedInitiator.Login(SimFixtures.FixtureHost(), Node1, Target1, 0, "node2user", "secretpass5678");
        Assert.Equal("Authentication failure(513)", r.Error);
    }

    [Fact]
    public void NoAcl_IsAnAuthorizationFailure_BeforeAnyChap()
    {
        var host = SimFixtures.FixtureHost();
        Assert.Equal("Authorization failure(514)",
            SimulatedInitiator.Login(host, "iqn.2026-01.local.pureboot:node:aabbcc000009", Target1, 0, "node1user", "secretpass1234").Error);
        Assert.Equal("Authorization failure(514)", SimulatedInitiator.Login(host, Node1, PerLun, 0).Error);
    }

    [Fact]
    public void LunNotMappedToTheAcl_IsLogicalUnitNotSupported()
    {
        // LUN 1 of the TPG is node2's disk; node1's ACL maps only its own LUN as 0
        var r = SimulatedInitiator.Login(SimFixtures.FixtureHost(), Node1, Target1, 1, "node1user", "secretpass1234");
        Assert.True(r.LoggedIn);
        Assert.False(r.Ok);
        Assert.Equal("LOGICAL_UNIT_NOT_SUPPORTED", r.Error);
    }

    [Fact]
    public void NoChapOffered_WhenTheTpgEnforcesIt_IsAnAuthenticationFailure()
    {
        Assert.Equal("Authentication failure(513)", SimulatedInitiator.Login(SimFixtures.FixtureHost(), Node1, Target1, 0).Error);
    }

    [Fact]
    public void MutualChap_ChecksTheTargetsSecret()
    {
        var host = SimFixtures.FixtureHost();
        Assert.True(SimulatedInitiator.Login(host, Node2, Target1, 0, "node2user", "secretpass5678", "target2", "mutualsecret99").Ok);
        Assert.Equal("Target authentication failed",
            SimulatedInitiator.Login(host, Node2, Target1, 0, "node2user", "secretpass5678", "target2", "notthesecret00").Error);
        // node1 has no mutual credentials: asking for mutual CHAP fails on the target
        Assert.Equal("Authentication failure(513)",
            SimulatedInitiator.Login(host, Node1, Target1, 0, "node1user", "secretpass1234", "target2", "mutualsecret99").Error);
    }

    [Fact]
    public void AclAuthenticationAttribute_OverridesTheTpg_MinusOneInherits()
    {
        var host = SimFixtures.FixtureHost();
        var run = new TargetcliSimulator(host).Run(new[]
        {
            "set global auto_save_on_exit=false",
            $"/iscsi/{Target1}/tpg1/acls/{Node1} set attribute authentication=0",
        });
        Assert.Contains("Parameter authentication is now '0'.", run.Stdout);
        // Measured on the lab VM (kernel 6.1, LIO): with TPG authentication=1 (AuthMethod "CHAP") an ACL whose own
        // authentication is 0 logs in without CHAP, and an ACL with authentication=1 on a TPG with 0 still needs it.
        Assert.True(SimulatedInitiator.Login(host, Node1, Target1, 0).Ok);
        Assert.Equal("Authentication failure(513)", SimulatedInitiator.Login(host, Node2, Target1, 0).Error);   // -1: the TPG's 1
    }

    [Fact]
    public void GeneratedAcls_LetAnyInitiatorSeeEveryLun_WriteProtected()
    {
        var host = SimFixtures.FixtureHost();
        new TargetcliSimulator(host).Run(new[] { "set global auto_save_on_exit=false", $"/iscsi/{PerLun}/tpg1 set attribute generate_node_acls=1" });
        var r = SimulatedInitiator.Login(host, "iqn.1993-08.org.debian:01:anyone", PerLun, 0);
        Assert.True(r.Ok);
        Assert.Equal(32L << 20, r.CapacityBytes);
        Assert.True(r.ReadOnly);
    }

    [Fact]
    public void UnknownOrDisabledTarget_IsTargetNotFound()
    {
        var host = SimFixtures.FixtureHost();
        Assert.Equal("Target not found(515)", SimulatedInitiator.Login(host, Node1, "iqn.2026-01.local.pureboot:nothere", 0).Error);
        new TargetcliSimulator(host).Run(new[] { "set global auto_save_on_exit=false", $"/iscsi/{Target1}/tpg1 disable" });
        Assert.Equal("Target not found(515)", SimulatedInitiator.Login(host, Node1, Target1, 0, "node1user", "secretpass1234").Error);
    }

    [Fact]
    public void NoPortalOnTheAddress_IsConnectionRefused()
    {
        var host = SimFixtures.FixtureHost();
        new TargetcliSimulator(host).Run(new[]
        {
            "set global auto_save_on_exit=false",
            $"/iscsi/{Target1}/tpg1/portals delete 0.0.0.0 3260",
            $"/iscsi/{PerLun}/tpg1/portals delete 0.0.0.0 3260",
        });
        Assert.Equal("Connection refused", SimulatedInitiator.Login(host, Node1, Target1, 0, "node1user", "secretpass1234", portalAddress: "10.0.0.5").Error);
    }

    [Fact]
    public void ARecordedSession_ShowsInSessionsDetail_UntilItsAclGoes()
    {
        var host = SimFixtures.FixtureHost();
        var r = SimulatedInitiator.Login(host, Node1, Target1, 0, "node1user", "secretpass1234", recordSession: true);
        Assert.NotNull(r.Sid);
        var detail = new TargetcliSimulator(host).RunCommandLine("sessions detail").Stdout;
        Assert.Equal($"alias: \tsid: {r.Sid} type: Normal session-state: LOGGED_IN\n"
                     + $"    name: {Node1} (NOT AUTHENTICATED)\n"
                     + "    mapped-lun: 0 backstore: fileio/node1 mode: rw\n"
                     + "    address: 10.0.2.2 (TCP)  cid: 0 connection-state: LOGGED_IN\n", detail);
        new TargetcliSimulator(host).Run(new[] { "set global auto_save_on_exit=false", $"/iscsi/{Target1}/tpg1/acls delete {Node1}" });
        Assert.Equal("(no open sessions)\n", new TargetcliSimulator(host).RunCommandLine("sessions").Stdout);
    }
}

/// <summary>The lab's libiscsi run (Fixtures/targetcli-2.1.53-lab/f-libiscsi.txt) on the state f-setup.script made.</summary>
public class SimulatedInitiatorLabTests
{
    const string FTest = "iqn.2026-01.local.pureboot:ftest";
    const string HostInit = "iqn.2026-01.local.pureboot:hostinit";

    /// <summary>
    /// The VM before f-setup: empty LIO config; prefs left by the earlier captures (auto_add_default_portal and
    /// auto_add_mapped_luns false); a save file that differs from the newest backup (both "Last 10 configs saved"
    /// lines of the capture need that).
    /// </summary>
    internal static SimulatedHostState FSetupHost()
    {
        var s = SimFixtures.LabHost();
        s.TargetcliPrefsFileExists = true;
        s.TargetcliPrefs["auto_add_default_portal"] = false;
        s.TargetcliPrefs["auto_add_mapped_luns"] = false;
        s.Saved = "{\n  \"fabric_modules\": [],\n  \"storage_objects\": [],\n  \"targets\": []\n}\n";
        s.LastBackup = "an older configuration";
        s.BackupCount = 3;
        return s;
    }

    [Fact]
    public void FSetup_MatchesTheRealOutput()
    {
        var host = FSetupHost();
        var run = new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.ReadLab("f-setup.script")));
        Assert.Equal(SimFixtures.ReadLab("f-setup.out"), run.Merged);
    }

    [Fact]
    public void LibiscsiOutcomes_MatchTheLabRun()
    {
        var host = FSetupHost();
        new TargetcliSimulator(host).Run(SimFixtures.Lines(SimFixtures.ReadLab("f-setup.script")));
        var real = SimFixtures.ReadLab("f-libiscsi.txt");

        var ok = SimulatedInitiator.Login(host, HostInit, FTest, 0, "fuser", "fsecret123456");
        Assert.True(ok.Ok);
        Assert.Contains($"Total size:{ok.CapacityBytes}\n", real);

        foreach (var (r, status) in new[]
        {
            (SimulatedInitiator.Login(host, HostInit, FTest, 0, "fuser", "wrongsecret99"), "Status: Authentication failure(513)"),
            (SimulatedInitiator.Login(host, "iqn.2026-01.local.pureboot:stranger", FTest, 0, "fuser", "fsecret123456"), "Status: Authorization failure(514)"),
            (SimulatedInitiator.Login(host, HostInit, FTest, 0), "Status: Authentication failure(513)"),
        })
        {
            Assert.False(r.LoggedIn);
            Assert.EndsWith(r.Error!, status);
            Assert.Contains(status, real);
        }
        var lun1 = SimulatedInitiator.Login(host, HostInit, FTest, 1, "fuser", "fsecret123456");
        Assert.Equal("LOGICAL_UNIT_NOT_SUPPORTED", lun1.Error);
        Assert.Contains("ASCQ:LOGICAL_UNIT_NOT_SUPPORTED(0x2500)", real);
    }
}
