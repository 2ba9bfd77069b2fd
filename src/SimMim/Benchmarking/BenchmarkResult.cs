using System.Text.Json;
using System.Text.Json.Serialization;

namespace SimMim.Benchmarking;

/// <summary>
/// What <c>simmim benchmark</c> measured, written as one JSON line with snake_case names (docs/PERFORMANCE.md lists
/// them). Rates are per second; FLOPs count a multiply-add as 2; MFU = achieved FLOP/s ÷ this machine's matmul rate
/// in the same precision, measured in the same process with the same threads.
/// </summary>
public sealed record BenchmarkResult
{
    public required string Config { get; init; }
    public required string ModelType { get; init; }
    public required string ModelName { get; init; }
    public required int ImgSize { get; init; }
    public required int BatchSize { get; init; }
    public required long Parameters { get; init; }
    public required int Threads { get; init; }
    public required string Precision { get; init; }
    public required string Cpu { get; init; }
    public required int WarmupSteps { get; init; }
    public required int Steps { get; init; }

    /// <summary>(a) Training images/s: forward + masked L1 + backward + clipping + AdamW.</summary>
    public required double TrainImagesPerSec { get; init; }
    public required double TrainStepMs { get; init; }
    public required double ForwardMs { get; init; }
    public required double BackwardMs { get; init; }
    public required double OptimizerMs { get; init; }
    public required double FirstLoss { get; init; }
    public required double LastLoss { get; init; }

    /// <summary>(b) Inference images/s: eval-mode forward without gradients.</summary>
    public required double InferenceImagesPerSec { get; init; }

    /// <summary>(c) Input-pipeline images/s on real files, and where they came from.</summary>
    public required double InputImagesPerSec { get; init; }
    public required string InputSource { get; init; }
    public required int InputWorkers { get; init; }

    /// <summary>(d) Peak resident memory after the model phases.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>(e) Analytic FLOPs per image: forward, and training (3 × forward).</summary>
    public required long FlopsPerImageForward { get; init; }
    public required long FlopsPerImageTrain { get; init; }

    /// <summary>(f) Achieved FLOP/s.</summary>
    public required double TrainFlopsPerSec { get; init; }
    public required double InferenceFlopsPerSec { get; init; }

    /// <summary>(g) Dense matmul FLOP/s of this machine; bf16 only when the run is bf16.</summary>
    public required int MatmulSize { get; init; }
    public required double MatmulFp32FlopsPerSec { get; init; }
    public double? MatmulBf16FlopsPerSec { get; init; }

    /// <summary>(h) Model FLOP utilisation of training and inference against the matmul rate of the run's precision.</summary>
    public required double Mfu { get; init; }
    public required double InferenceMfu { get; init; }

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>One line of JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Parses a line written by <see cref="ToJson"/>.</summary>
    public static BenchmarkResult FromJson(string json) =>
        JsonSerializer.Deserialize<BenchmarkResult>(json, s_json) ?? throw new JsonException("null benchmark result");
}
