using System.CommandLine;
using Vidiff.Cli.Commands;

// Signals are caught from the first line: a Ctrl+C or SIGTERM at any moment ends every ffmpeg child and removes
// every temporary file (docs/reliability.md).
Vidiff.Runtime.Shutdown.Install();
Vidiff.Runtime.NativeRuntime.EnsureLoaded();
var root = new RootCommand("Vidiff: structure- and content-guided video diffusion (Gen-1) in C#.")
{
    InfoCommand.Create(),
    BenchCommand.Create(),
    SynthCommand.Create(),
    EditCommand.Create(),
    ServeCommand.Create(),
    EvalCommand.Create(),
    DepthCommand.Create(),
    ModelCommand.Create(),
    TrainCommand.Create(),
    ImportCommand.Create(),
    InspectCommand.Create(),
    DebugCommand.Create(),
};
var parsed = root.Parse(args);
// A bad option gets its one-line error, not the whole help text after it.
if (parsed.Action is System.CommandLine.Invocation.ParseErrorAction parseError) parseError.ShowHelp = false;
return parsed.Invoke();
