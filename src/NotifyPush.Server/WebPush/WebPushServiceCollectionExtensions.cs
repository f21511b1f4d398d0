using NotifyPush.Core;

namespace NotifyPush.Server.WebPush;

/// <summary>Registers Web Push: its options (validated at start-up), the sender, the worker and its wake-up.</summary>
public static class WebPushServiceCollectionExtensions
{
    public static IServiceCollection AddNotifyPushWebPush(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebPushOptions, WebPushOptionsValidator>(configuration, WebPushOptions.SectionName);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<WebPushOptions>, WebPushOptionsRulesValidator>();
        var timeoutSeconds = configuration.GetValue(WebPushOptions.SectionName + ":RequestTimeoutSeconds", new WebPushOptions().RequestTimeoutSeconds);
        services.AddHttpClient(WebPushSender.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(Math.Clamp(timeoutSeconds, 1, 120)))
            // The endpoint's host was checked when it was saved; a redirect's would not be.
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
            .AddHttpMessageHandler<VapidAudienceHandler>();
        services.AddTransient<VapidAudienceHandler>();
        services.AddSingleton<WebPushSender>();
        services.AddSingleton<WebPushSignal>();
        services.AddHostedService<WebPushDeliveryService>();
        return services;
    }
}
