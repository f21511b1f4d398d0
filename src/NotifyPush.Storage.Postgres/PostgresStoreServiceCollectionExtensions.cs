using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

/// <summary>Registers the Postgres store.</summary>
public static class PostgresStoreServiceCollectionExtensions
{
    private const string ConnectionStringSetting = StoreOptions.SectionName + ":ConnectionString";

    /// <summary>
    /// Registers <see cref="PostgresNotificationStore"/> as the <see cref="INotificationStore"/>: one instance and one
    /// connection pool per process, built from <c>NotifyPush:Store:ConnectionString</c> and tuned by
    /// <see cref="PostgresStoreOptions"/> (bound from <c>NotifyPush:Store</c> here). A missing or malformed connection
    /// string, or a tuning setting out of range, stops the host at start-up with a message naming that setting.
    /// </summary>
    /// <remarks>Binding <see cref="StoreOptions"/> to configuration is the host's job (<c>AddNotifyPushCore</c>); this only validates it.</remarks>
    public static IServiceCollection AddPostgresStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddValidatedOptions<PostgresStoreOptions, PostgresStoreOptionsValidator>(configuration, PostgresStoreOptions.SectionName);
        services.AddOptions<StoreOptions>()
            .Validate(
                static options => IsValidConnectionString(options.ConnectionString),
                $"{ConnectionStringSetting} is required by the Postgres store and must be an Npgsql connection string, e.g. Host=127.0.0.1;Username=notifypush;Database=notifypush.")
            .Validate(
                static options => PostgresTargetSession.Problem(options.ConnectionString) is null,
                $"{ConnectionStringSetting}: {PostgresTargetSession.Keyword} must be primary or read-write, or unset (with several hosts the store then sets primary; with one host any or prefer-primary also do): the store writes and reads its own writes, so it must never use a standby.")
            .ValidateOnStart();

        services.TryAddSingleton(static provider =>
        {
            // Reading Value runs the validation above, so resolving the store outside a started host fails the same way.
            var connectionString = provider.GetRequiredService<IOptions<StoreOptions>>().Value.ConnectionString!;
            var options = provider.GetRequiredService<IOptions<PostgresStoreOptions>>().Value;
            return PostgresNotificationStore.Create(connectionString, provider.GetRequiredService<ILoggerFactory>(), options, provider.GetService<NotifyPushMetrics>());
        });
        services.AddSingleton<INotificationStore>(static provider => provider.GetRequiredService<PostgresNotificationStore>());
        services.TryAddSingleton<ITokenRevocationStore>(static provider => provider.GetRequiredService<PostgresNotificationStore>());
        services.TryAddSingleton<IWebPushStore>(static provider => provider.GetRequiredService<PostgresNotificationStore>());
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
