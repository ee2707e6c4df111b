using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using static PureBoot.Core.Inventory.SqlHelpers;

namespace PureBoot.Core.Inventory;

/// <summary>
/// One write transaction (BEGIN IMMEDIATE) on the inventory, handed to <see cref="InventoryStore.Transact(Action{InventoryTransaction})"/>.
/// Everything done through it commits together or not at all, so a LUN state change and its audit row are atomic.
/// Reads through it see the transaction's own writes. Do not keep it after the callback returns.
/// </summary>
public sealed partial class InventoryTransaction
{
    private const string KeyCheckMetaKey = "secret_key_check";

    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction? _transaction;
    private bool _closed;

    internal InventoryTransaction(SqliteConnection connection, SqliteTransaction? transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    internal void Close() => _closed = true;

    private SqliteCommand Command(string sql)
    {
        if (_closed) throw new InvalidOperationException("this inventory transaction has ended; use the one passed to the current Transact call");
        var cmd = _connection.CreateCommand();
        cmd.Transaction = _transaction;
        cmd.CommandText = sql;
        return cmd;
    }


    // ---------------------------------------------------------------- audit

    /// <summary>Appends an audit row; fills Time (now, UTC) when unset and User (the OS user) when empty. Sets Id.</summary>
    public void WriteAudit(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Time == default) entry.Time = Now();
        if (string.IsNullOrEmpty(entry.User)) entry.User = Environment.UserName;
        using var cmd = Command(
            "INSERT INTO audit (time, \"user\", operation, object_type, object_name, outcome, message) " +
            "VALUES ($time, $user, $operation, $object_type, $object_name, $outcome, $message) RETURNING id;");
        cmd.Parameters.AddWithValue("$time", FormatTime(entry.Time));
        cmd.Parameters.AddWithValue("$user", entry.User);
        cmd.Parameters.AddWithValue("$operation", entry.Operation ?? "");
        cmd.Parameters.AddWithValue("$object_type", entry.ObjectType ?? "");
        cmd.Parameters.AddWithValue("$object_name", entry.ObjectName ?? "");
        cmd.Parameters.AddWithValue("$outcome", entry.Outcome.ToString());
        cmd.Parameters.AddWithValue("$message", Db(entry.Message));
        entry.Id = Convert.ToInt64(cmd.ExecuteScalar());
    }

    /// <summary>Audit rows matching the filter, oldest first.</summary>
    public List<AuditEntry> ListAudit(AuditFilter? filter = null)
    {
        filter ??= new AuditFilter();
        using var cmd = Command("");
        var where = new List<string>();
        if (filter.Since is { } since)
        {
            where.Add("time >= $since");
            cmd.Parameters.AddWithValue("$since", FormatTime(since));
        }
        if (filter.Until is { } until)
        {
            where.Add("time <= $until");
            cmd.Parameters.AddWithValue("$until", FormatTime(until));
        }
        AddLike(where, cmd, "object_name", filter.ObjectName, "$object_name");
        AddLike(where, cmd, "object_type", filter.ObjectType, "$object_type");
        AddLike(where, cmd, "operation", filter.Operation, "$operation");
        if (filter.Outcome is { } outcome)
        {
            where.Add("outcome = $outcome");
            cmd.Parameters.AddWithValue("$outcome", outcome.ToString());
        }
        const string columns = "id, time, \"user\", operation, object_type, object_name, outcome, message";
        if (filter.Last is { } last)
        {
            if (last < 0) throw new ArgumentOutOfRangeException(nameof(filter), "Last must be 0 or more");
            cmd.Parameters.AddWithValue("$last", last);
            cmd.CommandText =
                $"SELECT {columns} FROM (SELECT {columns} FROM audit{Where(where)} ORDER BY id DESC LIMIT $last) ORDER BY id;";
        }
        else
        {
            cmd.CommandText = $"SELECT {columns} FROM audit{Where(where)} ORDER BY id;";
        }

        var list = new List<AuditEntry>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new AuditEntry
            {
                Id = r.GetInt64Col("id"),
                Time = r.GetTimeCol("time"),
                User = r.GetStringCol("user"),
                Operation = r.GetStringCol("operation"),
                ObjectType = r.GetStringCol("object_type"),
                ObjectName = r.GetStringCol("object_name"),
                Outcome = r.GetEnumCol<AuditOutcome>("outcome"),
                Message = r.GetStringOrNull("message"),
            });
        }
        return list;
    }

    // ---------------------------------------------------------------- meta

    internal byte[]? GetMeta(string key)
    {
        using var cmd = Command("SELECT value FROM meta WHERE key = $key;");
        cmd.Parameters.AddWithValue("$key", key);
        var value = cmd.ExecuteScalar();
        return value switch
        {
            null or DBNull => null,
            byte[] bytes => bytes,
            string s => System.Text.Encoding.UTF8.GetBytes(s),
            _ => throw new InventoryException($"the inventory's meta value '{key}' has an unexpected type"),
        };
    }

    internal void SetMeta(string key, byte[] value)
    {
        using var cmd = Command("INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value;");
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.Add("$value", SqliteType.Blob).Value = value;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Stores the key check value on first use; afterwards throws SecretDecryptionException if the key differs.</summary>
    public void EnsureKeyCheck(Secrets.SecretBox box)
    {
        ArgumentNullException.ThrowIfNull(box);
        var stored = GetMeta(KeyCheckMetaKey);
        if (stored is null) SetMeta(KeyCheckMetaKey, box.ComputeKeyCheck());
        else box.VerifyKeyCheck(stored);
    }

    // ---------------------------------------------------------------- helpers

    private static string Where(List<string> clauses) => clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", clauses);

    private static string ConstraintText(SqliteException ex)
    {
        var m = ex.Message;
        var start = m.IndexOf('\'');
        var end = m.LastIndexOf('\'');
        return start >= 0 && end > start ? m[(start + 1)..end] : m;
    }
}
