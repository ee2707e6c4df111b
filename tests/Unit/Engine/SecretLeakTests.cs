using System.Text;
using PureBoot.Core.Operations;
using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Engine;

public class SecretLeakTests : IDisposable
{
    readonly EngineHarness h = new();
    public void Dispose() => h.Dispose();

    [Fact]
    public async Task SecretsAppearNowhereButTheExplicitCredential()
    {
        h.AddBackend();
        h.Engine.AddNode("a", "52:54:00:00:00:0a");
        h.Engine.AddNode("b", "52:54:00:00:00:0b");
        const string given = "Given.Secret-42";
        await h.Engine.CreateLunsAsync(new[]
        {
            new LunCreateRequest { Name = "a", SizeBytes = 64L << 20, Backend = "san1", ChapSecret = given, MutualChap = true },
            EngineHarness.Req("b"),
        });
        // Make b's assignment fail on its mapping line, so error paths run too.
        h.Mutate(s => s.Faults.Add(new SimulatedFault { Pattern = "create mapped_lun=0 tpg_lun_or_backstore=1", Message = "injected mapping failure" }));
        var res = await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "a"), new LunAssignRequest("b", "b") });
        Assert.True(res[0].Succeeded, res[0].Error);
        Assert.False(res[1].Succeeded);
        await h.Engine.UpdateLunAsync("a", null, new ChapChange { Rotate = true });
        await h.Engine.GetTargetStatusAsync("san1");

        var secrets = new[] { "a", "b" }.SelectMany(n =>
        {
            var c = h.Engine.GetChapCredential(n);
            return new[] { c.RevealSecret(), c.RevealMutualSecret() };
        }).Where(s => s is not null).Select(s => s!).Append(given).ToList();
        Assert.Equal(4, secrets.Count);

        // Not in the database file (nor its WAL), not in the audit log, not in -Verbose output, not in errors, not in objects' ToString.
        h.Engine.Inventory.Checkpoint();
        var bytes = new[] { h.DbPath, h.DbPath + "-wal", h.DbPath + "-shm" }.Where(File.Exists).Select(File.ReadAllBytes).SelectMany(b => b).ToArray();
        var text = Encoding.Latin1.GetString(bytes);
        var audit = string.Join("\n", h.Engine.ListAudit().Select(a => a + " " + a.Message));
        var log = string.Join("\n", h.Log);
        var errors = string.Join("\n", res.Select(r => r.Error + string.Join(" ", r.Warnings)));
        var objects = string.Join("\n", h.Engine.ListLuns().Select(l => l.ToString() + " " + l.Chap + " " + l.ErrorMessage));
        Assert.Contains("(secrets not shown)", log);   // the CHAP change is logged, its secret is not
        foreach (var s in secrets)
        {
            Assert.DoesNotContain(s, text);
            Assert.DoesNotContain(s, audit);
            Assert.DoesNotContain(s, log);
            Assert.DoesNotContain(s, errors);
            Assert.DoesNotContain(s, objects);
        }
        // The Lun type exposes no public member carrying a secret.
        Assert.DoesNotContain(typeof(PureBoot.Core.Model.Lun).GetProperties(), p => p.Name.Contains("Secret"));
        Assert.Contains(h.Engine.ListAudit(), a => a.Operation == "read-chap-credential");
    }

    [Fact]
    public async Task AWrongKeyIsAClearErrorNotGarbage()
    {
        h.AddBackend();
        await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("a") });
        using var other = new PureBootEngine(new PureBoot.Core.Inventory.InventoryStore(h.DbPath), h.Connector,
            () => new PureBoot.Core.Secrets.SecretBox(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var e = Assert.ThrowsAny<Exception>(() => other.GetChapCredential("a"));
        Assert.IsType<PureBoot.Core.Secrets.SecretDecryptionException>(e);
        Assert.Contains("does not match", e.Message);
    }
}
