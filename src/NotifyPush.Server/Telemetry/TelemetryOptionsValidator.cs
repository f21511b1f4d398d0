using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Telemetry;

/// <summary>Checks <see cref="TelemetryOptions"/> at start-up, naming failures by their full keys.</summary>
public sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.PrometheusPath) &&
            (options.PrometheusPath[0] != '/' || options.PrometheusPath.Length > 256 || options.PrometheusPath.Any(c => char.IsWhiteSpace(c) || c is '?' or '#')))
        {
            failures.Add($"{TelemetryOptions.SectionName}:PrometheusPath must be empty or a path starting with '/' (at most 256 characters, no spaces, '?' or '#'), e.g. /metrics.");
        }

        if (!string.IsNullOrEmpty(options.OtlpEndpoint) &&
            (!Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            failures.Add($"{TelemetryOptions.SectionName}:OtlpEndpoint must be an absolute http or https URL, e.g. http://otel-collector:4318.");
        }

        if (!string.IsNullOrEmpty(options.OtlpProtocol) && !TelemetryServiceCollectionExtensions.TryParseProtocol(options.OtlpProtocol, out _))
        {
            failures.Add($"{TelemetryOptions.SectionName}:OtlpProtocol must be HttpProtobuf or Grpc.");
        }

        if (!(options.TracesSampleRatio is >= 0 and <= 1))
        {
            failures.Add($"{TelemetryOptions.SectionName}:TracesSampleRatio must be between 0 and 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
