using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Simulation;
using PureBoot.Tests.Unit.Engine;
using Xunit;

namespace PureBoot.Tests.Unit.Boot;

public class RestartExportTests : IDisposable
{
    readonly EngineHarness h = new();
    public void Dispose() => h.Dispose();
    LioConfig Saved => SaveConfigParser.Parse(h.State.Saved ?? "{}");

    const string T = "iqn.2026-01.local.pureboot:san1";
    const string IA = "iqn.2026-01.local.pureboot:node:52540000000a";
    const string IB = "iqn.2026-01.local.pureboot:node:52540000000b";

    /// <summary>
    /// The saved config with what re-creating objects legitimately changes taken out: the aliases LIO generates
    /// for LUNs and mapped LUNs, and the order configfs lists objects in (newest first).
    /// </summary>
    string Normalized()
    {
        static JsonNode? Norm(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.Where(kv => kv.Key != "alias").OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Norm(kv.Value)))),
            JsonArray a => new JsonArray(a.Select(Norm).OrderBy(x => x?.ToJsonString(), StringComparer.Ordinal).ToArray()),
            null => null,
            _ => n.DeepClone(),
        };
        return Norm(JsonNode.Parse(h.State.Saved!))!.ToJsonString();
    }

    void LogIn(string initiator, string target, int lun, ChapCredential c) =>
        h.Mutate(s => Assert.True(SimulatedInitiator.Login(s, initiator, target, lun, c.User, c.RevealSecret(), recordSession: true).Ok));

    List<string> SessionsOf(string initiator) => h.State.Sessions.Where(s => s.InitiatorIqn == initiator).Select(s => s.TargetIqn).ToList();

    async Task SharedSetup()
    {
        h.AddBackend();
        h.Engine.AddNode("a", "52:54:00:00:00:0a");
        h.Engine.AddNode("b", "52:54:00:00:00:0b");
        var c = await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("a"), EngineHarness.Req("b"), EngineHarness.Req("a-data") with { Purpose = LunPurpose.AutoProvision }, EngineHarness.Req("spare") });
        Assert.All(c, o => Assert.True(o.Succeeded, o.Error));
        var r = await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a"), new LunAssignRequest("b", "b"), new LunAssignRequest("a-data", "a") });
        Assert.All(r, o => Assert.True(o.Succeeded, o.Error));
    }

    [Fact]
    public async Task SharedNodeRestartRecreatesItsAclInOneRunDropsOnlyItsSessionAndKeepsEverythingElse()
    {
        await SharedSetup();
        var ca = h.Engine.GetChapCredential("a");
        var cb = h.Engine.GetChapCredential("b");
        LogIn(IA, T, 0, ca);
        LogIn(IB, T, 0, cb);
        var before = Normalized();
        var rowsBefore = h.Engine.ListLuns().ToDictionary(l => l.Name, l => (l.Status, l.TpgLunIndex, l.MappedLunIndex, l.StorageObjectName, l.BackingPath));
        var starts = h.Connector.Applies;
        h.Connector.Lines.Clear(); h.Connector.Steps.Clear();

        var res = await h.Engine.RestartExportAsync("a", ExportScope.Node);
        Assert.Equal(new[] { "a", "a-data" }, res.Select(o => o.Name));
        Assert.All(res, o => Assert.True(o.Succeeded, o.Error));
        Assert.All(res, o => Assert.Empty(o.Warnings));

        // ONE targetcli run: the delete line, then the create lines; the storage objects are not touched.
        Assert.Equal(starts + 1, h.Connector.Applies);
        Assert.Empty(h.Connector.Steps);
        Assert.Equal(new[]
        {
            $"/iscsi/{T}/tpg1/acls delete {IA}",
            $"/iscsi/{T}/tpg1/acls create {IA} add_mapped_luns=false",
            $"/iscsi/{T}/tpg1/acls/{IA} set auth userid=a password={ca.RevealSecret()}",
            $"/iscsi/{T}/tpg1/acls/{IA} create mapped_lun=0 tpg_lun_or_backstore=0 write_protect=false",
            $"/iscsi/{T}/tpg1/acls/{IA} create mapped_lun=1 tpg_lun_or_backstore=2 write_protect=false",
        }, h.Connector.Lines);

        // Same state as before, apart from generated aliases; a's session is gone, b's stays.
        Assert.Equal(before, Normalized());
        Assert.Empty(SessionsOf(IA));
        Assert.Equal(new[] { T }, SessionsOf(IB));
        Assert.Equal(rowsBefore, h.Engine.ListLuns().ToDictionary(l => l.Name, l => (l.Status, l.TpgLunIndex, l.MappedLunIndex, l.StorageObjectName, l.BackingPath)));
        Assert.All(h.Engine.ListLuns(), l => Assert.Null(l.PendingOperation));
        // It reconnects to the same disk with the same credential.
        var again = h.Login(IA, T, 1, ca.User, ca.RevealSecret());
        Assert.True(again.Ok, again.Error);
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/a.img"));
        Assert.Empty((await h.Engine.GetTargetStatusAsync("san1")).Drift);
        Assert.Equal(2, h.Engine.ListAudit().Count(x => x.Operation == "restart-export" && x.Outcome == AuditOutcome.Success));
    }

    [Fact]
    public async Task RestartingOneLunOfASharedAclRestartsItsPartnersWithAWarning()
    {
        await SharedSetup();
        var res = await h.Engine.RestartExportAsync("a-data");   // a LUN name only
        Assert.Equal(new[] { "a-data", "a" }, res.Select(o => o.Name));
        Assert.All(res, o => Assert.True(o.Succeeded, o.Error));
        Assert.Empty(res[0].Warnings);
        Assert.Contains("restarted too", Assert.Single(res[1].Warnings));
    }

    [Fact]
    public async Task AnUnassignedSharedLunHasItsTpgLunRecreated()
    {
        await SharedSetup();
        var before = Normalized();
        h.Connector.Lines.Clear();
        var o = Assert.Single(await h.Engine.RestartExportAsync("spare", ExportScope.Lun));
        Assert.True(o.Succeeded, o.Error);
        Assert.Equal(new[]
        {
            $"/iscsi/{T}/tpg1/luns delete lun3",
            $"/iscsi/{T}/tpg1/luns create /backstores/fileio/spare lun=3 add_mapped_luns=false",
        }, h.Connector.Lines);
        Assert.Equal(before, Normalized());
        Assert.Equal(LunStatus.Ready, h.Engine.GetLun("spare").Status);
    }

    [Fact]
    public async Task PerLunRestartRecreatesTheWholeTargetAndKeepsTheStorageObject()
    {
        var b = h.AddBackend(mode: TargetMode.PerLun);
        h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("a") with { MutualChap = true }, EngineHarness.Req("idle") });
        Assert.True((await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") }))[0].Succeeded);
        var c = h.Engine.GetChapCredential("a");
        var t = b.PerLunTargetIqn("a");
        LogIn(IA, t, 0, c);
        var soWwn = Saved.FindStorageObject("fileio", "a")!.Wwn;
        var before = Normalized();
        h.Connector.Lines.Clear();

        var o = Assert.Single(await h.Engine.RestartExportAsync("a", ExportScope.Lun));
        Assert.True(o.Succeeded, o.Error);
        Assert.Equal(new[]
        {
            $"/iscsi delete {t}",
            $"/iscsi create {t}",
            $"/iscsi/{t}/tpg1 set attribute generate_node_acls=0 authentication=1 demo_mode_write_protect=1 cache_dynamic_acls=0",
            $"/iscsi/{t}/tpg1/luns create /backstores/fileio/a lun=0 add_mapped_luns=false",
            $"/iscsi/{t}/tpg1/acls create {IA} add_mapped_luns=false",
            $"/iscsi/{t}/tpg1/acls/{IA} set auth userid=a password={c.RevealSecret()} mutual_userid={c.MutualUser} mutual_password={c.RevealMutualSecret()}",
            $"/iscsi/{t}/tpg1/acls/{IA} create mapped_lun=0 tpg_lun_or_backstore=0 write_protect=false",
        }, h.Connector.Lines);
        Assert.Equal(before, Normalized());
        Assert.Equal(soWwn, Saved.FindStorageObject("fileio", "a")!.Wwn);   // the same storage object, not a new one
        Assert.Empty(SessionsOf(IA));
        Assert.True(h.Login(IA, t, 0, c.User, c.RevealSecret(), c.MutualUser, c.RevealMutualSecret()).Ok);

        // An unassigned LUN's target comes back with no ACL at all.
        h.Connector.Lines.Clear();
        Assert.True(Assert.Single(await h.Engine.RestartExportAsync("idle")).Succeeded);
        Assert.DoesNotContain(h.Connector.Lines, l => l.Contains("/acls"));
        Assert.Equal(before, Normalized());
        Assert.Empty((await h.Engine.GetTargetStatusAsync("san1")).Drift);
    }

    [Fact]
    public async Task PerLunRestartOnAnotherPortalPutsThePortalBack()
    {
        h.Engine.AddBackend(new BackendSpec
        {
            Name = "san1", Transport = TransportKind.Simulated, SimulationStatePath = h.StatePath, Mode = TargetMode.PerLun,
            PortalAddress = "192.0.2.10", PortalPort = 3261,
        });
        h.Engine.AddNode("a", "52:54:00:00:00:0a");
        await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("a") });
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a") });
        var before = Normalized();
        h.Connector.Lines.Clear();
        Assert.True(Assert.Single(await h.Engine.RestartExportAsync("a")).Succeeded);
        Assert.Contains("/iscsi/iqn.2026-01.local.pureboot:san1.a/tpg1/portals delete 0.0.0.0 3260", h.Connector.Lines);
        Assert.Contains("/iscsi/iqn.2026-01.local.pureboot:san1.a/tpg1/portals create 192.0.2.10 3261", h.Connector.Lines);
        Assert.Equal(before, Normalized());
    }

    [Fact]
    public async Task DriftIsRefusedBeforeAnythingIsSent()
    {
        await SharedSetup();
        // Someone removed a's mapping by hand.
        h.Mutate(s => new TargetcliSimulator(s).Run(new[] { $"/iscsi/{T}/tpg1/acls/{IA} delete 1", "saveconfig" }));
        var starts = h.Connector.Applies;
        var res = await h.Engine.RestartExportAsync("a", ExportScope.Node);
        Assert.All(res, o => Assert.False(o.Succeeded));
        Assert.Equal(FailureKind.TargetRejected, res.Single(o => o.Name == "a-data").Failure);
        Assert.Contains("run Sync-IscsiTarget", res.Single(o => o.Name == "a-data").Error);
        Assert.Contains("shares its ACL", res.Single(o => o.Name == "a").Error);
        Assert.Equal(starts, h.Connector.Applies);
        Assert.All(h.Engine.ListLuns(), l => Assert.Null(l.PendingOperation));
        Assert.Equal(2, h.Engine.ListAudit().Count(x => x.Operation == "restart-export" && x.Outcome == AuditOutcome.Failure));
    }

    [Fact]
    public async Task AFailedRecreateEndsInErrorWithTheRestartPendingAndSyncPutsItBack()
    {
        await SharedSetup();
        var before = Normalized();
        h.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = $"acls create {IB} ", Message = "injected ACL failure", Times = 1 }));
        var o = Assert.Single(await h.Engine.RestartExportAsync("b"));
        Assert.Equal(FailureKind.TargetRejected, o.Failure);
        Assert.Contains("injected ACL failure", o.Error);
        Assert.Contains("data is untouched", o.Error);
        var row = h.Engine.GetLun("b");
        Assert.Equal(LunStatus.Error, row.Status);
        Assert.Equal(PendingOperation.Restart, row.PendingOperation);
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/b.img"));
        Assert.NotNull(Saved.FindStorageObject("fileio", "b"));

        var sync = await h.Engine.SyncTargetAsync("san1", new SyncOptions());
        Assert.Equal(LunStatus.Active, h.Engine.GetLun("b").Status);
        Assert.Null(h.Engine.GetLun("b").PendingOperation);
        Assert.Equal(before, Normalized());
    }

    [Fact]
    public async Task NamesAreResolvedOrRefusedClearly()
    {
        await SharedSetup();
        var none = Assert.Single(await h.Engine.RestartExportAsync("ghost"));
        Assert.Equal(FailureKind.NotFound, none.Failure);
        Assert.Contains("No LUN or node named 'ghost'", none.Error);
        Assert.Equal(FailureKind.NotFound, Assert.Single(await h.Engine.RestartExportAsync("spare", ExportScope.Node)).Failure);
        Assert.Equal(FailureKind.InvalidArgument, Assert.Single(await h.Engine.RestartExportAsync("Bad Name")).Failure);
        // "a" is a node with two LUNs and a LUN: ambiguous unless told.
        var amb = Assert.Single(await h.Engine.RestartExportAsync("a"));
        Assert.Equal(FailureKind.InvalidArgument, amb.Failure);
        Assert.Contains("-Lun or -Node", amb.Error);
        // "b" is a node whose only LUN is "b": the same thing either way.
        Assert.True(Assert.Single(await h.Engine.RestartExportAsync("b")).Succeeded);
        // A node without LUNs.
        h.Engine.AddNode("c", "52:54:00:00:00:0c");
        Assert.Contains("no LUN assigned", Assert.Single(await h.Engine.RestartExportAsync("c")).Error);
    }
}
