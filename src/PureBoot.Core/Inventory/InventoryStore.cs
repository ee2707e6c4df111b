using System.Diagnostics;
using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;

namespace PureBoot.Core.Inventory;

/// <summary>
/// The PureBoot inventory: backends, nodes, LUNs and the audit log in one SQLite file (WAL mode, foreign keys on,
/// synchronous=FULL). Writes run in BEGIN IMMEDIATE transactions, so processes sharing the file take turns instead of
/// failing with "database is locked"; SQLITE_BUSY is retried as a backstop. An instance is safe to share between
/// threads (calls are serialised); several instances or processes may use the same file.
/// </summary>
public sealed partial class InventoryStore : IDisposable
{
    /// <summary>How long a write waits for other processes before giving up.</summary>
    public static TimeSpan MaxBusyWait { get; set; } = TimeSpan.FromMinutes(2);

    private readonly object _gate = new();
    private readonly SqliteConnection _connection;
    private readonly InventoryTransaction _reader;
    private bool _inTransaction;
    private bool _disposed;

    /// <param name="path">The database file; null resolves it with <see cref="InventoryPaths.Resolve"/>.</param>
    public InventoryStore(string? path = null)
    {
        FilePath = InventoryPaths.Resolve(path);
        CreateFilePrivately(FilePath);

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 60,
        };
        _connection = new SqliteConnection(builder.ToString());
        try
        {
            WithRetry(() =>
            {
                if (_connection.State != System.Data.ConnectionState.Open) _connection.Open();
                Execute("PRAGMA busy_timeout=30000;");
                var mode = Convert.ToString(ExecuteScalar("PRAGMA journal_mode=WAL;"));
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new InventoryException(
                        $"the inventory {FilePath} could not be switched to WAL mode (it is in '{mode}' mode); is it on a network file system?");
                Execute("PRAGMA foreign_keys=ON;");
                Execute("PRAGMA synchronous=FULL;");
                return 0;
            });
            Migrate();
        }
        catch (SqliteException ex)
        {
            _connection.Dispose();
            throw new InventoryException($"cannot open the PureBoot inventory {FilePath}: {ex.Message}", ex);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
        _reader = new InventoryTransaction(_connection, null);
    }

    /// <summary>The full path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>The schema version (PRAGMA user_version) of the open file.</summary>
    public int SchemaVersion => Read(() => InventorySchema.GetVersion(_connection, null));

    public static int LatestSchemaVersion => InventorySchema.LatestVersion;

    // ---------------------------------------------------------------- transactions

    /// <summary>
    /// Runs <paramref name="work"/> in one BEGIN IMMEDIATE transaction and commits it; an exception rolls everything back.
    /// If the database is busy the whole callback may run again, so it should do nothing but inventory work.
    /// </summary>
    public void Transact(Action<InventoryTransaction> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Transact<object?>(t => { work(t); return null; });
    }

    /// <inheritdoc cref="Transact(Action{InventoryTransaction})"/>
    public T Transact<T>(Func<InventoryTransaction, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_inTransaction)
                throw new InvalidOperationException("inventory transactions cannot be nested: use the InventoryTransaction already passed to you");
            _inTransaction = true;
            try
            {
                return WithRetry(() =>
                {
                    using var tx = _connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE
                    var t = new InventoryTransaction(_connection, tx);
                    try
                    {
                        var result = work(t);
                        tx.Commit();
                        return result;
                    }
                    finally
                    {
                        t.Close();
                    }
                });
            }
            finally
            {
                _inTransaction = false;
            }
        }
    }

    // ---------------------------------------------------------------- backends

    public Backend AddBackend(Backend backend) => Transact(t => t.AddBackend(backend));
    public Backend? GetBackend(string name) => Read(() => _reader.GetBackend(name));
    public Backend? GetBackendById(long id) => Read(() => _reader.GetBackendById(id));
    public List<Backend> ListBackends(string? nameLike = null) => Read(() => _reader.ListBackends(nameLike));
    public void UpdateBackend(Backend backend) => Transact(t => t.UpdateBackend(backend));
    public void RemoveBackend(string name) => Transact(t => t.RemoveBackend(name));

    // ---------------------------------------------------------------- nodes

    public Node AddNode(Node node) => Transact(t => t.AddNode(node));
    public Node? GetNode(string name) => Read(() => _reader.GetNode(name));
    public Node? GetNodeById(long id) => Read(() => _reader.GetNodeById(id));
    public Node? GetNodeByIqn(string initiatorIqn) => Read(() => _reader.GetNodeByIqn(initiatorIqn));
    public Node? GetNodeByMac(string macAddress) => Read(() => _reader.GetNodeByMac(macAddress));
    public List<Node> ListNodes(string? nameLike = null) => Read(() => _reader.ListNodes(nameLike));
    public void UpdateNode(Node node) => Transact(t => t.UpdateNode(node));
    public void RemoveNode(string name) => Transact(t => t.RemoveNode(name));

    // ---------------------------------------------------------------- LUNs

    /// <summary>Adds all the LUNs in one transaction: all or none.</summary>
    public void AddLuns(IReadOnlyList<Lun> luns) => Transact(t => t.AddLuns(luns));
    public Lun? GetLun(string name) => Read(() => _reader.GetLun(name));
    public Lun? GetLunById(long id) => Read(() => _reader.GetLunById(id));
    public List<Lun> ListLuns(LunFilter? filter = null) => Read(() => _reader.ListLuns(filter));
    public List<Lun> ListLunsOnTarget(long backendId) => Read(() => _reader.ListLunsOnTarget(backendId));
    /// <summary>Updates all the LUNs in one transaction: all or none.</summary>
    public void UpdateLuns(IReadOnlyList<Lun> luns) => Transact(t => t.UpdateLuns(luns));
    /// <summary>Deletes all the LUNs in one transaction: all or none.</summary>
    public void DeleteLuns(IReadOnlyList<long> ids) => Transact(t => t.DeleteLuns(ids));

    // ---------------------------------------------------------------- audit

    public void WriteAudit(AuditEntry entry) => Transact(t => t.WriteAudit(entry));
    public List<AuditEntry> ListAudit(AuditFilter? filter = null) => Read(() => _reader.ListAudit(filter));

    // ---------------------------------------------------------------- secret key check

    /// <summary>
    /// On first use stores the key check value of <paramref name="box"/>'s key; afterwards throws
    /// <see cref="SecretDecryptionException"/> when the key differs from the one the inventory's secrets were sealed with.
    /// </summary>
    public void EnsureKeyCheck(SecretBox box) => Transact(t => t.EnsureKeyCheck(box));

    // ---------------------------------------------------------------- maintenance

    /// <summary>Copies the WAL into the main file and truncates the WAL (PRAGMA wal_checkpoint(TRUNCATE)).</summary>
    public void Checkpoint() => Read(() => ExecuteScalar("PRAGMA wal_checkpoint(TRUNCATE);"));

    /// <summary>Runs a read-only statement (tests and diagnostics); returns the first column of the first row.</summary>
    internal object? QueryScalar(string sql) => Read(() => ExecuteScalar(sql));

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _connection.Dispose();
        }
    }

    // ---------------------------------------------------------------- internals

    private T Read<T>(Func<T> read)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_inTransaction)
                throw new InvalidOperationException("inside Transact, read through the InventoryTransaction passed to you");
            return WithRetry(read);
        }
    }

    private void Migrate()
    {
        while (true)
        {
            var done = WithRetry(() =>
            {
                using var tx = _connection.BeginTransaction(deferred: false);
                var version = InventorySchema.GetVersion(_connection, tx);
                if (version > InventorySchema.LatestVersion)
                    throw new InventoryException(
                        $"the inventory {FilePath} has schema version {version}, newer than this PureBoot understands ({InventorySchema.LatestVersion}); upgrade PureBoot");
                if (version == InventorySchema.LatestVersion) return true;

                using (var cmd = _connection.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = InventorySchema.Migrations[version];
                    cmd.ExecuteNonQuery();
                }
                using (var cmd = _connection.CreateCommand())
                {
                    cmd.Transaction = tx;
                    // user_version cannot be a parameter; the value is a number from code, not input.
                    cmd.CommandText = $"PRAGMA user_version = {version + 1};";
                    cmd.ExecuteNonQuery();
                }
                tx.Commit();
                return false;
            });
            if (done) return;
        }
    }

    private T WithRetry<T>(Func<T> operation)
    {
        var clock = Stopwatch.StartNew();
        var attempt = 0;
        while (true)
        {
            try
            {
                return operation();
            }
            catch (SqliteException ex) when (SqlHelpers.IsBusy(ex))
            {
                if (clock.Elapsed >= MaxBusyWait)
                    throw new InventoryException(
                        $"the PureBoot inventory {FilePath} stayed locked by another process for {MaxBusyWait.TotalSeconds:0} s; try again", ex);
                attempt++;
                Thread.Sleep(Random.Shared.Next(5, 10 + Math.Min(200, 10 * attempt)));
            }
        }
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private object? ExecuteScalar(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    /// <summary>Creates an empty database file with mode 0600 (SQLite gives its -wal and -shm files the same mode).</summary>
    private static void CreateFilePrivately(string path)
    {
        try
        {
            Io.PrivateFiles.TryCreateEmpty(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InventoryException($"cannot create the PureBoot inventory {path}: {ex.Message}", ex);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
