using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Api;

[OptionsValidator]
public sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;
