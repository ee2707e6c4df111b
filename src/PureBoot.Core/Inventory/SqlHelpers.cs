using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace PureBoot.Core.Inventory;

internal static class SqlHelpers
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>Fixed-width ISO 8601 UTC, so text order is time order.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>Current time truncated to what is stored, so returned objects equal what a later read gives.</summary>
    public static DateTimeOffset Now() => ParseTime(FormatTime(DateTimeOffset.UtcNow));

    /// <summary>
    /// A PowerShell wildcard (* ? and ` escape) as a LIKE pattern with ESCAPE '\'. LIKE is case-insensitive for ASCII.
    /// </summary>
    public static string WildcardToLike(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 4);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    AppendLiteral(sb, pattern[++i]);
                    break;
                case '*': sb.Append('%'); break;
                case '?': sb.Append('_'); break;
                default: AppendLiteral(sb, c); break;
            }
        }
        return sb.ToString();

        static void AppendLiteral(StringBuilder sb, char c)
        {
            if (c is '%' or '_' or '\\') sb.Append('\\');
            sb.Append(c);
        }
    }

    public static void AddLike(List<string> where, SqliteCommand cmd, string column, string? pattern, string parameter)
    {
        if (pattern is null) return;
        where.Add($"{column} LIKE {parameter} ESCAPE '\\'");
        cmd.Parameters.AddWithValue(parameter, WildcardToLike(pattern));
    }

    public static object Db(object? value) => value ?? DBNull.Value;

    public static string? GetStringOrNull(this SqliteDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetString(i);
    }

    public static string GetStringCol(this SqliteDataReader r, string column) => r.GetString(r.GetOrdinal(column));

    public static long GetInt64Col(this SqliteDataReader r, string column) => r.GetInt64(r.GetOrdinal(column));

    public static long? GetInt64OrNull(this SqliteDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetInt64(i);
    }

    public static int? GetInt32OrNull(this SqliteDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : checked((int)r.GetInt64(i));
    }

    public static bool GetBoolCol(this SqliteDataReader r, string column) => r.GetInt64(r.GetOrdinal(column)) != 0;

    public static byte[]? GetBlobOrNull(this SqliteDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : (byte[])r.GetValue(i);
    }

    public static DateTimeOffset GetTimeCol(this SqliteDataReader r, string column) => ParseTime(r.GetString(r.GetOrdinal(column)));

    public static T GetEnumCol<T>(this SqliteDataReader r, string column) where T : struct, Enum
    {
        var text = r.GetString(r.GetOrdinal(column));
        return Enum.TryParse<T>(text, ignoreCase: true, out var value)
            ? value
            : throw new InventoryException($"the inventory holds an unknown {typeof(T).Name} value '{text}' in column {column}; was it written by a newer PureBoot?");
    }

    public const int SqliteBusy = 5;
    public const int SqliteLocked = 6;
    public const int SqliteConstraint = 19;

    public static bool IsBusy(SqliteException ex) => ex.SqliteErrorCode is SqliteBusy or SqliteLocked;
}
