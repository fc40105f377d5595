using PodShim.Interop;

namespace PodShim.UnitTests.Interop;

public sealed class NetnsAddressTests
{
    [Fact]
    public void TheRequestIsRtmNewaddrForA32OnLo()
    {
        var b = new byte[40];
        NetnsAddress.WriteRequest(b, [10, 96, 0, 10], 32, sequence: 7);
        Assert.Equal(
            "28000000" + "1400" + "0506" + "07000000" + "00000000" // nlmsghdr: len 40, RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE, seq 7, pid 0
            + "02" + "20" + "00" + "00" + "01000000"               // ifaddrmsg: AF_INET, /32, flags, scope universe, ifindex 1 (lo)
            + "0800" + "0200" + "0A60000A"                         // IFA_LOCAL 10.96.0.10
            + "0800" + "0100" + "0A60000A",                        // IFA_ADDRESS 10.96.0.10
            Convert.ToHexString(b));
    }

    [Fact]
    public void TheAckCarriesTheErrno()
    {
        byte[] ack = Convert.FromHexString("24000000" + "0200" + "0001" + "07000000" + "00000000" + "EFFFFFFF");
        Assert.Equal(Errno.EEXIST, NetnsAddress.ParseAck(ack, 7));
        ack[16] = 0;
        ack[17] = ack[18] = ack[19] = 0;
        Assert.Equal(0, NetnsAddress.ParseAck(ack, 7));
        Assert.Equal(Errno.EPROTO, NetnsAddress.ParseAck(ack, 8));
        Assert.Equal(Errno.EPROTO, NetnsAddress.ParseAck(ack[..10], 7));
    }
}
