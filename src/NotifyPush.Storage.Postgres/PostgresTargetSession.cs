using Npgsql;

namespace NotifyPush.Storage.Postgres;

/// <summary>
/// Which server of a multi-host connection string the store may use: the primary, always. The store writes, and reads
/// what it has just written (a gap fill right after a send), which a standby may not have replayed yet.
/// </summary>
/// <remarks>
/// With several hosts and no <c>Target Session Attributes</c>, Npgsql would take any host that answers, a standby
/// included: the store sets <c>primary</c>. A setting that can land on a standby (<c>standby</c>,
/// <c>prefer-standby</c>, <c>read-only</c>, and with several hosts <c>any</c> or <c>prefer-primary</c>) is refused at
/// start-up. With one host, <c>any</c> (Npgsql's default) stays allowed: there is nothing else to pick.
/// </remarks>
internal static class PostgresTargetSession
{
    /// <summary>The connection string keyword, as operators write it.</summary>
    public const string Keyword = "Target Session Attributes";

    /// <summary>
    /// Why the store cannot run on this connection string's target session setting, or null when it can (or the
    /// string does not parse, which the connection string's own validation reports).
    /// </summary>
    public static string? Problem(string? connectionString)
    {
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            return null;
        }

        var value = settings.TargetSessionAttributes?.Trim().ToLowerInvariant();
        var multiHost = IsMultiHost(settings);
        return value switch
        {
            null or "" or "primary" or "read-write" => null,
            "any" or "prefer-primary" when !multiHost => null,
            _ => $"{Keyword}={settings.TargetSessionAttributes} can send the store to a standby"
                 + (multiHost ? " among the connection string's hosts" : "")
                 + $"; the store writes and reads its own writes, so it must use the primary: set {Keyword}=primary (or read-write), or leave it unset.",
        };
    }

    /// <summary>Sets <c>primary</c> when the connection string names several hosts and no target; throws on a setting <see cref="Problem"/> refuses.</summary>
    public static void Apply(NpgsqlConnectionStringBuilder settings, string connectionString)
    {
        if (Problem(connectionString) is { } problem)
        {
            throw new ArgumentException(problem, nameof(connectionString));
        }

        if (IsMultiHost(settings) && string.IsNullOrWhiteSpace(settings.TargetSessionAttributes))
        {
            settings.TargetSessionAttributes = "primary";
        }
    }

    private static bool IsMultiHost(NpgsqlConnectionStringBuilder settings) =>
        settings.Host?.Contains(',', StringComparison.Ordinal) == true;
}
