namespace NotifyPush.Storage.Sqlite.Tests;

/// <summary>A temporary directory for one test's database files, deleted with everything in it on dispose.</summary>
internal sealed class SqliteTestDatabase : IDisposable
{
    static SqliteTestDatabase() => SQLitePCL.Batteries_V2.Init();

    public SqliteTestDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "notifypush-sqlite-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string FilePath => Path.Combine(Directory, "notifypush.db");

    public string ConnectionString => $"Data Source={FilePath}";

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
