namespace NotifyPush.Storage.Sqlite;

/// <summary>One numbered schema step, read from an embedded <c>Migrations/NNNN_name.sql</c> file.</summary>
/// <param name="Version">The file's number; the database's <c>user_version</c> once the step is applied.</param>
/// <param name="Name">The file name, for logs.</param>
/// <param name="Sql">The statements of the step.</param>
internal sealed record SqliteMigration(int Version, string Name, string Sql);
