#!/usr/bin/env bash
# Renders samples/ring-and-ball.mp4, the clip the README edits: clip 1 of the procedural world at seed 777 (a seed the
# mini model never trained on), 24 frames at 128×128, encoded at 12 fps.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dotnet run -c Release --project src/Vidiff.Cli -- synth --out "$tmp/world" --clips 2 --seed 777 --size 128 --frames 24
ffmpeg -v error -y -framerate 12 -i "$tmp/world/clips/000001/frames/%05d.png" -c:v libx264 -pix_fmt yuv420p -crf 16 \
  -movflags +faststart "$tmp/ring-and-ball.mp4"
mv "$tmp/ring-and-ball.mp4" samples/ring-and-ball.mp4
