using SimMim;
using SimMim.Cli;
using SimMim.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

return SimMimApp.Run(args, AnsiConsole.Console);

namespace SimMim.Cli
{
    /// <summary>
    /// Wires the verbs and turns user errors into one line on standard error and an exit code; bugs keep their stack
    /// trace. Results go to <c>console</c> (standard output).
    /// </summary>
    public static class SimMimApp
    {
        /// <summary>Each verb's settings class, for the checks made before Spectre parses (<see cref="FlagValues"/>).</summary>
        public static IReadOnlyDictionary<string, Type> SettingsByVerb { get; } = new Dictionary<string, Type>
        {
            ["pretrain"] = typeof(PretrainCommand.Settings),
            ["finetune"] = typeof(FinetuneCommand.Settings),
            ["linprobe"] = typeof(LinprobeCommand.Settings),
            ["eval"] = typeof(EvalCommand.Settings),
            ["reconstruct"] = typeof(ReconstructCommand.Settings),
            ["benchmark"] = typeof(BenchmarkCommand.Settings),
            ["convert"] = typeof(ConvertCommand.Settings),
            ["inspect"] = typeof(InspectCommand.Settings),
            ["mpi-check"] = typeof(MpiCheckCommand.Settings),
        };

        /// <param name="args">The command line.</param>
        /// <param name="console">Standard output: tables, progress, results.</param>
        /// <param name="errors">Standard error: error lines and warnings. Default: the process's standard error.</param>
        public static int Run(string[] args, IAnsiConsole console, IAnsiConsole? errors = null)
        {
            var errorConsole = errors is null ? ErrorConsole.Standard() : new ErrorConsole(errors);
            // Large tensors stay in the heap between steps instead of being unmapped and faulted in again.
            SimMim.Hardware.NativeHeap.KeepLargeBlocks();
            var app = new CommandApp();
            app.Configure(config =>
            {
                config.SetApplicationName("simmim");
                config.ConfigureConsole(console);
                config.Settings.Registrar.RegisterInstance(errorConsole);
                config.PropagateExceptions();
                config.UseStrictParsing();
                config.AddCommand<PretrainCommand>("pretrain")
                    .WithDescription("SimMIM pretraining. With no arguments: a short demo on built-in data.")
                    .WithExample("pretrain")
                    .WithExample("pretrain", "--cfg", "configs/fashion_mnist_vit_tiny.yaml", "--data-path", "/usr/share/datasets/fashion-mnist")
                    .WithExample("pretrain", "--cfg", "configs/demo.yaml", "--opts", "TRAIN.EPOCHS", "2", "DATA.BATCH_SIZE", "32");
                config.AddCommand<FinetuneCommand>("finetune")
                    .WithDescription("Fine-tune a classifier, from a SimMIM checkpoint (--pretrained) or from scratch.")
                    .WithExample("finetune", "--cfg", "configs/fashion_mnist_finetune_vit_tiny.yaml", "--pretrained", "output/simmim_pretrain/fashion_mnist_vit_tiny/ckpt_epoch_9.pth");
                config.AddCommand<LinprobeCommand>("linprobe")
                    .WithDescription("Linear probe: a linear classifier on frozen encoder features.")
                    .WithExample("linprobe", "--cfg", "configs/fashion_mnist_finetune_vit_tiny.yaml", "--pretrained", "ckpt.pth", "--block", "4");
                config.AddCommand<EvalCommand>("eval")
                    .WithDescription("Evaluate a fine-tuned checkpoint: top-1/top-5, per-class accuracy, confusion matrix, eval.json.")
                    .WithExample("eval", "--cfg", "configs/fashion_mnist_finetune_vit_tiny.yaml", "--resume", "output/simmim_finetune/fashion_mnist_vit_tiny/ckpt_epoch_9.pth");
                config.AddCommand<ReconstructCommand>("reconstruct")
                    .WithDescription("Write a PNG grid: original | masked input | reconstruction | reconstruction pasted into the visible pixels.")
                    .WithExample("reconstruct", "--cfg", "configs/demo.yaml", "--checkpoint", "output/simmim_demo/default/ckpt_epoch_14.pth", "--output", "grid.png", "a.jpg", "b.png");

                config.AddCommand<BenchmarkCommand>("benchmark")
                    .WithDescription("Throughput of the config's model: training and inference images/s, input pipeline, memory, FLOPs and MFU; prints a table and one JSON line.")
                    .WithExample("benchmark", "--cfg", "configs/bench_vit_small.yaml", "--steps", "10")
                    .WithExample("benchmark", "--cfg", "configs/bench_swin_small.yaml", "--precision", "bf16", "--threads", "2");

                // Checkpoint interoperability (PyTorch, Hugging Face).
                config.AddCommand<ConvertCommand>("convert")
                    .WithDescription("Convert weights between the reference's and Hugging Face's key layouts, and between .pth and .safetensors.")
                    .WithExample("convert", "simmim_pretrain__swin_base__img192_window6__100ep.pth", "swin.safetensors", "--to", "hf")
                    .WithExample("convert", "model.safetensors", "ckpt.pth", "--to", "reference", "--model-config", "configs/fashion_mnist_swin_tiny.yaml");
                config.AddCommand<InspectCommand>("inspect")
                    .WithDescription("List a checkpoint's keys, shapes and dtypes, its layout and parameter count (no code in it is run).")
                    .WithExample("inspect", "output/simmim_demo/default/ckpt_epoch_14.pth");

                // Data-parallel runs (docs/DISTRIBUTED.md).
                config.AddCommand<MpiCheckCommand>("mpi-check")
                    .WithDescription("Under mpirun: check all-reduce and broadcast across the processes and time the gradient all-reduce of the --cfg model.")
                    .WithExample("mpi-check", "--cfg", "configs/fashion_mnist_vit_tiny.yaml");
            });
            try
            {
                ArgumentEncoding.Check(args);
                string[] normalized = OptsArguments.Normalize(args);
                if (normalized.Length > 0 && SettingsByVerb.TryGetValue(normalized[0], out Type? settings))
                {
                    FlagValues.Check(normalized[1..], settings);
                }
                return app.Run(normalized);
            }
            catch (SimMimUserException e)
            {
                errorConsole.Error(e.Message);
                return e.ExitCode;
            }
            catch (CommandAppException e)
            {
                errorConsole.Error(e.Message);
                return 2;
            }
        }
    }
}
