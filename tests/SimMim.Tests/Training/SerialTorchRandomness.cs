namespace SimMim.Tests.Training;

/// <summary>
/// Tests that compare two runs step by step. Torch's global generator (model init, drop path) is shared by every test
/// in the process, so these run alone: a parallel test drawing from it would change their draws.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTorchRandomness
{
    public const string Name = "torch global generator, serial";
}
