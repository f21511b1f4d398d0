using Microsoft.Data.Sqlite;
using static SQLitePCL.raw;

namespace NotifyPush.Storage.Sqlite;

/// <summary>Tells failures worth retrying later (the store is busy or cannot reach its file) from bugs and bad input.</summary>
internal static class SqliteTransientErrors
{
    /// <summary>True when <paramref name="exception"/> means "the store is unavailable right now".</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        // Primary codes only: extended codes (SQLITE_IOERR_FSYNC, SQLITE_BUSY_SNAPSHOT…) keep the primary in the low byte.
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is SQLITE_BUSY or SQLITE_LOCKED or SQLITE_NOMEM
            or SQLITE_READONLY or SQLITE_IOERR or SQLITE_FULL or SQLITE_CANTOPEN or SQLITE_PROTOCOL,

        // Creating the database's directory failed: the file cannot be opened either.
        IOException or UnauthorizedAccessException => true,
        _ => false,
    };
}
