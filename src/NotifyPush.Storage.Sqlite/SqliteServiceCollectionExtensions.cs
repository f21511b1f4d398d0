using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;
using NotifyPush.Storage.Sqlite;

// In the DI namespace so the host's Program.cs reads as a table of contents without extra usings
// (as SignalR's StackExchangeRedis adapter does).
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the embedded SQLite store.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SqliteNotificationStore"/> as the singleton <see cref="INotificationStore"/> and
    /// <see cref="ITokenRevocationStore"/>, built from
    /// <see cref="StoreOptions.ConnectionString"/> (default <c>Data Source=data/notifypush.db</c>).
    /// The host calls <see cref="INotificationStore.InitializeAsync"/> at start-up.
    /// </summary>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<StoreOptions>();
        services.TryAddSingleton(static provider =>
        {
            var connectionString = provider.GetRequiredService<IOptions<StoreOptions>>().Value.ConnectionString;
            return new SqliteNotificationStore(
                string.IsNullOrWhiteSpace(connectionString) ? SqliteNotificationStore.DefaultConnectionString : connectionString,
                provider.GetRequiredService<ILogger<SqliteNotificationStore>>(),
                provider.GetService<NotifyPushMetrics>());
        });
        services.TryAddSingleton<INotificationStore>(static provider => provider.GetRequiredService<SqliteNotificationStore>());
        services.TryAddSingleton<ITokenRevocationStore>(static provider => provider.GetRequiredService<SqliteNotificationStore>());
        services.TryAddSingleton<IWebPushStore>(static provider => provider.GetRequiredService<SqliteNotificationStore>());
        return services;
    }
}
