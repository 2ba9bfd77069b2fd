using SimMim;
using SimMim.Cli;
using SimMim.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

return SimMimApp.Run(args, AnsiConsole.Console);

namespace SimMim.Cli
{
    /// <summary>Wires the verbs and turns user errors into one line and an exit code; bugs keep their stack trace.</summary>
    public static class SimMimApp
    {
        public static int Run(string[] args, IAnsiConsole console)
        {
            // Large tensors stay in the heap between steps instead of being unmapped and faulted in again.
            SimMim.Hardware.NativeHeap.KeepLargeBlocks();
            var app = new CommandApp();
            app.Configure(config =>
            {
                config.SetApplicationName("simmim");
                config.ConfigureConsole(console);
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
                return app.Run(OptsArguments.Normalize(args));
            }
            catch (SimMimUserException e)
            {
                WriteError(console, e.Message);
                return e.ExitCode;
            }
            catch (CommandAppException e)
            {
                WriteError(console, e.Message);
                return 2;
            }
        }

        /// <summary>
        /// One line however long: Spectre wraps markup at the console width (80 when output is redirected), which
        /// would split an error naming a long path across lines in a log.
        /// </summary>
        internal static void WriteError(IAnsiConsole console, string message)
        {
            console.Markup("[red]error:[/] ");
            console.Profile.Out.Writer.WriteLine(message);
        }
    }
}
