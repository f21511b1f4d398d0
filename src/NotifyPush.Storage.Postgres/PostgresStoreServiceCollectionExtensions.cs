using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

/// <summary>Registers the Postgres store.</summary>
public static class PostgresStoreServiceCollectionExtensions
{
    private const string ConnectionStringSetting = StoreOptions.SectionName + ":ConnectionString";

    /// <summary>
    /// Registers <see cref="PostgresNotificationStore"/> as the <see cref="INotificationStore"/>: one instance and one
    /// connection pool per process, built from <c>NotifyPush:Store:ConnectionString</c>. A missing or malformed
    /// connection string stops the host at start-up with a message naming that setting.
    /// </summary>
    /// <remarks>Binding <see cref="StoreOptions"/> to configuration is the host's job; this only validates it.</remarks>
    public static IServiceCollection AddPostgresStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<StoreOptions>()
            .Validate(
                static options => IsValidConnectionString(options.ConnectionString),
                $"{ConnectionStringSetting} is required by the Postgres store and must be an Npgsql connection string, e.g. Host=127.0.0.1;Username=notifypush;Database=notifypush.")
            .ValidateOnStart();

        services.TryAddSingleton(static provider =>
        {
            // Reading Value runs the validation above, so resolving the store outside a started host fails the same way.
            var options = provider.GetRequiredService<IOptions<StoreOptions>>().Value;
            var settings = new PostgresStoreSettings { GroupCommitMaxRows = options.GroupCommitMaxRows };
            return PostgresNotificationStore.Create(options.ConnectionString!, provider.GetRequiredService<ILoggerFactory>(), settings);
        });
        services.AddSingleton<INotificationStore>(static provider => provider.GetRequiredService<PostgresNotificationStore>());
        return services;
    }

    private static bool IsValidConnectionString(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return true;
        }
        catch (ArgumentException)
        {
            // A malformed string is reported as the setting being invalid; the parser's message may echo a password.
            return false;
        }
    }
}
