using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Api;

[OptionsValidator]
public sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;

/// <summary>Rules across settings of <see cref="ApiOptions"/>, named by their full keys.</summary>
public sealed class ApiOptionsRulesValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        if (options.DefaultTtlSeconds > options.MaxTtlSeconds)
        {
            failures.Add($"{ApiOptions.SectionName}:DefaultTtlSeconds ({options.DefaultTtlSeconds}) must not exceed {ApiOptions.SectionName}:MaxTtlSeconds ({options.MaxTtlSeconds}).");
        }

        if (options.DefaultHistoryLimit > options.MaxHistoryLimit)
        {
            failures.Add($"{ApiOptions.SectionName}:DefaultHistoryLimit ({options.DefaultHistoryLimit}) must not exceed {ApiOptions.SectionName}:MaxHistoryLimit ({options.MaxHistoryLimit}).");
        }

        if (options.MaxPayloadBytes > options.MaxRequestBodyBytes)
        {
            failures.Add($"{ApiOptions.SectionName}:MaxPayloadBytes ({options.MaxPayloadBytes}) must not exceed {ApiOptions.SectionName}:MaxRequestBodyBytes ({options.MaxRequestBodyBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
