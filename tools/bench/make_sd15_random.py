"""A full-size Stable Diffusion 1.5-shaped UNet of random values, in both public layouts, for measuring how much memory
and time `vidiff import` needs (docs/benchmarks.md, "Loading checkpoints"). Nothing it writes is committed.

    /usr/bin/python3 tools/bench/make_sd15_random.py /path/to/diffusers /work/data/sd15-random

diffusers' source comes from the `fetch` tool (never committed); the model is diffusers' own UNet2DConditionModel with
SD 1.5's config (imported as tools/fixtures/make_import_fixtures.py does), its default random initialisation, fp32.
Writes sd15.safetensors (original LDM keys, model.diffusion_model.*, via diffusers' own diffusers->original
conversion) and diffusers/unet/{config.json, diffusion_pytorch_model.safetensors}. Tensors are written one at a time
so the script needs about the model's size in memory. make_onnx_peers.py uses its functions.
"""
import importlib.util, json, struct, sys
from pathlib import Path
import torch

SD15 = dict(sample_size=64, in_channels=4, out_channels=4, block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",), up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
            cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32)


def unet_class(diffusers_root):
    """diffusers' UNet2DConditionModel from its source, loaded as the parity fixtures load it (hub utilities stubbed)."""
    argv, sys.argv = sys.argv, [sys.argv[0], str(Path(diffusers_root) / "src")]
    parity = Path(__file__).resolve().parents[2] / "tests/Vidiff.Tests/Nn/Parity/diffusers_parity.py"
    code = parity.read_text().split("torch.manual_seed(0)\nfixtures = {}")[0]
    ns = {"__file__": "/tmp/diffusers_parity_stub.py", "__name__": "parity"}
    exec(compile(code, str(parity), "exec"), ns)
    sys.argv = argv
    return ns["UNet2DConditionModel"]


def save(path, tensors):
    header, offset = {}, 0
    for name, t in tensors.items():
        n = t.numel() * 4
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for t in tensors.values():
            f.write(t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes())


def save_diffusers_unet(unet, folder):
    """unet/config.json and unet/diffusion_pytorch_model.safetensors, as diffusers' save_pretrained writes them."""
    save(folder / "diffusion_pytorch_model.safetensors", unet.state_dict())
    clean = {k: (list(v) if isinstance(v, tuple) else v) for k, v in unet.config.items() if isinstance(v, (int, float, str, bool, list, tuple, type(None)))}
    (folder / "config.json").write_text(json.dumps(dict(clean, _class_name="UNet2DConditionModel"), indent=1))


def main():
    diffusers_root, out = Path(sys.argv[1]), Path(sys.argv[2])
    UNet2DConditionModel = unet_class(diffusers_root)
    spec = importlib.util.spec_from_file_location("to_orig", diffusers_root / "scripts/convert_diffusers_to_original_stable_diffusion.py")
    sys.modules["safetensors"] = type(sys)("safetensors")
    sys.modules["safetensors.torch"] = type(sys)("safetensors.torch")
    sys.modules["safetensors.torch"].load_file = sys.modules["safetensors.torch"].save_file = None
    to_orig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(to_orig)

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**SD15).eval()
    sd = unet.state_dict()
    print(sum(v.numel() for v in sd.values()), "parameters")
    save_diffusers_unet(unet, out / "diffusers/unet")
    save(out / "sd15.safetensors", {"model.diffusion_model." + k: v for k, v in to_orig.convert_unet_state_dict(dict(sd)).items()})


if __name__ == "__main__":
    main()
