using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using static PureBoot.Core.Inventory.SqlHelpers;

namespace PureBoot.Core.Inventory;

// The node rows of one inventory transaction (InventoryTransaction.cs has the transaction itself).
public sealed partial class InventoryTransaction
{
    // ---------------------------------------------------------------- nodes

    private const string NodeColumns = "id, name, mac, initiator_iqn, hostname, description, created, updated";

    public Node AddNode(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var now = Now();
        using var cmd = Command(
            "INSERT INTO nodes (name, mac, initiator_iqn, hostname, description, created, updated) " +
            "VALUES ($name, $mac, $iqn, $hostname, $description, $created, $updated) RETURNING id;");
        BindNode(cmd, node);
        cmd.Parameters.AddWithValue("$created", FormatTime(now));
        cmd.Parameters.AddWithValue("$updated", FormatTime(now));
        try
        {
            node.Id = Convert.ToInt64(cmd.ExecuteScalar());
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw NodeConflict(ex, node);
        }
        node.Created = now;
        node.Updated = now;
        return node;
    }

    public void UpdateNode(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var now = Now();
        using var cmd = Command(
            "UPDATE nodes SET name = $name, mac = $mac, initiator_iqn = $iqn, hostname = $hostname, description = $description, " +
            "updated = $updated WHERE id = $id;");
        BindNode(cmd, node);
        cmd.Parameters.AddWithValue("$updated", FormatTime(now));
        cmd.Parameters.AddWithValue("$id", node.Id);
        int rows;
        try
        {
            rows = cmd.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw NodeConflict(ex, node);
        }
        if (rows == 0) throw new InventoryNotFoundException($"node '{node.Name}' (id {node.Id}) is not in the inventory");
        node.Updated = now;
    }

    public Node? GetNode(string name)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE name = $name;");
        cmd.Parameters.AddWithValue("$name", name);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public Node? GetNodeById(long id)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public Node? GetNodeByIqn(string initiatorIqn)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE initiator_iqn = $iqn;");
        cmd.Parameters.AddWithValue("$iqn", initiatorIqn);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public Node? GetNodeByMac(string macAddress)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE mac = $mac;");
        cmd.Parameters.AddWithValue("$mac", macAddress);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public List<Node> ListNodes(string? nameLike = null)
    {
        using var cmd = Command("");
        var where = new List<string>();
        AddLike(where, cmd, "name", nameLike, "$name");
        cmd.CommandText = $"SELECT {NodeColumns} FROM nodes{Where(where)} ORDER BY name;";
        return ReadNodes(cmd);
    }

    /// <summary>Removes a node; refused while any LUN is assigned to it.</summary>
    public void RemoveNode(string name)
    {
        var node = GetNode(name) ?? throw new InventoryNotFoundException($"node '{name}' is not in the inventory");
        var luns = LunNamesWhere("node_id = $id", node.Id);
        if (luns.Count > 0)
            throw new InventoryConflictException(
                $"node '{node.Name}' cannot be removed: {Describe(luns)} assigned to it; unassign those LUNs first");
        using var cmd = Command("DELETE FROM nodes WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", node.Id);
        try { cmd.ExecuteNonQuery(); }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new InventoryConflictException($"node '{node.Name}' cannot be removed: LUNs are still assigned to it", ex);
        }
    }

    private static void BindNode(SqliteCommand cmd, Node n)
    {
        cmd.Parameters.AddWithValue("$name", n.Name);
        cmd.Parameters.AddWithValue("$mac", n.MacAddress);
        cmd.Parameters.AddWithValue("$iqn", n.InitiatorIqn);
        cmd.Parameters.AddWithValue("$hostname", Db(n.Hostname));
        cmd.Parameters.AddWithValue("$description", Db(n.Description));
    }

    private static List<Node> ReadNodes(SqliteCommand cmd)
    {
        var list = new List<Node>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new Node
            {
                Id = r.GetInt64Col("id"),
                Name = r.GetStringCol("name"),
                MacAddress = r.GetStringCol("mac"),
                InitiatorIqn = r.GetStringCol("initiator_iqn"),
                Hostname = r.GetStringOrNull("hostname"),
                Description = r.GetStringOrNull("description"),
                Created = r.GetTimeCol("created"),
                Updated = r.GetTimeCol("updated"),
            });
        }
        return list;
    }

    private InventoryException NodeConflict(SqliteException ex, Node node)
    {
        string? Holder(string column, string value)
        {
            using var cmd = Command($"SELECT name FROM nodes WHERE {column} = $v AND id <> $id LIMIT 1;");
            cmd.Parameters.AddWithValue("$v", value);
            cmd.Parameters.AddWithValue("$id", node.Id);
            return cmd.ExecuteScalar() as string;
        }
        var m = ex.Message;
        if (m.Contains("nodes.name", StringComparison.Ordinal))
            return new InventoryConflictException($"a node named '{node.Name}' already exists in the inventory", ex, ConflictKind.AlreadyExists);
        if (m.Contains("nodes.mac", StringComparison.Ordinal))
            return new InventoryConflictException(
                $"MAC address {node.MacAddress} already belongs to node '{Holder("mac", node.MacAddress)}'", ex, ConflictKind.AlreadyExists);
        if (m.Contains("nodes.initiator_iqn", StringComparison.Ordinal))
            return new InventoryConflictException(
                $"initiator IQN {node.InitiatorIqn} already belongs to node '{Holder("initiator_iqn", node.InitiatorIqn)}'", ex, ConflictKind.AlreadyExists);
        return new InventoryConflictException($"node '{node.Name}' conflicts with the inventory: {ConstraintText(ex)}", ex);
    }
}
