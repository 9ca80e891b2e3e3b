namespace Vidiff.Tests.Checkpoints;

/// <summary>
/// Tests that build networks without initialisation in this process (ModelFolder.Load, the importers): that switches
/// TorchSharp's process-wide default device to "meta" for a moment, so these tests run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EmptyNetworkCollection
{
    public const string Name = "networks built without initialisation";
}
