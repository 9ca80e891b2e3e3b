namespace Vidiff.Synthetic;

/// <summary>Surface finish (matte, glossy) or solid texture in two tones of the surface's colour.</summary>
public enum Material { Matte, Glossy, Checkered, Striped, Dotted }
