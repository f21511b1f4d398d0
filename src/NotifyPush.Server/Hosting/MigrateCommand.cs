using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Hosting;

/// <summary>
/// <c>NotifyPush.Server migrate</c>: applies the store's pending schema migrations and exits, for operators who
/// change the schema before rolling out replicas (with <c>NotifyPush:Store:ApplyMigrationsAtStartup=false</c>).
/// </summary>
public static class MigrateCommand
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
            logger.LogInformation("The notification store's schema is up to date.");
            return 0;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or InvalidOperationException)
        {
            logger.LogError(ex, "Applying migrations failed.");
            return 1;
        }
    }
}
