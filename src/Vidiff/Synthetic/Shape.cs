namespace Vidiff.Synthetic;

public enum Shape { Sphere, Cube, Cylinder, Cone, Torus }
