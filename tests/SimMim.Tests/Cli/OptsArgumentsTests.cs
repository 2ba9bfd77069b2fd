using SimMim.Cli;

namespace SimMim.Tests.Cli;

public class OptsArgumentsTests
{
    [Fact]
    public void TokensAfterOptsBecomeOneOptionEachUntilTheNextFlag()
    {
        string[] args = ["pretrain", "--opts", "TRAIN.EPOCHS", "-1", "MODEL.SWIN.DEPTHS", "[2,2]", "--tag", "x"];
        Assert.Equal(["pretrain", "--opts=TRAIN.EPOCHS", "--opts=-1", "--opts=MODEL.SWIN.DEPTHS", "--opts=[2,2]", "--tag", "x"],
            OptsArguments.Normalize(args));
    }
}
