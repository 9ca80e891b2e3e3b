using System.CommandLine;
using Vidiff.Cli.Commands;

Vidiff.Runtime.NativeRuntime.EnsureLoaded();
var root = new RootCommand("Vidiff: structure- and content-guided video diffusion (Gen-1) in C#.")
{
    InfoCommand.Create(),
    BenchCommand.Create(),
    SynthCommand.Create(),
    ImportCommand.Create(),
    InspectCommand.Create(),
    DebugCommand.Create(),
};
return root.Parse(args).Invoke();
