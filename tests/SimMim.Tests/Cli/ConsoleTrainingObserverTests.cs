using SimMim.Cli;
using SimMim.Cli.Rendering;
using SimMim.Training;
using Spectre.Console.Testing;

namespace SimMim.Tests.Cli;

public class ConsoleTrainingObserverTests
{
    [Fact]
    public void WarningsGoToStandardErrorAndMessagesToStandardOutput()
    {
        var stdout = new TestConsole();
        var stderr = new TestConsole();
        ITrainingObserver observer = new ConsoleTrainingObserver(stdout, new ErrorConsole(stderr));

        observer.Warning("data: ignored 1 files that are not images");
        observer.Message("precision bf16");

        Assert.Equal("warning: data: ignored 1 files that are not images\n", stderr.Output);
        Assert.Equal("precision bf16\n", stdout.Output);
    }

    [Fact]
    public void AnObserverWithoutAWarningChannelShowsWarningsAsMessages()
    {
        var recorder = new SimMim.Tests.Training.RunRecorder();

        ((ITrainingObserver)recorder).Warning("auto-resume: skipped x");

        Assert.Equal(["auto-resume: skipped x"], recorder.Messages);
    }
}
