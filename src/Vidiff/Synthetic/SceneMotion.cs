namespace Vidiff.Synthetic;

/// <summary>Where the camera and the objects are at clip time t (0 at the first frame, 1 at the last).</summary>
public static class SceneMotion
{
    public static CameraPose CameraAt(Scene scene, double t)
    {
        var (position, target) = CameraVectors(scene, t);
        return new CameraPose([position.X, position.Y, position.Z], [target.X, target.Y, target.Z], scene.Camera.FieldOfView);
    }

    /// <summary>Clip time of frame <paramref name="frame"/> of <paramref name="frames"/>.</summary>
    public static double TimeOf(int frame, int frames) => frames <= 1 ? 0 : frame / (double)(frames - 1);

    internal static (Vec3 Position, Vec3 Target) CameraVectors(Scene scene, double t)
    {
        var (camera, motion) = (scene.Camera, scene.CameraMotion);
        double azimuth = camera.Azimuth + (motion.Kind == CameraMotionKind.Orbit ? motion.Amount * t : 0);
        double distance = camera.Distance * (motion.Kind == CameraMotionKind.Dolly ? 1 - motion.Amount * t : 1);
        double az = Radians(azimuth), el = Radians(camera.Elevation);
        var target = new Vec3(0, camera.TargetHeight, 0);
        var position = target + new Vec3(Math.Cos(el) * Math.Sin(az), Math.Sin(el), Math.Cos(el) * Math.Cos(az)) * distance;
        if (motion.Kind == CameraMotionKind.Pan)
        {
            double pan = Radians(motion.Amount * t);
            target = position + (target - position).RotateY(Math.Cos(pan), Math.Sin(pan));
        }
        return (position, target);
    }

    /// <summary>The object's centre and yaw (degrees) at time t; at rest it stands on the floor.</summary>
    internal static (Vec3 Center, double Yaw) ObjectAt(SceneObject o, double t)
    {
        var center = new Vec3(o.X, ShapeGeometry.HalfHeight(o.Shape) * o.Size, o.Z);
        double yaw = o.Yaw;
        var m = o.Motion;
        switch (m.Kind)
        {
            case ObjectMotionKind.Slide:
                double h = Radians(m.Heading);
                center += new Vec3(Math.Sin(h), 0, Math.Cos(h)) * (m.Amount * t);
                break;
            case ObjectMotionKind.Bounce:
                center += new Vec3(0, m.Amount * Math.Abs(Math.Sin(2 * Math.PI * t)), 0);
                break;
            case ObjectMotionKind.Spin:
                yaw += m.Amount * t;
                break;
        }
        return (center, yaw);
    }

    internal static double Radians(double degrees) => degrees * (Math.PI / 180);
}
