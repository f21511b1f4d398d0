using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Api;

/// <summary>
/// Settings of <see cref="ApiOptions"/> that were renamed: a deployment that still sets the former key keeps its value
/// (when the new key is not set), is told at start-up which key to use instead, and one that sets both to different
/// values is refused at start-up rather than left to guess which one wins.
/// </summary>
public sealed partial class ApiOptionsFormerNames(IConfiguration configuration, ILogger<ApiOptionsFormerNames> logger)
    : IPostConfigureOptions<ApiOptions>, IValidateOptions<ApiOptions>, IHostedService
{
    private const string FormerKey = nameof(ApiOptions.StoreRetryAfterSeconds);
    private const string NewKey = nameof(ApiOptions.UnavailableRetryAfterSeconds);

    private IConfigurationSection Section => configuration.GetSection(ApiOptions.SectionName);

    public void PostConfigure(string? name, ApiOptions options)
    {
        if (options.StoreRetryAfterSeconds is int former && Section[NewKey] is null)
        {
            options.UnavailableRetryAfterSeconds = former;
        }
    }

    public ValidateOptionsResult Validate(string? name, ApiOptions options) =>
        options.StoreRetryAfterSeconds is int former && Section[NewKey] is not null && former != options.UnavailableRetryAfterSeconds
            ? ValidateOptionsResult.Fail(
                $"{ApiOptions.SectionName}:{FormerKey} ({former}) is the former name of {ApiOptions.SectionName}:{NewKey} ({options.UnavailableRetryAfterSeconds}); set only {NewKey}.")
            : ValidateOptionsResult.Success;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Section[FormerKey] is not null)
        {
            Log.FormerNameUsed(logger, $"{ApiOptions.SectionName}:{FormerKey}", $"{ApiOptions.SectionName}:{NewKey}");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.DeprecatedSetting, EventName = "DeprecatedSetting", Level = LogLevel.Warning,
            Message = "Setting {FormerKey} is deprecated and will be removed; set {NewKey} instead (its value is used until then).")]
        public static partial void FormerNameUsed(ILogger logger, string formerKey, string newKey);
    }
}
