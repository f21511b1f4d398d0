using System.Globalization;
using System.Reflection;

namespace NotifyPush.Storage.Postgres;

/// <summary>One numbered schema script from <c>db/migrations</c>, carried in this assembly.</summary>
/// <param name="Version">The number the file name starts with (<c>0001_initial.sql</c> → 1).</param>
/// <param name="Name">The file name without extension, recorded in <c>schema_migrations</c>.</param>
/// <param name="Sql">The script; it runs inside the migration transaction.</param>
internal sealed record PostgresMigration(int Version, string Name, string Sql)
{
    private const string ResourcePrefix = "NotifyPush.Migrations.";
    private const string ResourceSuffix = ".sql";

    /// <summary>Every embedded migration, ordered by version.</summary>
    public static IReadOnlyList<PostgresMigration> All { get; } = Load(typeof(PostgresMigration).Assembly);

    private static List<PostgresMigration> Load(Assembly assembly)
    {
        var migrations = new List<PostgresMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..^ResourceSuffix.Length];
            var separator = name.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(name.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version <= 0)
            {
                throw new InvalidOperationException($"Migration '{name}{ResourceSuffix}' must be named <number>_<description>.sql, e.g. 0002_add_index.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new PostgresMigration(version, name, reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException($"Migrations '{migrations[i - 1].Name}' and '{migrations[i].Name}' have the same number.");
            }
        }

        return migrations;
    }
}
