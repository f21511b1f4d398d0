using Microsoft.Extensions.Options;

namespace NotifyPush.Core.Options;

/// <summary>
/// Prefixes each failure of a generated validator with the configuration section, so a bad setting is named the
/// way operators set it (<c>NotifyPush:Connections:HeartbeatSeconds</c>, or <c>NotifyPush__Connections__HeartbeatSeconds</c>).
/// </summary>
public sealed class SectionNamedValidator<TOptions>(IValidateOptions<TOptions> inner, string sectionName) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var result = inner.Validate(name, options);
        return result.Failed
            ? ValidateOptionsResult.Fail(result.Failures!.Select(failure => $"{sectionName}:{failure}"))
            : result;
    }
}
