using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints;

/// <summary>
/// Builds a network whose weights are about to be loaded, without initialising them: it is constructed on the meta device
/// (shapes only, so the initialisers cost nothing), then every parameter and buffer gets uninitialised CPU memory in the
/// loading dtype. Loading then needs the network once, in its final dtype, and no time for random values it would
/// overwrite. The caller must write every tensor (a strict load does). A network that keeps constants made at
/// construction outside its state (e.g. a normalisation's mean in a plain field) is built normally instead.
/// TorchSharp's default device is process-wide: construction holds a lock, but a module built on another thread at that
/// moment would land on the meta device, so the test assembly runs its tests one at a time.
/// </summary>
public static class EmptyNetwork
{
    static readonly Lock Gate = new();
    const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    static readonly MethodInfo RegisterParameter = typeof(nn.Module).GetMethod("ConditionallyRegisterParameter", Instance, [typeof(string), typeof(Parameter)])!;
    static readonly MethodInfo RegisterBuffer = typeof(nn.Module).GetMethod("ConditionallyRegisterBuffer", Instance, [typeof(string), typeof(Tensor), typeof(bool)])!;

    public static T Build<T>(Func<T> construct, ScalarType dtype = ScalarType.Float32) where T : nn.Module
    {
        T module;
        lock (Gate)
        {
            var device = get_default_device();
            set_default_device(META);
            try
            {
                module = construct();
            }
            finally
            {
                set_default_device(device);
            }
        }
        var modules = module.named_modules().Select(m => m.module).Prepend(module).ToList();
        if (modules.Any(HasConstants))
        {
            module.Dispose();
            var built = construct();
            if (dtype != ScalarType.Float32) built.to(dtype);
            return built;
        }
        foreach (var m in modules) Materialise(m, dtype);
        return module;
    }

    /// <summary>Tensors whose values come from construction, not from a weights file: plain tensor fields and non-persistent buffers.</summary>
    static bool HasConstants(nn.Module m)
    {
        var persistent = m.state_dict().Keys.ToHashSet();
        return m.named_buffers(recurse: false).Any(b => !persistent.Contains(b.name))
            || Fields(m.GetType()).Any(f => f.GetValue(m) is Tensor t and not Parameter && t.is_meta && !m.named_buffers(recurse: false).Any(b => b.buffer.Handle == t.Handle));
    }

    /// <summary>Replaces the module's own parameters and buffers as TorchSharp's <c>Module.to</c> does: property setter, else field and registration.</summary>
    static void Materialise(nn.Module m, ScalarType dtype)
    {
        var type = m.GetType();
        foreach (var (name, old) in m.named_parameters(recurse: false).ToList())
        {
            var fresh = new Parameter(empty(old.shape, old.is_floating_point() ? dtype : old.dtype), old.requires_grad);
            if (type.GetProperty(name, BindingFlags.Instance | BindingFlags.Public) is { CanWrite: true } p && p.PropertyType.IsAssignableFrom(typeof(Parameter)))
            {
                p.SetValue(m, fresh); // TorchSharp's layers: registers the new one and disposes the old
                continue;
            }
            Fields(type).FirstOrDefault(f => f.Name == name)?.SetValue(m, fresh);
            RegisterParameter.Invoke(m, [name, fresh]);
            old.Dispose();
        }
        foreach (var (name, old) in m.named_buffers(recurse: false).ToList())
        {
            var fresh = empty(old.shape, old.is_floating_point() ? dtype : old.dtype);
            Fields(type).FirstOrDefault(f => f.Name == name)?.SetValue(m, fresh);
            RegisterBuffer.Invoke(m, [name, fresh, true]);
            old.Dispose();
        }
    }

    static IEnumerable<FieldInfo> Fields(Type? type)
    {
        for (; type is not null && type != typeof(nn.Module); type = type.BaseType)
            foreach (var f in type.GetFields(Instance | BindingFlags.DeclaredOnly)) yield return f;
    }
}
