using PureBoot.Core.Simulation;
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
        // node1 no longer requires CHAP, but the TPG's AuthMethod is "CHAP" alone (enforcing authentication removed
        // None), so a login offering no CHAP is still refused until None is allowed again
        Assert.Equal("Authentication failure(513)", SimulatedInitiator.Login(host, Node1, Target1, 0).Error);
        new TargetcliSimulator(host).Run(new[] { "set global auto_save_on_exit=false", $"/iscsi/{Target1}/tpg1 set parameter AuthMethod=CHAP,None" });
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
