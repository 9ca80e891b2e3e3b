"""The networks `Vidiff.Bench peer` runs in ONNX Runtime beside Vidiff (docs/benchmarks.md, "Against ONNX Runtime").
Nothing it writes is committed.

    /usr/bin/python3 tools/bench/make_onnx_peers.py /path/to/diffusers ~/.cache/vidiff/onnx-peers

Needs Debian's python3-torch and python3-onnx; diffusers' source comes from the `fetch` tool. For each network it writes
NAME/unet/{config.json, diffusion_pytorch_model.safetensors} (diffusers' layout, which Vidiff imports) and
NAME/unet.onnx (sd15 with its weights in unet.onnx.data: over protobuf's 2 GB), both from one diffusers
UNet2DConditionModel with its default random initialisation (seed 0):
  sd15  Stable Diffusion 1.5's UNet (859.5 M parameters), 4 latent channels, 77 text tokens of 768;
  mini  the bundled model's image UNet: its widths, heads and depth, 4 latent + 1 depth channel, 4 content tokens of 256
        (the bundled UNet's content projection and per-level structure convolutions are not in diffusers' class and
        stay out of the comparison).
The batch (frames run as images) is a dynamic axis; timestep is a float tensor of shape [batch].
"""
import shutil, sys, warnings
from pathlib import Path
import onnx
import torch
from make_sd15_random import SD15, save_diffusers_unet, unet_class

warnings.filterwarnings("ignore")  # the tracer's notes on shape checks it records as constants

MINI = dict(sample_size=16, in_channels=5, out_channels=4, block_out_channels=(64, 96, 160), layers_per_block=1,
            down_block_types=("CrossAttnDownBlock2D",) * 3, up_block_types=("CrossAttnUpBlock2D",) * 3,
            # diffusers' attention_head_dim is the head count (legacy naming): 32 wide heads as in UnetConfig.Mini.
            cross_attention_dim=256, attention_head_dim=(2, 3, 5), norm_num_groups=32)
PEERS = {"sd15": (SD15, 77), "mini": (MINI, 4)}


class Traced(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


def main():
    diffusers_root, out = Path(sys.argv[1]), Path(sys.argv[2])
    names = sys.argv[3:] or list(PEERS)
    UNet2DConditionModel = unet_class(diffusers_root)
    for name in names:
        config, tokens = PEERS[name]
        torch.manual_seed(0)
        unet = UNet2DConditionModel(**config).eval()
        folder = out / name
        save_diffusers_unet(unet, folder / "unet")
        size = config["sample_size"]
        inputs = (torch.randn(1, config["in_channels"], size, size), torch.tensor([500.0]), torch.randn(1, tokens, config["cross_attention_dim"]))
        staging = folder / "export"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with torch.no_grad():
            torch.onnx.export(Traced(unet), inputs, str(staging / "unet.onnx"), opset_version=17,
                              input_names=["sample", "timestep", "encoder_hidden_states"], output_names=["out_sample"],
                              dynamic_axes={"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"}})
        # Over 2 GB torch writes one file per weight beside the graph; gather them into unet.onnx.data.
        model = onnx.load(str(staging / "unet.onnx"))
        large = len(list(staging.iterdir())) > 1
        onnx.save_model(model, str(folder / "unet.onnx"), save_as_external_data=large, all_tensors_to_one_file=True, location="unet.onnx.data")
        shutil.rmtree(staging)
        print(name, sum(p.numel() for p in unet.parameters()), "parameters ->", folder)


if __name__ == "__main__":
    main()
