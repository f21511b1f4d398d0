using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace NotifyPush.Core.Storage;

/// <summary>One numbered, forward-only schema step of a store, read from an embedded <c>Migrations/NNNN_description.sql</c>.</summary>
/// <param name="Version">The number the file name starts with (<c>0002_idempotency_keys.sql</c> → 2).</param>
/// <param name="Name">The file name without extension, for logs and migration records.</param>
/// <param name="Sql">The statements of the step; the store runs them inside its migration transaction.</param>
/// <remarks>
/// The one rule both stores follow: each store carries its schema as <c>db/{store}/NNNN_description.sql</c>
/// files (embedded under the resource name <c>Migrations/NNNN_description.sql</c>), numbered 1, 2, 3… without gaps or repeats, applied in that order, each
/// once, never edited after release. How a store records the applied version is its own (a table, a file header);
/// both record each applied step's <see cref="Checksum"/> and refuse to start on a database where a step they know was
/// applied with other text (<see cref="EditedAfterApplying"/>).
/// </remarks>
public sealed record SchemaMigration(int Version, string Name, string Sql)
{
    /// <summary>
    /// SHA-256 of the step's text (hex, lower case), line endings taken as <c>\n</c> so a checkout with CRLF does not
    /// count as an edit.
    /// </summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));

    /// <summary>The error for a step whose recorded checksum is not this build's: the file was edited after it was applied.</summary>
    public InvalidOperationException EditedAfterApplying(string database, string recordedChecksum) => new(
        $"Migration {Name} was applied to {database} with other text than this build's (recorded checksum {recordedChecksum}, "
        + $"this build's {Checksum}): a released migration must never be edited. Restore the file as it was applied and put "
        + "the change in a new numbered migration.");

    private const string ResourcePrefix = "Migrations/";
    private const string ResourceSuffix = ".sql";

    /// <summary>Every migration embedded in <paramref name="assembly"/>, ordered by version.</summary>
    /// <exception cref="InvalidOperationException">A file is misnamed, the numbers have a gap or a repeat, or there is none.</exception>
    public static IReadOnlyList<SchemaMigration> LoadEmbedded(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..^ResourceSuffix.Length];
            var separator = name.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(name.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration '{name}{ResourceSuffix}' must be named NNNN_description.sql, e.g. 0002_add_index.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Migration resource '{resource}' cannot be read.");
            using var reader = new StreamReader(stream);
            migrations.Add(new SchemaMigration(version, name, reader.ReadToEnd()));
        }

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException($"No migrations are embedded in {assembly.GetName().Name} (resources {ResourcePrefix}NNNN_description{ResourceSuffix}).");
        }

        migrations.Sort(static (left, right) => left.Version.CompareTo(right.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException(
                    $"Migrations of {assembly.GetName().Name} must be numbered 1, 2, 3… without gaps or repeats; found '{migrations[i].Name}' at position {i + 1}.");
            }
        }

        return migrations;
    }
}
