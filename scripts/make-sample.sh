#!/usr/bin/env bash
# Renders the README's samples from seeds the mini model never trained on: samples/ring-and-ball.mp4, the clip it edits
# (clip 1 of the procedural world at seed 777, 24 frames at 128×128, encoded at 12 fps), and samples/look.png, the
# reference image of its image-guided edit (still 0 at seed 897: a green sphere on a checkered blue floor).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dotnet run -c Release --project src/Vidiff.Cli -- synth --out "$tmp/world" --clips 2 --seed 777 --size 128 --frames 24
ffmpeg -v error -y -framerate 12 -i "$tmp/world/clips/000001/frames/%05d.png" -c:v libx264 -pix_fmt yuv420p -crf 16 \
  -movflags +faststart "$tmp/ring-and-ball.mp4"
mv "$tmp/ring-and-ball.mp4" samples/ring-and-ball.mp4
dotnet run -c Release --project src/Vidiff.Cli -- synth --out "$tmp/look" --clips 0 --images 1 --seed 897 --size 128
cp "$tmp/look/images/000000/frames/00000.png" samples/look.png
