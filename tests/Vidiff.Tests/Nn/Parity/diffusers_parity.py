"""Reference outputs of diffusers' UNet2DConditionModel and AutoencoderKL for the parity tests.

Run with Debian's torch:  /usr/bin/python3 diffusers_parity.py /path/to/diffusers/src
(the diffusers source comes from the `fetch` tool; it is not committed). Only the modeling files are imported; the
package's hub/config/loader utilities are replaced by stubs. Weights are a deterministic function of each parameter's
name and shape (see fill), mirrored in ParityFixtures.cs, so only inputs and outputs are stored.
"""
import importlib.util, inspect, json, logging as _logging, math, sys, types
from pathlib import Path
import torch

src = Path(sys.argv[1]) / "diffusers"

# diffusers' torch<2 attention path calls baddbmm(torch.empty(...), beta=0); Debian's torch 1.13 propagates NaNs from the
# uninitialised input despite beta = 0. Use the product alone, which is what beta = 0 means.
_baddbmm = torch.baddbmm
torch.baddbmm = lambda input, b1, b2, *, beta=1, alpha=1, **k: alpha * torch.bmm(b1, b2) if beta == 0 else _baddbmm(input, b1, b2, beta=beta, alpha=alpha, **k)
out_dir = Path(__file__).parent


def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__path__ = []
    m.__dict__.update(attrs)
    cache = {}

    def getattr_(attr):  # any other name: a fresh empty class (usable as a mixin base) or a False predicate
        if attr.startswith("__"):
            raise AttributeError(attr)
        if attr.startswith("is_"):
            return lambda *a, **k: False
        return cache.setdefault(attr, type(attr, (), {}))

    m.__getattr__ = getattr_
    sys.modules[name] = m
    return m


def identity_decorator(*a, **k):
    if len(a) == 1 and callable(a[0]) and not k:
        return a[0]
    return lambda f: f


class Config(dict):
    __getattr__ = dict.__getitem__


def register_to_config(init):
    def wrapped(self, *args, **kwargs):
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        bound.apply_defaults()
        object.__setattr__(self, "config", Config({k: v for k, v in bound.arguments.items() if k not in ("self", "kwargs")}))
        init(self, *args, **kwargs)
    return wrapped


class BaseOutput:
    pass


def pkg(name, path):
    m = types.ModuleType(name)
    m.__path__ = [str(path)]
    sys.modules[name] = m
    return m


def load(name):
    path = src / (name.replace(".", "/").removeprefix("diffusers/") + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


pkg("diffusers", src)
utils = stub("diffusers.utils", deprecate=lambda *a, **k: None, logging=types.SimpleNamespace(get_logger=_logging.getLogger),
             BaseOutput=BaseOutput, apply_lora_scale=identity_decorator, USE_PEFT_BACKEND=False)
stub("diffusers.utils.torch_utils", maybe_allow_in_graph=identity_decorator, maybe_adjust_dtype_for_device=lambda d, dev: d,
     is_torch_version=lambda op, v: False)
stub("diffusers.utils.import_utils", is_torch_version=lambda op, v: False)
stub("diffusers.utils.accelerate_utils", apply_forward_hook=identity_decorator)
stub("diffusers.configuration_utils", register_to_config=register_to_config)
stub("diffusers.loaders")
stub("diffusers.loaders.single_file_model")
stub("diffusers.image_processor")
stub("diffusers.models.modeling_utils", ModelMixin=torch.nn.Module, LegacyModelMixin=torch.nn.Module)
stub("diffusers.models.modeling_outputs")
for p in ["models", "models/unets", "models/transformers", "models/autoencoders"]:
    pkg("diffusers." + p.replace("/", "."), src / p)
for m in ["activations", "embeddings", "attention_processor", "normalization", "upsampling", "downsampling", "resnet", "attention",
          "transformers.transformer_2d", "transformers.dual_transformer_2d", "unets.unet_2d_blocks", "unets.unet_2d_condition",
          "autoencoders.vae", "autoencoders.autoencoder_kl"]:
    load("diffusers.models." + m)
UNet2DConditionModel = sys.modules["diffusers.models.unets.unet_2d_condition"].UNet2DConditionModel
AutoencoderKL = sys.modules["diffusers.models.autoencoders.autoencoder_kl"].AutoencoderKL


def fill(model):
    """p[i] = a·sin(0.37·i + phase(name)): a = sqrt(3/fan_in) for matrices, 0.1 for biases, 1 + 0.1·sin for norm scales."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            phase = sum((j + 1) * ord(c) for j, c in enumerate(name)) % 1000 / 100.0
            s = torch.sin(0.37 * torch.arange(p.numel(), dtype=torch.float64) + phase).reshape(p.shape)
            if p.dim() >= 2:
                v = math.sqrt(3.0 / (p.numel() // p.shape[0])) * s
            elif name.endswith("weight"):
                v = 1 + 0.1 * s
            else:
                v = 0.1 * s
            p.copy_(v.float())


def t(x):
    return {"shape": list(x.shape), "data": [round(v, 7) for v in x.detach().reshape(-1).tolist()]}


def shapes(model):
    return {n: list(p.shape) for n, p in model.named_parameters()}


torch.manual_seed(0)
fixtures = {}
for name, linear in [("sd1", False), ("sd2", True)]:
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=5, out_channels=4, block_out_channels=(16, 32, 32), layers_per_block=2,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        norm_num_groups=8, cross_attention_dim=24,
        # diffusers' attention_head_dim is the head count (its legacy naming); SD2-style: width / 8 per level.
        attention_head_dim=(2, 4, 4) if linear else 2, use_linear_projection=linear).eval()
    fill(unet)
    latents, structure = torch.randn(1, 4, 3, 8, 12), torch.randn(1, 1, 3, 8, 12)
    timesteps, content = torch.tensor([321.0]), torch.randn(1, 2, 24)
    images = torch.cat([latents, structure], 1).transpose(1, 2).reshape(3, 5, 8, 12)
    with torch.no_grad():
        y = unet(images, timesteps.repeat(3), content.repeat_interleave(3, 0), return_dict=False)[0]
    fixtures["unet_" + name] = {"latents": t(latents), "structure": t(structure), "timesteps": t(timesteps), "content": t(content),
                               "output": t(y.reshape(1, 3, 4, 8, 12).transpose(1, 2)), "parameters": shapes(unet)}

vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
                    block_out_channels=(16, 32, 32), layers_per_block=2, latent_channels=4, norm_num_groups=8).eval()
fill(vae)
images = torch.rand(2, 3, 16, 12) * 2 - 1
with torch.no_grad():
    moments = vae.quant_conv(vae.encoder(images))
    mean, logvar = moments.chunk(2, 1)
    decoded = vae.decode(mean, return_dict=False)[0]
fixtures["autoencoder"] = {"images": t(images), "mean": t(mean), "logvar": t(logvar.clamp(-30, 20)), "decoded": t(decoded),
                           "parameters": shapes(vae)}

(out_dir / "diffusers_parity.json").write_text(json.dumps(fixtures))
print({k: len(v["parameters"]) for k, v in fixtures.items()})
