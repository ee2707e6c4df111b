using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Validation;
using Xunit;

namespace PureBoot.Tests.Unit.Engine;

/// <summary>
/// Set-IscsiNode's use case (a NIC swap moves the node's ACL, CHAP kept; a crash is converged by Sync), the checks the
/// PowerShell layer runs under -WhatIf and on each piped item (nothing sent, nothing written), and the shared-CHAP rule.
/// </summary>
public class NodeUpdateAndChecksTests : IDisposable
{
    readonly EngineHarness h = new();
    public void Dispose() => h.Dispose();
    LioConfig Saved => SaveConfigParser.Parse(h.State.Saved ?? "{}");

    async Task<(Backend B, Node N)> NodeWithTwoLuns()
    {
        var b = h.AddBackend();
        var n = h.Engine.AddNode("web01", "52:54:00:00:00:01");
        await h.Create("web01", "web01-data");
        var o = await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("web01", "web01"), new LunAssignRequest("web01-data", "web01") });
        Assert.All(o, x => Assert.True(x.Succeeded, x.ToString()));
        return (b, n);
    }

    [Fact]
    public async Task ANewMacMovesTheNodesAclToTheNewIqnWithItsChapAndMappings()
    {
        var (b, n) = await NodeWithTwoLuns();
        var chap = h.Engine.GetChapCredential("web01");
        var opens = h.Connector.Opens;

        var r = await h.Engine.UpdateNodeAsync("web01", new NodeChange { MacAddress = "52:54:00:00:00:99" });

        Assert.True(r.Succeeded, string.Join("; ", r.Luns));
        Assert.Equal(n.InitiatorIqn, r.PreviousInitiatorIqn);
        Assert.Equal("iqn.2026-01.local.pureboot:node:525400000099", r.Node.InitiatorIqn);   // the MAC rule follows the card
        Assert.Equal(opens + 1, h.Connector.Opens);                                             // one session for the backend
        var tpg = Saved.FindTpg(b.SharedTargetIqn)!;
        Assert.Null(tpg.FindAcl(n.InitiatorIqn));
        Assert.Equal(2, tpg.FindAcl(r.Node.InitiatorIqn)!.MappedLuns.Count);
        foreach (var l in h.Engine.ListLuns())
        {
            Assert.Equal(LunStatus.Active, l.Status);
            Assert.Null(l.PendingOperation);
            Assert.Equal(r.Node.InitiatorIqn, l.InitiatorIqn);
        }
        // The same credential logs the new card in; the old card's IQN is refused.
        Assert.True(h.Login(r.Node.InitiatorIqn, b.SharedTargetIqn, 0, chap.User, chap.RevealSecret()).Ok);
        Assert.False(h.Login(n.InitiatorIqn, b.SharedTargetIqn, 0, chap.User, chap.RevealSecret()).Ok);
        Assert.Equal(chap.RevealSecret(), h.Engine.GetChapCredential("web01").RevealSecret());
        Assert.Empty((await h.Engine.GetTargetStatusAsync("san1")).Drift);
    }

    [Fact]
    public async Task ADescriptionOnlyChangeSendsNothing()
    {
        await NodeWithTwoLuns();
        var opens = h.Connector.Opens;
        var r = await h.Engine.UpdateNodeAsync("web01", new NodeChange { Description = "rack 4" });
        Assert.Equal("rack 4", r.Node.Description);
        Assert.Empty(r.Luns);
        Assert.Equal(opens, h.Connector.Opens);
        Assert.True((await h.Engine.UpdateNodeAsync("web01", new NodeChange { Description = "rack 4" })).Unchanged);
    }

    [Fact]
    public async Task AMacOrIqnOfAnotherNodeIsRefusedBeforeAnythingIsSent()
    {
        await NodeWithTwoLuns();
        h.Engine.AddNode("web02", "52:54:00:00:00:02");
        var opens = h.Connector.Opens;
        var e = await Assert.ThrowsAsync<InventoryConflictException>(() => h.Engine.UpdateNodeAsync("web01", new NodeChange { MacAddress = "52:54:00:00:00:02" }));
        Assert.Equal(ConflictKind.AlreadyExists, e.Kind);
        Assert.Contains("web02", e.Message);
        Assert.Equal(opens, h.Connector.Opens);
        Assert.Throws<ValidationException>(() => h.Engine.CheckUpdateNode("web01", new NodeChange { InitiatorIqn = "not an iqn" }));
    }

    [Fact]
    public async Task ACrashAfterTheRowsMovedIsFinishedBySync()
    {
        var (b, n) = await NodeWithTwoLuns();
        h.Connector.ResetCalls();
        h.Connector.DropOnApply = true;   // the plan never reaches the target
        var r = await h.Engine.UpdateNodeAsync("web01", new NodeChange { MacAddress = "52:54:00:00:00:77" });
        h.Connector.DropOnApply = false;
        Assert.False(r.Succeeded);
        var rows = h.Engine.ListLuns();
        Assert.All(rows, l => Assert.Equal(PendingOperation.MoveAcl, l.PendingOperation));
        Assert.All(rows, l => Assert.Equal(r.Node.InitiatorIqn, l.InitiatorIqn));
        Assert.NotNull(Saved.FindTpg(b.SharedTargetIqn)!.FindAcl(n.InitiatorIqn));   // the old ACL is still there

        var sync = await h.Engine.SyncTargetAsync("san1", new SyncOptions());
        Assert.Empty(sync.RemainingDrift);
        var tpg = Saved.FindTpg(b.SharedTargetIqn)!;
        Assert.Null(tpg.FindAcl(n.InitiatorIqn));
        Assert.Equal(2, tpg.FindAcl(r.Node.InitiatorIqn)!.MappedLuns.Count);
        Assert.All(h.Engine.ListLuns(), l => { Assert.Equal(LunStatus.Active, l.Status); Assert.Null(l.PendingOperation); });
        var chap = h.Engine.GetChapCredential("web01");
        Assert.True(h.Login(r.Node.InitiatorIqn, b.SharedTargetIqn, 0, chap.User, chap.RevealSecret()).Ok);
    }

    [Fact]
    public async Task ChecksFailAsTheRunWouldAndSendNothing()
    {
        await NodeWithTwoLuns();
        var opens = h.Connector.Opens;
        var rows = h.Engine.ListLuns().Select(l => (l.Name, l.Status, l.Updated)).ToList();

        Assert.Equal(FailureKind.NotFound, h.Engine.CheckCreateLuns(new[] { EngineHarness.Req("x1", backend: "nosuch") }).Single().Failure);
        Assert.Equal(FailureKind.AlreadyExists, h.Engine.CheckCreateLuns(new[] { EngineHarness.Req("web01") }).Single().Failure);
        Assert.True(h.Engine.CheckCreateLuns(new[] { EngineHarness.Req("web01") with { IfNotExists = true } }).Single().Unchanged);
        var shrink = h.Engine.CheckResizeLun("web01", 32L << 20);
        Assert.Equal(FailureKind.InvalidArgument, shrink.Failure);
        Assert.Equal("SizeBytes", shrink.Parameter);
        Assert.Contains("shrinking", shrink.Reason);
        Assert.Equal(FailureKind.Conflict, h.Engine.CheckRemoveLuns(new[] { new LunRemoveRequest("web01") }).Single().Failure);
        Assert.True(h.Engine.CheckRemoveLuns(new[] { new LunRemoveRequest("web01", Force: true) }).Single().Succeeded);
        Assert.Equal(FailureKind.NotFound, h.Engine.CheckAssignLuns(new[] { new LunAssignRequest("web01", "nosuch") }).Single().Failure);
        Assert.Equal(FailureKind.NotFound, h.Engine.CheckRestartExport("nosuch", ExportScope.Lun).Single().Failure);
        Assert.Equal(ConflictKind.InUse, Assert.Throws<InventoryConflictException>(() => h.Engine.CheckRemoveNode("web01")).Kind);
        Assert.Equal(ConflictKind.InUse, Assert.Throws<InventoryConflictException>(() => h.Engine.CheckRemoveBackend("san1")).Kind);

        Assert.Equal(opens, h.Connector.Opens);
        Assert.Equal(rows, h.Engine.ListLuns().Select(l => (l.Name, l.Status, l.Updated)).ToList());
    }

    [Fact]
    public async Task AMutualChapRequestTheNodesSharedAclCannotHonourIsRefusedUnlessForced()
    {
        h.AddBackend();
        h.Engine.AddNode("web01", "52:54:00:00:00:01");
        Assert.True((await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("web01") with { Node = "web01" } })).Single().Succeeded);

        var asked = EngineHarness.Req("web01-data") with { Node = "web01", MutualChap = true };
        var check = h.Engine.CheckCreateLuns(new[] { asked }).Single();
        Assert.Equal(FailureKind.Conflict, check.Failure);
        Assert.Contains("mutual CHAP", check.Error);
        Assert.Contains("-Force", check.Error);
        Assert.Equal(FailureKind.Conflict, (await h.Engine.CreateLunsAsync(new[] { asked })).Single().Failure);
        Assert.Null(h.Engine.ListLuns(new LunFilter { NameLike = "web01-data" }).SingleOrDefault());

        var forced = (await h.Engine.CreateLunsAsync(new[] { asked with { AdoptSharedChap = true } })).Single();
        Assert.True(forced.Succeeded, forced.ToString());
        Assert.Equal("OneWay", forced.Lun!.Chap);                      // it took the ACL's credential, as asked by -Force
        Assert.NotEmpty(forced.Warnings);

        // A LUN made with mutual CHAP and assigned later: the same rule.
        await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("web01-mutual") with { MutualChap = true } });
        Assert.Equal(FailureKind.Conflict, (await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("web01-mutual", "web01") })).Single().Failure);
        Assert.True((await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("web01-mutual", "web01", AdoptSharedChap: true) })).Single().Succeeded);
    }
}
