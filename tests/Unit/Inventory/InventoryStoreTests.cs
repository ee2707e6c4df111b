using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using Xunit;

namespace PureBoot.Tests.Unit.Inventory;

public sealed class InventoryStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("pureboot.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Schema_version_is_set_and_reopening_does_not_migrate_again()
    {
        using (var store = new InventoryStore(DbPath))
        {
            Assert.Equal(InventoryStore.LatestSchemaVersion, store.SchemaVersion);
            Assert.True(InventoryStore.LatestSchemaVersion >= 1);
            store.AddBackend(Make.Backend("lab"));
        }
        using (var store = new InventoryStore(DbPath))
        {
            Assert.Equal(InventoryStore.LatestSchemaVersion, store.SchemaVersion);
            Assert.NotNull(store.GetBackend("lab"));
        }
        using (var store = new InventoryStore(DbPath))
        {
            Assert.Single(store.ListBackends());
        }
    }

    [Fact]
    public void Newer_schema_is_refused_with_a_clear_message()
    {
        using (var store = new InventoryStore(DbPath)) { }
        using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=false"))
        {
            raw.Open();
            using var cmd = raw.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 999;";
            cmd.ExecuteNonQuery();
        }
        var ex = Assert.Throws<InventoryException>(() => new InventoryStore(DbPath));
        Assert.Contains("999", ex.Message);
        Assert.Contains("upgrade PureBoot", ex.Message);
    }

    [Fact]
    public void Connection_uses_wal_foreign_keys_and_full_sync()
    {
        using var store = new InventoryStore(DbPath);
        Assert.Equal("wal", store.QueryScalar("PRAGMA journal_mode;"));
        Assert.Equal(1L, store.QueryScalar("PRAGMA foreign_keys;"));
        Assert.Equal(2L, store.QueryScalar("PRAGMA synchronous;"));
        Assert.Equal(30000L, store.QueryScalar("PRAGMA busy_timeout;"));
    }

    [Fact]
    public void Database_file_and_created_directory_are_private()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(_dir.Path, "sub", "dir", "inv.db");
        using var store = new InventoryStore(path);
        store.AddBackend(Make.Backend());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        var wal = path + "-wal";
        if (File.Exists(wal))
            Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(wal) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Fact]
    public void Backend_round_trips_every_field()
    {
        using var store = new InventoryStore(DbPath);
        var b = new Backend
        {
            Name = "stor1", Transport = TransportKind.Ssh, Host = "10.0.0.5", Port = 2222, User = "pb",
            IdentityFile = "/home/pb/.ssh/id_ed25519", UseSudo = true, HostKeyPolicy = HostKeyPolicy.AcceptNew,
            KnownHostsFile = "/tmp/kh", IqnPrefix = "iqn.2026-02.lab", PortalAddress = "10.0.0.5", PortalPort = 3261,
            Storage = StorageKind.Block, StoragePath = "vg0", Mode = TargetMode.PerLun, SimulationStatePath = "/tmp/s.json",
            Description = "rack 3",
        };
        store.AddBackend(b);
        Assert.True(b.Id > 0);
        Assert.NotEqual(default, b.Created);
        var got = store.GetBackend("STOR1")!; // names are case-insensitive
        Assert.Equal(b.Id, got.Id);
        Assert.Equal("stor1", got.Name);
        Assert.Equal(TransportKind.Ssh, got.Transport);
        Assert.Equal("10.0.0.5", got.Host);
        Assert.Equal(2222, got.Port);
        Assert.Equal("pb", got.User);
        Assert.Equal("/home/pb/.ssh/id_ed25519", got.IdentityFile);
        Assert.True(got.UseSudo);
        Assert.Equal(HostKeyPolicy.AcceptNew, got.HostKeyPolicy);
        Assert.Equal("/tmp/kh", got.KnownHostsFile);
        Assert.Equal("iqn.2026-02.lab", got.IqnPrefix);
        Assert.Equal("10.0.0.5", got.PortalAddress);
        Assert.Equal(3261, got.PortalPort);
        Assert.Equal(StorageKind.Block, got.Storage);
        Assert.Equal("vg0", got.StoragePath);
        Assert.Equal(TargetMode.PerLun, got.Mode);
        Assert.Equal("/tmp/s.json", got.SimulationStatePath);
        Assert.Equal("rack 3", got.Description);
        Assert.Equal(b.Created, got.Created);
        Assert.Equal(TimeSpan.Zero, got.Created.Offset);

        got.Description = "rack 4";
        got.Port = 22;
        store.UpdateBackend(got);
        var again = store.GetBackend("stor1")!;
        Assert.Equal("rack 4", again.Description);
        Assert.Equal(22, again.Port);
        Assert.True(again.Updated >= again.Created);

        Assert.Null(store.GetBackend("nope"));
        Assert.Throws<InventoryNotFoundException>(() => store.UpdateBackend(new Backend { Id = 9999, Name = "ghost" }));
        Assert.Throws<InventoryNotFoundException>(() => store.RemoveBackend("ghost"));
    }

    [Fact]
    public void Duplicate_backend_name_is_a_conflict_naming_the_name()
    {
        using var store = new InventoryStore(DbPath);
        store.AddBackend(Make.Backend("lab"));
        var ex = Assert.Throws<InventoryConflictException>(() => store.AddBackend(Make.Backend("LAB")));
        Assert.Contains("'LAB'", ex.Message);
        Assert.Contains("already exists", ex.Message);
        Assert.IsAssignableFrom<InventoryException>(ex);
    }

    [Fact]
    public void Duplicate_node_name_mac_and_iqn_are_conflicts()
    {
        using var store = new InventoryStore(DbPath);
        store.AddNode(Make.Node("web01", 1));

        var byName = Assert.Throws<InventoryConflictException>(() => store.AddNode(Make.Node("web01", 2)));
        Assert.Contains("web01", byName.Message);

        var sameMac = Make.Node("web02", 1);
        sameMac.InitiatorIqn = "iqn.x:web02";
        var byMac = Assert.Throws<InventoryConflictException>(() => store.AddNode(sameMac));
        Assert.Contains("52:54:00:00:00:01", byMac.Message);
        Assert.Contains("web01", byMac.Message);

        var sameIqn = Make.Node("web03", 3);
        sameIqn.InitiatorIqn = "IQN.2026-01.local.pureboot.client:web01";
        var byIqn = Assert.Throws<InventoryConflictException>(() => store.AddNode(sameIqn));
        Assert.Contains("initiator IQN", byIqn.Message);

        Assert.Single(store.ListNodes());
        Assert.Equal("web01", store.GetNodeByIqn("iqn.2026-01.local.pureboot.client:web01")!.Name);
        Assert.Equal("web01", store.GetNodeByMac("52:54:00:00:00:01")!.Name);
    }

    [Fact]
    public void Node_update_and_remove()
    {
        using var store = new InventoryStore(DbPath);
        var n = store.AddNode(Make.Node("web01", 1));
        n.Hostname = "web01.lab";
        store.UpdateNode(n);
        Assert.Equal("web01.lab", store.GetNode("web01")!.Hostname);
        store.RemoveNode("web01");
        Assert.Null(store.GetNode("web01"));
        Assert.Throws<InventoryNotFoundException>(() => store.RemoveNode("web01"));
    }

    [Fact]
    public void Lun_round_trips_every_field_with_backend_and_node_names()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend("lab"));
        var n = store.AddNode(Make.Node("web01", 1));
        var lun = new Lun
        {
            Name = "web01-boot", SizeBytes = 20L << 30, BackendId = b.Id, Purpose = LunPurpose.InstallSource,
            Status = LunStatus.Active, ErrorMessage = "none", StorageObjectName = "pb_web01_boot",
            BackingPath = "/var/lib/pureboot/luns/web01-boot.img", TargetIqn = b.SharedTargetIqn, TpgLunIndex = 3,
            NodeId = n.Id, InitiatorIqn = n.InitiatorIqn, MappedLunIndex = 0,
            ChapEnabled = true, ChapUser = "web01", MutualChapEnabled = true, MutualChapUser = "target",
            ChapSecretSealed = [1, 2, 3], MutualChapSecretSealed = [4, 5, 6],
            SourceImage = "/images/debian.img", Description = "boot disk", PendingOperation = PendingOperation.Assign,
        };
        store.AddLuns([lun]);
        Assert.True(lun.Id > 0);
        Assert.Equal("lab", lun.BackendName);
        Assert.Equal("web01", lun.NodeName);

        var got = store.GetLun("web01-boot")!;
        Assert.Equal(lun.Id, got.Id);
        Assert.Equal(20L << 30, got.SizeBytes);
        Assert.Equal(b.Id, got.BackendId);
        Assert.Equal("lab", got.BackendName);
        Assert.Equal(LunPurpose.InstallSource, got.Purpose);
        Assert.Equal(LunStatus.Active, got.Status);
        Assert.Equal("none", got.ErrorMessage);
        Assert.Equal("pb_web01_boot", got.StorageObjectName);
        Assert.Equal("/var/lib/pureboot/luns/web01-boot.img", got.BackingPath);
        Assert.Equal(b.SharedTargetIqn, got.TargetIqn);
        Assert.Equal(3, got.TpgLunIndex);
        Assert.Equal(n.Id, got.NodeId);
        Assert.Equal("web01", got.NodeName);
        Assert.Equal(n.InitiatorIqn, got.InitiatorIqn);
        Assert.Equal(0, got.MappedLunIndex);
        Assert.True(got.ChapEnabled);
        Assert.Equal("web01", got.ChapUser);
        Assert.True(got.MutualChapEnabled);
        Assert.Equal("target", got.MutualChapUser);
        Assert.Equal(new byte[] { 1, 2, 3 }, got.ChapSecretSealed);
        Assert.Equal(new byte[] { 4, 5, 6 }, got.MutualChapSecretSealed);
        Assert.Equal("/images/debian.img", got.SourceImage);
        Assert.Equal("boot disk", got.Description);
        Assert.Equal(PendingOperation.Assign, got.PendingOperation);
        Assert.Equal(lun.Created, got.Created);

        // Update every column, including clearing the node and the sealed secrets.
        got.NodeId = null;
        got.InitiatorIqn = null;
        got.MappedLunIndex = null;
        got.Status = LunStatus.Ready;
        got.ChapSecretSealed = null;
        got.MutualChapSecretSealed = [9];
        got.PendingOperation = null;
        got.SizeBytes = 30L << 30;
        var before = got.Updated;
        Thread.Sleep(5);
        store.UpdateLuns([got]);
        Assert.True(got.Updated > before);
        Assert.Null(got.NodeName);
        var again = store.GetLunById(got.Id)!;
        Assert.Null(again.NodeId);
        Assert.Null(again.NodeName);
        Assert.Equal(LunStatus.Ready, again.Status);
        Assert.Null(again.ChapSecretSealed);
        Assert.Equal(new byte[] { 9 }, again.MutualChapSecretSealed);
        Assert.Equal(30L << 30, again.SizeBytes);
        Assert.Equal(got.Updated, again.Updated);
        Assert.Equal(lun.Created, again.Created);
    }

    [Fact]
    public void AddLuns_with_one_duplicate_adds_none()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend());
        store.AddLuns([Make.Lun("existing", b)]);

        var batch = new[] { Make.Lun("new1", b), Make.Lun("new2", b), Make.Lun("EXISTING", b), Make.Lun("new3", b) };
        var ex = Assert.Throws<InventoryConflictException>(() => store.AddLuns(batch));
        Assert.Contains("'EXISTING'", ex.Message);
        Assert.Equal(["existing"], store.ListLuns().Select(l => l.Name));

        // A duplicate inside the batch itself is refused the same way.
        var ex2 = Assert.Throws<InventoryConflictException>(() => store.AddLuns([Make.Lun("dup", b), Make.Lun("dup", b)]));
        Assert.Contains("'dup'", ex2.Message);
        Assert.Single(store.ListLuns());
    }

    [Fact]
    public void Target_lun_index_and_storage_object_are_unique()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend());
        store.AddLuns([Make.Lun("a", b, index: 0)]);

        var sameIndex = Make.Lun("b", b, index: 0);
        var ex = Assert.Throws<InventoryConflictException>(() => store.AddLuns([sameIndex]));
        Assert.Contains("LUN index 0", ex.Message);
        Assert.Contains("'a'", ex.Message);

        var sameObject = Make.Lun("c", b, index: 1);
        sameObject.StorageObjectName = "pb_a";
        var ex2 = Assert.Throws<InventoryConflictException>(() => store.AddLuns([sameObject]));
        Assert.Contains("pb_a", ex2.Message);

        // Unallocated LUNs (null target/index) do not collide with each other.
        store.AddLuns([Make.Lun("d", b), Make.Lun("e", b)]);
        Assert.Equal(3, store.ListLuns().Count);

        // An update that would collide is refused and leaves the row as it was.
        var d = store.GetLun("d")!;
        d.TargetIqn = b.SharedTargetIqn;
        d.TpgLunIndex = 0;
        Assert.Throws<InventoryConflictException>(() => store.UpdateLuns([d]));
        Assert.Null(store.GetLun("d")!.TpgLunIndex);
    }

    [Fact]
    public void UpdateLuns_and_DeleteLuns_are_all_or_nothing()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend());
        var x = Make.Lun("x", b);
        var y = Make.Lun("y", b);
        store.AddLuns([x, y]);

        x.Description = "changed";
        var ghost = Make.Lun("ghost", b);
        ghost.Id = 12345;
        Assert.Throws<InventoryNotFoundException>(() => store.UpdateLuns([x, ghost]));
        Assert.Null(store.GetLun("x")!.Description);

        Assert.Throws<InventoryNotFoundException>(() => store.DeleteLuns([x.Id, 12345]));
        Assert.Equal(2, store.ListLuns().Count);

        store.DeleteLuns([x.Id, y.Id]);
        Assert.Empty(store.ListLuns());
    }

    [Fact]
    public void Lun_with_unknown_backend_is_refused()
    {
        using var store = new InventoryStore(DbPath);
        var lun = new Lun { Name = "orphan", BackendId = 777 };
        var ex = Assert.Throws<InventoryNotFoundException>(() => store.AddLuns([lun]));
        Assert.Contains("orphan", ex.Message);
    }

    [Fact]
    public void Removing_a_node_with_an_assigned_lun_is_refused()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend());
        var n = store.AddNode(Make.Node("web01", 1));
        var lun = Make.Lun("web01-boot", b);
        lun.NodeId = n.Id;
        store.AddLuns([lun]);

        var ex = Assert.Throws<InventoryConflictException>(() => store.RemoveNode("web01"));
        Assert.Contains("web01-boot", ex.Message);
        Assert.NotNull(store.GetNode("web01"));

        lun.NodeId = null;
        store.UpdateLuns([lun]);
        store.RemoveNode("web01");
        Assert.Null(store.GetNode("web01"));
    }

    [Fact]
    public void Removing_a_backend_with_luns_is_refused()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend("lab"));
        var lun = Make.Lun("l1", b);
        store.AddLuns([lun]);
        var ex = Assert.Throws<InventoryConflictException>(() => store.RemoveBackend("lab"));
        Assert.Contains("'l1'", ex.Message);
        store.DeleteLuns([lun.Id]);
        store.RemoveBackend("lab");
        Assert.Empty(store.ListBackends());
    }

    [Fact]
    public void Database_foreign_keys_restrict_deletes_even_without_the_precheck()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend());
        var n = store.AddNode(Make.Node("n1", 1));
        var lun = Make.Lun("l1", b);
        lun.NodeId = n.Id;
        store.AddLuns([lun]);
        using var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=false;Foreign Keys=True");
        raw.Open();
        using var cmd = raw.CreateCommand();
        cmd.CommandText = "DELETE FROM nodes WHERE id = $id;";
        cmd.Parameters.AddWithValue("$id", n.Id);
        var ex = Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => cmd.ExecuteNonQuery());
        Assert.Contains("FOREIGN KEY", ex.Message);
    }

    [Fact]
    public void Wildcard_filters_are_case_insensitive_and_treat_sql_wildcards_literally()
    {
        using var store = new InventoryStore(DbPath);
        foreach (var name in new[] { "web01", "web02", "Web10", "db01", "a_b", "axb", "50%" })
            store.AddBackend(Make.Backend(name));

        Assert.Equal(["web01", "web02", "Web10"], store.ListBackends("WEB*").Select(b => b.Name));
        Assert.Equal(["web01", "web02"], store.ListBackends("web0?").Select(b => b.Name));
        Assert.Equal(["db01", "web01"], store.ListBackends("*01").Select(b => b.Name).Order());
        Assert.Equal(["a_b"], store.ListBackends("a_b").Select(b => b.Name));
        Assert.Equal(["a_b", "axb"], store.ListBackends("a?b").Select(b => b.Name));
        Assert.Equal(["50%"], store.ListBackends("50%").Select(b => b.Name));
        Assert.Empty(store.ListBackends("5%"));
        Assert.Equal(["web01"], store.ListBackends("web01").Select(b => b.Name));
        Assert.Equal(7, store.ListBackends().Count);
        Assert.Equal(7, store.ListBackends("*").Count);
        Assert.Empty(store.ListBackends("x*"));
        Assert.Empty(store.ListBackends("'; DROP TABLE backends; --"));
        Assert.Equal(7, store.ListBackends().Count);
    }

    [Fact]
    public void Lun_filters_by_name_backend_node_status_and_purpose()
    {
        using var store = new InventoryStore(DbPath);
        var lab = store.AddBackend(Make.Backend("lab"));
        var prod = store.AddBackend(Make.Backend("prod"));
        var n1 = store.AddNode(Make.Node("web01", 1));
        var a = Make.Lun("web01-boot", lab); a.NodeId = n1.Id; a.Status = LunStatus.Active;
        var b = Make.Lun("web02-boot", lab); b.Status = LunStatus.Ready;
        var c = Make.Lun("db01-boot", prod); c.Status = LunStatus.Error; c.Purpose = LunPurpose.InstallSource;
        store.AddLuns([a, b, c]);

        Assert.Equal(["web01-boot", "web02-boot"], store.ListLuns(new LunFilter { NameLike = "web*" }).Select(l => l.Name));
        Assert.Equal(["db01-boot"], store.ListLuns(new LunFilter { Backend = "PROD" }).Select(l => l.Name));
        Assert.Equal(["web01-boot"], store.ListLuns(new LunFilter { Node = "web01" }).Select(l => l.Name));
        Assert.Equal(["web02-boot"], store.ListLuns(new LunFilter { Status = LunStatus.Ready }).Select(l => l.Name));
        Assert.Equal(["db01-boot"], store.ListLuns(new LunFilter { Purpose = LunPurpose.InstallSource }).Select(l => l.Name));
        Assert.Empty(store.ListLuns(new LunFilter { Backend = "lab", Status = LunStatus.Error }));
        Assert.Equal(3, store.ListLuns(new LunFilter()).Count);
        Assert.Equal(2, store.ListLunsOnTarget(lab.Id).Count);
        Assert.All(store.ListLuns(), l => Assert.False(string.IsNullOrEmpty(l.BackendName)));
        Assert.Equal("web01", store.GetLun("web01-boot")!.NodeName);
    }

    [Fact]
    public void Audit_rows_fill_time_and_user_and_filter()
    {
        using var store = new InventoryStore(DbPath);
        var t0 = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var rows = new[]
        {
            new AuditEntry { Time = t0, User = "alice", Operation = "New-PBLun", ObjectType = "Lun", ObjectName = "web01-boot", Outcome = AuditOutcome.Success },
            new AuditEntry { Time = t0.AddHours(1), User = "bob", Operation = "Remove-PBLun", ObjectType = "Lun", ObjectName = "web02-boot", Outcome = AuditOutcome.Failure, Message = "target unreachable" },
            new AuditEntry { Time = t0.AddHours(2), User = "alice", Operation = "New-PBNode", ObjectType = "Node", ObjectName = "web01", Outcome = AuditOutcome.Success },
            new AuditEntry { Time = t0.AddHours(3), User = "alice", Operation = "New-PBLun", ObjectType = "Lun", ObjectName = "db01-boot", Outcome = AuditOutcome.Partial },
        };
        foreach (var r in rows) store.WriteAudit(r);

        var auto = new AuditEntry { Operation = "Set-PBBackend", ObjectType = "Backend", ObjectName = "lab" };
        store.WriteAudit(auto);
        Assert.True(auto.Id > 0);
        Assert.Equal(Environment.UserName, auto.User);
        Assert.True((DateTimeOffset.UtcNow - auto.Time).Duration() < TimeSpan.FromMinutes(1));

        Assert.Equal(5, store.ListAudit().Count);
        Assert.Equal(["web01-boot", "web02-boot", "web01", "db01-boot", "lab"], store.ListAudit().Select(a => a.ObjectName));
        Assert.Equal(["web02-boot", "web01", "db01-boot"],
            store.ListAudit(new AuditFilter { Since = t0.AddMinutes(30), Until = t0.AddHours(3) }).Select(a => a.ObjectName));
        // Times in another offset compare as the same instant.
        Assert.Equal(2, store.ListAudit(new AuditFilter { Since = t0.AddHours(2).ToOffset(TimeSpan.FromHours(-5)), Until = t0.AddHours(10) }).Count);
        Assert.Equal(["web01-boot", "web01"], store.ListAudit(new AuditFilter { ObjectName = "WEB01*" }).Select(a => a.ObjectName));
        Assert.Equal(["web01-boot", "db01-boot"], store.ListAudit(new AuditFilter { Operation = "New-PBLun" }).Select(a => a.ObjectName));
        Assert.Equal(["web02-boot"], store.ListAudit(new AuditFilter { Outcome = AuditOutcome.Failure }).Select(a => a.ObjectName));
        Assert.Equal("target unreachable", store.ListAudit(new AuditFilter { Outcome = AuditOutcome.Failure })[0].Message);
        Assert.Equal(["db01-boot", "lab"], store.ListAudit(new AuditFilter { Last = 2 }).Select(a => a.ObjectName));
        Assert.Equal(["web01-boot", "db01-boot"], store.ListAudit(new AuditFilter { Operation = "new-*", ObjectType = "Lun" }).Select(a => a.ObjectName));
        Assert.Equal(["db01-boot"], store.ListAudit(new AuditFilter { Operation = "New-*", ObjectType = "Lun", Last = 1 }).Select(a => a.ObjectName));
        var first = store.ListAudit()[0];
        Assert.Equal(t0, first.Time);
        Assert.Equal("alice", first.User);
        Assert.Equal("Lun", first.ObjectType);
    }

    [Fact]
    public void Transact_commits_lun_changes_and_audit_rows_together()
    {
        using var store = new InventoryStore(DbPath);
        var b = store.AddBackend(Make.Backend());

        // A failure after writing rolls back both the LUN and its audit row.
        Assert.Throws<InvalidOperationException>(() => store.Transact(t =>
        {
            t.AddLuns([Make.Lun("l1", b)]);
            t.WriteAudit(new AuditEntry { Operation = "New-PBLun", ObjectType = "Lun", ObjectName = "l1" });
            throw new InvalidOperationException("boom");
        }));
        Assert.Empty(store.ListLuns());
        Assert.Empty(store.ListAudit());

        var id = store.Transact(t =>
        {
            var lun = Make.Lun("l1", b);
            t.AddLuns([lun]);
            Assert.NotNull(t.GetLun("l1")); // reads see the transaction's own writes
            lun.Status = LunStatus.Ready;
            t.UpdateLuns([lun]);
            t.WriteAudit(new AuditEntry { Operation = "New-PBLun", ObjectType = "Lun", ObjectName = "l1", Outcome = AuditOutcome.Success });
            return lun.Id;
        });
        Assert.Equal(LunStatus.Ready, store.GetLunById(id)!.Status);
        Assert.Single(store.ListAudit());

        // Nesting and using the store for reads inside a transaction are mistakes, reported clearly.
        Assert.Throws<InvalidOperationException>(() => store.Transact(_ => store.Transact(_ => { })));
        Assert.Throws<InvalidOperationException>(() => store.Transact(_ => store.GetLun("l1")));
        InventoryTransaction? kept = null;
        store.Transact(t => kept = t);
        Assert.Throws<InvalidOperationException>(() => kept!.GetLun("l1"));
    }

    [Fact]
    public void Paths_resolve_explicit_path_and_create_private_parent()
    {
        var path = Path.Combine(_dir.Path, "a", "b", "x.db");
        Assert.Equal(path, InventoryPaths.Resolve(path));
        Assert.True(Directory.Exists(Path.GetDirectoryName(path)));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.GetDirectoryName(path)!));
    }
}
