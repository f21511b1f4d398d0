using NotifyPush.Core.Backplane;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Core.Tests.Backplane;

public sealed class InProcessNotificationBackplaneTests : NotificationBackplaneSpecification
{
    protected override Task<INotificationBackplane> CreateBackplaneAsync() =>
        Task.FromResult<INotificationBackplane>(new InProcessNotificationBackplane());
}
