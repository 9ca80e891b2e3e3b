namespace Vidiff.Synthetic;

/// <summary>
/// The scene frozen at one clip time: analytic floor and wall planes, sphere-traced objects, a white point light.
/// Shading is Lambert (+ Blinn-Phong for glossy) with a soft shadow and an ambient-occlusion term.
/// </summary>
sealed class RayCaster
{
    /// <summary>Surface a ray hit: Sky (nothing), Floor, Wall, or the index (≥ 0) of the object.</summary>
    public const int Sky = -3, Floor = -2, Wall = -1;

    const double HitEpsilon = 1e-6, ShadowSharpness = 8, Shininess = 60, SpecularStrength = 0.5;
    const double PlaneTile = 1.25, SolidTile = 2.0, DotRadius = 0.28;

    readonly Scene scene;
    readonly Placed[] objects;
    readonly Vec3 floorColor, floorAlt, backColor, backAlt, lightPosition;
    readonly double lightDistanceSq, ambient, wallZ;
    readonly bool hasWall;

    sealed record Placed(Shape Shape, double Size, Vec3 Center, double Cos, double Sin, double Bound, Vec3 Color, Vec3 Alt, Material Material)
    {
        public Vec3 Local(Vec3 p) => (p - Center).RotateY(Cos, -Sin);
        public double Distance(Vec3 p) => ShapeGeometry.Distance(Shape, Local(p), Size);
    }

    public RayCaster(Scene scene, double t)
    {
        this.scene = scene;
        objects = scene.Objects.Select(o =>
        {
            var (center, yaw) = SceneMotion.ObjectAt(o, t);
            var color = Albedo(o.Color);
            double r = SceneMotion.Radians(yaw);
            return new Placed(o.Shape, o.Size, center, Math.Cos(r), Math.Sin(r), ShapeGeometry.Bound(o.Shape) * o.Size + 1e-3, color, Second(color), o.Material);
        }).ToArray();
        floorColor = Albedo(scene.Floor.Color);
        floorAlt = Second(floorColor);
        backColor = Albedo(scene.Background.Color);
        backAlt = Second(backColor);
        hasWall = scene.Background.Kind == BackgroundKind.Wall;
        wallZ = -scene.Background.Distance;
        var light = scene.Light;
        double az = SceneMotion.Radians(light.Azimuth), el = SceneMotion.Radians(light.Elevation);
        lightPosition = new Vec3(Math.Cos(el) * Math.Sin(az), Math.Sin(el), Math.Cos(el) * Math.Cos(az)) * light.Distance;
        lightDistanceSq = light.Distance * light.Distance;
        ambient = light.Ambient;
    }

    static Vec3 Albedo(string name)
    {
        var c = Palette.Get(name);
        return new Vec3(c.R, c.G, c.B);
    }

    /// <summary>The second tone of a texture: darker for light colours, lighter for dark ones, same hue.</summary>
    static Vec3 Second(Vec3 c) =>
        0.3 * c.X + 0.59 * c.Y + 0.11 * c.Z < 0.3 ? Vec3.Lerp(c, new Vec3(0.95, 0.95, 0.95), 0.45) : c * 0.45;

    /// <summary>Nearest surface along the ray o + s·d (d unit length): its ray parameter and id.</summary>
    public (double T, int Id) Trace(Vec3 o, Vec3 d)
    {
        double best = double.PositiveInfinity;
        int id = Sky;
        if (d.Y < 0) (best, id) = (-o.Y / d.Y, Floor);
        if (hasWall && d.Z < 0 && (wallZ - o.Z) / d.Z < best) (best, id) = ((wallZ - o.Z) / d.Z, Wall);
        for (int i = 0; i < objects.Length; i++)
        {
            var obj = objects[i];
            // Only march inside the object's bounding sphere.
            var oc = o - obj.Center;
            double b = oc.Dot(d), disc = b * b - (oc.Dot(oc) - obj.Bound * obj.Bound);
            if (disc < 0) continue;
            double root = Math.Sqrt(disc), s = Math.Max(-b - root, 0), end = Math.Min(-b + root, best);
            for (int step = 0; step < 200 && s < end; step++)
            {
                double h = obj.Distance(o + d * s);
                if (h < HitEpsilon)
                {
                    (best, id) = (s, i);
                    break;
                }
                s += h;
            }
        }
        return (best, id);
    }

    /// <summary>Colour seen along the ray, given what <see cref="Trace"/> found.</summary>
    public Vec3 Shade(Vec3 o, Vec3 d, double s, int id)
    {
        if (id == Sky) return backColor * (0.8 + 0.3 * Math.Clamp(d.Y * 2, 0, 1));
        var p = o + d * s;
        Vec3 n, albedo;
        Material material;
        if (id == Floor)
        {
            (n, material) = (new Vec3(0, 1, 0), scene.Floor.Material);
            albedo = Texture(material, floorColor, floorAlt, PlanePattern(material, p.X * PlaneTile, p.Z * PlaneTile), s);
        }
        else if (id == Wall)
        {
            (n, material) = (new Vec3(0, 0, 1), scene.Background.Material);
            albedo = Texture(material, backColor, backAlt, PlanePattern(material, p.X * PlaneTile, p.Y * PlaneTile), s);
        }
        else
        {
            var obj = objects[id];
            material = obj.Material;
            n = Normal(obj, p);
            albedo = Texture(material, obj.Color, obj.Alt, SolidPattern(material, obj.Local(p) * (SolidTile / obj.Size)), 0);
        }

        var toLight = lightPosition - p;
        double distance = toLight.Length;
        var l = toLight * (1 / distance);
        double falloff = Math.Min(1, lightDistanceSq / (distance * distance));
        double lambert = Math.Max(0, n.Dot(l));
        double shadow = lambert > 0 ? SoftShadow(p + n * 2e-3, l, distance) : 0;
        double direct = lambert * shadow * falloff;
        var color = albedo * (ambient * AmbientOcclusion(p, n) + (1 - ambient) * direct);
        if (material == Material.Glossy && direct > 0)
        {
            var half = (l - d).Normalized;
            double specular = SpecularStrength * Math.Pow(Math.Max(0, n.Dot(half)), Shininess) * shadow * falloff;
            color += new Vec3(specular, specular, specular);
        }
        return color;
    }

    static Vec3 Normal(Placed obj, Vec3 p)
    {
        // Central differences of the exact distance in the object's frame, turned back to the world.
        const double e = 1e-5;
        var q = obj.Local(p);
        var g = new Vec3(
            ShapeGeometry.Distance(obj.Shape, q + new Vec3(e, 0, 0), obj.Size) - ShapeGeometry.Distance(obj.Shape, q - new Vec3(e, 0, 0), obj.Size),
            ShapeGeometry.Distance(obj.Shape, q + new Vec3(0, e, 0), obj.Size) - ShapeGeometry.Distance(obj.Shape, q - new Vec3(0, e, 0), obj.Size),
            ShapeGeometry.Distance(obj.Shape, q + new Vec3(0, 0, e), obj.Size) - ShapeGeometry.Distance(obj.Shape, q - new Vec3(0, 0, e), obj.Size));
        return g.Normalized.RotateY(obj.Cos, obj.Sin);
    }

    /// <summary>Share of the second tone at a point: 0 or 1 on textured surfaces, 0 on plain ones.</summary>
    static double PlanePattern(Material m, double u, double v) => m switch
    {
        Material.Checkered => Parity(Math.Floor(u) + Math.Floor(v)),
        Material.Striped => Parity(Math.Floor(u)),
        Material.Dotted => Dot(u - Math.Floor(u) - 0.5, v - Math.Floor(v) - 0.5, 0),
        _ => 0,
    };

    static double SolidPattern(Material m, Vec3 q) => m switch
    {
        Material.Checkered => Parity(Math.Floor(q.X) + Math.Floor(q.Y) + Math.Floor(q.Z)),
        Material.Striped => Parity(Math.Floor(q.Y)),
        Material.Dotted => Dot(q.X - Math.Floor(q.X) - 0.5, q.Y - Math.Floor(q.Y) - 0.5, q.Z - Math.Floor(q.Z) - 0.5),
        _ => 0,
    };

    static double Parity(double k) => k - 2 * Math.Floor(k / 2);
    static double Dot(double x, double y, double z) => x * x + y * y + z * z < DotRadius * DotRadius ? 1 : 0;

    /// <summary>
    /// Far away a texture is finer than a pixel; fading it to its mean tone there keeps the floor from aliasing
    /// (a cheap stand-in for mip-mapping).
    /// </summary>
    static Vec3 Texture(Material m, Vec3 color, Vec3 alt, double pattern, double distance)
    {
        double mean = m == Material.Dotted ? Math.PI * DotRadius * DotRadius : 0.5;
        double fade = Math.Clamp((distance - 8) / 12, 0, 1);
        double mix = m is Material.Checkered or Material.Striped or Material.Dotted ? pattern + (mean - pattern) * fade : 0;
        return Vec3.Lerp(color, alt, mix);
    }

    /// <summary>Penumbra estimate from the closest miss of the shadow ray (k·h/t along a sphere trace).</summary>
    double SoftShadow(Vec3 p, Vec3 l, double maxT)
    {
        double result = 1, t = 0.02;
        for (int step = 0; step < 64 && t < maxT; step++)
        {
            double h = double.PositiveInfinity;
            foreach (var obj in objects)
            {
                // An object whose bounding sphere stays far from the whole shadow ray cannot darken it.
                var oc = obj.Center - p;
                double along = Math.Clamp(oc.Dot(l), 0, maxT);
                if (ShadowSharpness * ((oc - l * along).Length - obj.Bound) >= maxT) continue;
                h = Math.Min(h, obj.Distance(p + l * t));
            }
            if (double.IsPositiveInfinity(h)) return result;
            if (h < 1e-4) return 0;
            result = Math.Min(result, ShadowSharpness * h / t);
            t += Math.Clamp(h, 0.01, 0.4);
        }
        return result;
    }

    /// <summary>Occlusion from the distance field a short way along the normal (floor and wall included).</summary>
    double AmbientOcclusion(Vec3 p, Vec3 n)
    {
        double occlusion = 0, weight = 1;
        for (int i = 1; i <= 4; i++)
        {
            double reach = 0.06 * i;
            var q = p + n * reach;
            double h = q.Y;
            if (hasWall) h = Math.Min(h, q.Z - wallZ);
            foreach (var obj in objects)
                if ((q - obj.Center).Length - obj.Bound < reach) h = Math.Min(h, obj.Distance(q));
            occlusion += (reach - h) * weight;
            weight *= 0.6;
        }
        return Math.Clamp(1 - 2.5 * occlusion, 0, 1);
    }
}
