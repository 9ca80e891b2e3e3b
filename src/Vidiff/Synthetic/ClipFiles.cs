namespace Vidiff.Synthetic;

static class ClipFiles
{
    public static void Write(string dir, RenderedClip clip) => throw new NotImplementedException(dir + clip.Info.Name);
}
