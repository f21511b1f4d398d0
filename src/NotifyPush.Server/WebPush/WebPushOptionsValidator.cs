using Microsoft.Extensions.Options;

namespace NotifyPush.Server.WebPush;

[OptionsValidator]
public sealed partial class WebPushOptionsValidator : IValidateOptions<WebPushOptions>;
