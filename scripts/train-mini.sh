#!/usr/bin/env bash
# The bundled mini model's recipe (docs/training.md): render the data set, then train every stage in order.
# Every command resumes: rerun this script after an interruption and each stage continues from its last checkpoint
# (a finished stage only re-exports its weights). MINUTES=90 scripts/train-mini.sh bounds each stage's run.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${DATA:-data/mini}
MODEL=${MODEL:-data/mini-model} # a fresh folder: models/mini holds the shipped model and its vidiff.json
SEED=${SEED:-0}
budget=()
if [[ -n "${MINUTES:-}" ]]; then budget=(--minutes "$MINUTES"); fi

dotnet build src/Vidiff.Cli -c Release -v quiet -nologo
vidiff() { dotnet src/Vidiff.Cli/bin/Release/net10.0/vidiff.dll "$@"; }

vidiff synth --out "$DATA" --clips 2000 --images 1000 --seed 1 --size 64 --frames 8..16

vidiff train --stage autoencoder --data "$DATA" --model "$MODEL" --steps 3000 --batch 16 --seed "$SEED" --bf16 "${budget[@]}"
vidiff train --stage depth --data "$DATA" --model "$MODEL" --steps 3000 --batch 16 --seed "$SEED" --bf16 "${budget[@]}"
vidiff train --stage clip --data "$DATA" --model "$MODEL" --steps 4000 --batch 64 --seed "$SEED" --bf16 "${budget[@]}"
vidiff train --stage prior --data "$DATA" --model "$MODEL" --steps 1000 --batch 64 --seed "$SEED" --bf16 "${budget[@]}"
# Structure at every level (the mini config), three image steps in four and 30 % of samples at the noisiest tenth of the
# schedule, where structure is the layout's only source (docs/training.md, "Reading structure").
vidiff train --stage unet --data "$DATA" --model "$MODEL" --steps 30000 --batch 16 --seed "$SEED" --bf16 --image-share 0.75 --high-noise-share 0.3 "${budget[@]}"
