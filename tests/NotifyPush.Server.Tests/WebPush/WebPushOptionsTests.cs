using Microsoft.Extensions.Options;
using NotifyPush.Server.WebPush;

namespace NotifyPush.Server.Tests.WebPush;

/// <summary>NotifyPush:WebPush is checked at start-up: a bad setting stops the server with a message naming it.</summary>
public sealed class WebPushOptionsTests
{
    private static readonly VapidKeyPair Keys = VapidKeyPair.Create();

    private static ValidateOptionsResult Validate(WebPushOptions options) => new WebPushOptionsRulesValidator().Validate(null, options);

    [Fact]
    public void NoVapidIdentity_IsWebPushOff_AndValid()
    {
        var options = new WebPushOptions();

        Assert.False(options.Enabled);
        Assert.True(Validate(options).Succeeded);
        Assert.Equal(WebPushOptions.DefaultAllowedEndpointHosts, options.EffectiveAllowedEndpointHosts);
    }

    [Fact]
    public void APartOfTheVapidIdentity_NamesAllThreeSettings()
    {
        var result = Validate(new WebPushOptions { Subject = VapidKeyPair.Subject });

        Assert.True(result.Failed);
        Assert.Contains("NotifyPush:WebPush:PrivateKey", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ops@example.com")]
    [InlineData("http://example.com")]
    public void ASubjectThatIsNotMailtoOrHttps_IsRefused(string subject)
    {
        var result = Validate(new WebPushOptions { Subject = subject, PublicKey = Keys.PublicKey, PrivateKey = Keys.PrivateKey });

        Assert.Contains("NotifyPush:WebPush:Subject", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void APrivateKeyOfAnotherPair_IsRefused_WithoutEchoingIt()
    {
        var other = VapidKeyPair.Create();

        var result = Validate(new WebPushOptions { Subject = VapidKeyPair.Subject, PublicKey = Keys.PublicKey, PrivateKey = other.PrivateKey });

        Assert.Contains("NotifyPush:WebPush:PrivateKey", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(other.PrivateKey, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void APublicKeyThatIsNotAP256Point_IsRefused()
    {
        var result = Validate(new WebPushOptions { Subject = VapidKeyPair.Subject, PublicKey = "BAAA", PrivateKey = Keys.PrivateKey });

        Assert.Contains("NotifyPush:WebPush:PublicKey", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAllowedHostThatIsNotAHostName_IsRefused()
    {
        var result = Validate(new WebPushOptions { AllowedEndpointHosts = ["https://fcm.googleapis.com/"] });

        Assert.Contains("NotifyPush:WebPush:AllowedEndpointHosts", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void ALeaseShorterThanTwoRequestTimeouts_IsRefused()
    {
        var result = Validate(new WebPushOptions { LeaseSeconds = 10, RequestTimeoutSeconds = 10 });

        Assert.Contains("NotifyPush:WebPush:LeaseSeconds", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_WithHalfAVapidIdentity_DoesNotStart_AndSaysWhichSettings()
    {
        var exception = Assert.ThrowsAny<Exception>(() =>
        {
            using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:WebPush:Subject"] = VapidKeyPair.Subject });
        });

        Assert.Contains("NotifyPush:WebPush:PublicKey", exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Server_WithADelayOutOfRange_DoesNotStart_AndNamesIt()
    {
        var exception = Assert.ThrowsAny<Exception>(() =>
        {
            using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:WebPush:DelaySeconds"] = "-1" });
        });

        Assert.Contains("NotifyPush:WebPush:DelaySeconds", exception.ToString(), StringComparison.Ordinal);
    }
}
