namespace Vidiff.Synthetic;

public enum CameraMotionKind { None, Orbit, Dolly, Pan }
