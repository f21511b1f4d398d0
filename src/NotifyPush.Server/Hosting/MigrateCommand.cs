using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Hosting;

/// <summary>
/// <c>NotifyPush.Server migrate</c>: applies the store's pending schema migrations and exits, for operators who
/// change the schema before rolling out replicas (with <c>NotifyPush:Store:ApplyMigrationsAtStartup=false</c>).
/// </summary>
public static partial class MigrateCommand
{
    /// <summary>True when the first argument is <c>migrate</c>; the argument is removed from <paramref name="args"/>.</summary>
    public static bool IsRequested(ref string[] args)
    {
        if (args is not ["migrate", ..])
        {
            return false;
        }

        args = args[1..];
        return true;
    }

    /// <summary>Runs the migrations with the application's configuration; returns the process exit code.</summary>
    public static async Task<int> RunAsync(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MigrateCommand));
        try
        {
            await app.Services.GetRequiredService<INotificationStore>().InitializeAsync(app.Lifetime.ApplicationStopping);
            Log.Applied(logger);
            return 0;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or InvalidOperationException)
        {
            Log.Failed(logger, ex);
            return 1;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.MigrationsApplied, LogLevel.Information, "The notification store's schema is up to date.")]
        public static partial void Applied(ILogger logger);

        [LoggerMessage(NotifyPushEventIds.MigrationsFailed, LogLevel.Error, "Applying the store's migrations failed.")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
