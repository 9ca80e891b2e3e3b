namespace Vidiff.Synthetic;

public enum BackgroundKind { Wall, Sky }
