using SimMim.Distributed;

namespace SimMim.Tests.Distributed;

public class ProcessGroupTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void WithoutALauncherTheRunIsOneProcessAndMpiIsNotTouched()
    {
        var group = ProcessGroup.FromEnvironment(Env(("SIMMIM_MPI_LIBRARY", "/nonexistent/libmpi.so")));
        Assert.Same(SingleProcessGroup.Instance, group);
        Assert.Equal((0, 1, true), (group.Rank, group.WorldSize, group.IsMain));
    }

    [Fact]
    public void OneLaunchedProcessIsAlsoTheSingleProcessGroup() =>
        Assert.Same(SingleProcessGroup.Instance,
            ProcessGroup.FromEnvironment(Env(("OMPI_COMM_WORLD_SIZE", "1"), ("SIMMIM_MPI_LIBRARY", "/nonexistent/libmpi.so"))));

    [Theory]
    [InlineData("OMPI_COMM_WORLD_SIZE")]
    [InlineData("PMI_SIZE")]
    public void LaunchedProcessesAreReadFromOpenMpiAndHydra(string variable)
    {
        Assert.Equal(4, ProcessGroup.LaunchedProcesses(Env((variable, "4"))));
        Assert.Equal(1, ProcessGroup.LaunchedProcesses(Env()));
    }

    [Fact]
    public void LaunchedByMpirunWithoutAnMpiLibraryIsOneLineSayingWhatToDo()
    {
        var ex = Assert.Throws<DistributedException>(() => ProcessGroup.FromEnvironment(
            Env(("OMPI_COMM_WORLD_SIZE", "2"), ("SIMMIM_MPI_LIBRARY", "/nonexistent/libmpi.so"))));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains("/nonexistent/libmpi.so", ex.Message);
        Assert.Contains("SIMMIM_MPI_LIBRARY", ex.Message);
        Assert.Equal(1, ex.ExitCode);
    }

    [Fact]
    public void TheSingleProcessGroupLeavesDataAsItIs()
    {
        float[] data = [1, 2, 3];
        SingleProcessGroup.Instance.AllReduce<float>(data, ReduceOp.Sum);
        SingleProcessGroup.Instance.Broadcast<float>(data, root: 0);
        Assert.Equal(new float[] { 1, 2, 3 }, data);
        Assert.Throws<ArgumentOutOfRangeException>(() => SingleProcessGroup.Instance.Broadcast<float>(data, root: 1));
    }
}
