using System.Diagnostics;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using Xunit;

namespace PureBoot.Tests.Unit.Inventory;

public sealed class InventoryConcurrencyTests : IDisposable
{
    private const int RowsPerWriter = 200;
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("pureboot.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Two_stores_on_one_file_write_concurrently_without_lost_rows_or_lock_errors()
    {
        long backendId;
        using (var setup = new InventoryStore(DbPath))
            backendId = setup.AddBackend(Make.Backend("lab")).Id;

        var start = new Barrier(2);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();

        void Writer(string prefix)
        {
            try
            {
                using var store = new InventoryStore(DbPath);
                start.SignalAndWait();
                for (var i = 0; i < RowsPerWriter; i++)
                {
                    store.Transact(t =>
                    {
                        // Read-then-allocate under the write lock: the next free LUN index on the shared target.
                        var backend = t.GetBackendById(backendId)!;
                        var onTarget = t.ListLunsOnTarget(backendId);
                        var next = onTarget.Count == 0 ? 0 : onTarget.Max(l => l.TpgLunIndex ?? -1) + 1;
                        var lun = new Lun
                        {
                            Name = $"{prefix}-{i:D3}", BackendId = backendId, SizeBytes = 1 << 30,
                            StorageObjectName = $"pb_{prefix}_{i:D3}", TargetIqn = backend.SharedTargetIqn, TpgLunIndex = next,
                        };
                        t.AddLuns([lun]);
                        t.WriteAudit(new AuditEntry { Operation = "New-PBLun", ObjectType = "Lun", ObjectName = lun.Name, Outcome = AuditOutcome.Success });
                    });
                }
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
                start.RemoveParticipant();
            }
        }

        var a = new Thread(() => Writer("a"));
        var b = new Thread(() => Writer("b"));
        a.Start();
        b.Start();
        Assert.True(a.Join(TimeSpan.FromMinutes(3)) && b.Join(TimeSpan.FromMinutes(3)), "writers did not finish");
        Assert.Empty(errors);

        using var check = new InventoryStore(DbPath);
        var luns = check.ListLuns();
        Assert.Equal(2 * RowsPerWriter, luns.Count);
        Assert.Equal(RowsPerWriter, luns.Count(l => l.Name.StartsWith("a-", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, 2 * RowsPerWriter), luns.Select(l => l.TpgLunIndex!.Value).Order());
        Assert.Equal(2 * RowsPerWriter, check.ListAudit().Count);
        Assert.Equal(2 * RowsPerWriter, check.ListAudit(new AuditFilter { Last = 10_000 }).Select(e => e.ObjectName).Distinct().Count());
    }

    [Fact]
    public void A_write_waits_for_another_process_holding_the_write_lock()
    {
        var sqlite3 = FindOnPath("sqlite3");
        if (sqlite3 is null) return; // the sqlite3 CLI is the "other process"; nothing to test without it

        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend("lab"));

        // Another process takes the write lock, holds it ~1.5 s, then commits its own row.
        var script = ".timeout 30000\nBEGIN IMMEDIATE;\n" +
                     "INSERT INTO audit (time, \"user\", operation, object_type, object_name, outcome) " +
                     "VALUES ('2026-01-01T00:00:00.0000000Z', 'other', 'External', 'Lun', 'from-cli', 'Success');\n" +
                     ".system sleep 1.5\nCOMMIT;\n";
        using var other = StartSqlite(sqlite3, script);
        WaitForLock(store);

        var clock = Stopwatch.StartNew();
        store.Transact(t =>
        {
            t.AddLuns([Make.Lun("mine", b)]);
            t.WriteAudit(new AuditEntry { Operation = "New-PBLun", ObjectType = "Lun", ObjectName = "mine" });
        });
        clock.Stop();
        Assert.True(other.WaitForExit(30_000));
        Assert.Equal(0, other.ExitCode);

        Assert.NotNull(store.GetLun("mine"));
        Assert.Equal(["from-cli", "mine"], store.ListAudit().Select(a => a.ObjectName));
    }

    [Fact]
    public void Two_processes_write_interleaved_without_lost_rows()
    {
        var sqlite3 = FindOnPath("sqlite3");
        if (sqlite3 is null) return;

        using var store = new InventoryStore(DbPath);
        var script = new System.Text.StringBuilder(".timeout 30000\n");
        for (var i = 0; i < RowsPerWriter; i++)
            script.Append("BEGIN IMMEDIATE; INSERT INTO audit (time, \"user\", operation, object_type, object_name, outcome) ")
                  .Append($"VALUES ('2026-01-01T00:00:00.0000000Z', 'other', 'External', 'Lun', 'cli-{i:D3}', 'Success'); COMMIT;\n");
        using var other = StartSqlite(sqlite3, script.ToString());
        for (var i = 0; i < RowsPerWriter; i++)
            store.WriteAudit(new AuditEntry { Operation = "Mine", ObjectType = "Lun", ObjectName = $"me-{i:D3}" });
        Assert.True(other.WaitForExit(60_000));
        var stderr = other.StandardError.ReadToEnd();
        Assert.True(other.ExitCode == 0, stderr);
        Assert.DoesNotContain("locked", stderr);

        Assert.Equal(2 * RowsPerWriter, store.ListAudit().Count);
        Assert.Equal(RowsPerWriter, store.ListAudit(new AuditFilter { ObjectName = "cli-*" }).Count);
    }

    private Process StartSqlite(string sqlite3, string script)
    {
        var psi = new ProcessStartInfo(sqlite3, [DbPath])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        return p;
    }

    /// <summary>Waits until some other connection holds the write lock (a BEGIN IMMEDIATE of ours would be busy).</summary>
    private void WaitForLock(InventoryStore store)
    {
        using var probe = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=false;Default Timeout=1");
        probe.Open();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var tx = probe.BeginTransaction(deferred: false);
                tx.Rollback();
                Thread.Sleep(20);
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                return; // busy: the other process has the lock
            }
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
