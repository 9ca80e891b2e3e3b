namespace Vidiff.Synthetic;

public enum ObjectMotionKind { None, Slide, Bounce, Spin }
