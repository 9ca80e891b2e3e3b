namespace Vidiff.Synthetic;

public sealed record Surface(string Color, Material Material);
