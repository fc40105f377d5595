using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Status;

public class StatusSmokeTests
{
    [Fact]
    public void Default_status_serializes_as_pending()
    {
        Assert.Equal("{\"phase\":\"Pending\",\"conditions\":[]}", PodStatusJson.Serialize(new PodStatusInfo()));
    }
}
