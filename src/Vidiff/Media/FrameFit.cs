namespace Vidiff.Media;

/// <summary>How frames reach the model's size: resize keeping aspect, then centre-crop the overflow or pad the rest.</summary>
public enum FrameFit
{
    Crop,
    Pad,
}
