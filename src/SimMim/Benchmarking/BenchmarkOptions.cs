using SimMim.Models.Layers;

namespace SimMim.Benchmarking;

/// <summary>How a benchmark runs; sizes not given here come from the config (DATA.BATCH_SIZE, DATA.IMG_SIZE, MODEL.*).</summary>
/// <param name="Precision">fp32 or bf16 mixed precision for the model phases.</param>
/// <param name="Threads">Torch compute threads; the caller has set them, they are reported.</param>
/// <param name="Steps">Timed training steps and inference forwards.</param>
/// <param name="WarmupSteps">Untimed steps before each timed phase.</param>
/// <param name="InputBatches">Timed batches of the input pipeline.</param>
/// <param name="MatmulSize">Side of the square matrices that calibrate the machine's matmul rate.</param>
/// <param name="MatmulRepeats">Timed products; the fastest counts.</param>
public sealed record BenchmarkOptions(Precision Precision, int Threads, int Steps = 10, int WarmupSteps = 3, int InputBatches = 10,
    int MatmulSize = 2048, int MatmulRepeats = 5);
