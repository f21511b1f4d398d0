using System.Text.RegularExpressions;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

/// <summary>
/// One of the store's hot statements (the appends) in the form Npgsql sends as it is: its <c>@Name</c> parameters
/// replaced once, at start-up, by positional ones (<c>$1</c>, <c>$2</c>, …) in a fixed order. A command with named
/// parameters is parsed on every execution to rewrite them (a copy of the statement's text, a lookup of its
/// parameters and, through Dapper, a parameter object per value); under a steady send load that was a fifth of a
/// replica's allocations. The SQL stays written with names in <see cref="PostgresSql"/>.
/// </summary>
internal sealed partial class PositionalStatement
{
    public PositionalStatement(string namedSql, params string[] names)
    {
        ParameterCount = names.Length;
        Sql = NamedParameter().Replace(namedSql, match =>
        {
            var index = Array.IndexOf(names, match.Groups[1].Value);
            return index >= 0
                ? "$" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : throw new ArgumentException($"The statement uses @{match.Groups[1].Value}, which is not among its positional parameters.", nameof(names));
        });
        var used = NamedParameter().Matches(namedSql).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var unused = names.Where(name => !used.Contains(name)).ToArray();
        if (unused.Length > 0)
        {
            throw new ArgumentException($"The statement does not use {string.Join(", ", unused)}.", nameof(names));
        }
    }

    /// <summary>The statement with <c>$n</c> placeholders.</summary>
    public string Sql { get; }

    /// <summary>A command of this statement on <paramref name="connection"/>; add the values in the order of the names.</summary>
    public NpgsqlCommand CreateCommand(NpgsqlConnection connection) => new(Sql, connection);

    /// <summary>How many values a command takes.</summary>
    public int ParameterCount { get; }

    // A parameter name after '@' that is not part of an operator such as @> (none of the hot statements use one).
    [GeneratedRegex(@"(?<![\w@])@([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex NamedParameter();
}
