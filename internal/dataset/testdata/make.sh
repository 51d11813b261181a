#!/usr/bin/env bash
# Rebuilds the fixtures in this folder. Needs ImageMagick 6 (convert),
# python3 and gzip. The tests check these files against the values noted
# here, so change both together.
set -euo pipefail
cd "$(dirname "$0")"

# 8x8 pure red stored as CMYK (0,1,1,0) with an Adobe marker.
convert -size 8x8 xc:'rgb(255,0,0)' -colorspace CMYK -quality 100 cmyk.jpg
# 4x4 paletted PNG: left two columns red, right two blue.
convert -size 2x4 xc:'rgb(255,0,0)' -size 2x4 xc:'rgb(0,0,255)' +append +repage -type Palette PNG8:palette.png
# 4x4 16-bit gray PNG, every sample 0x8080 (128 in 8 bits).
convert -size 4x4 xc:"#808080808080" -depth 16 -define png:color-type=0 -define png:bit-depth=16 gray16.png
# 4x4 8-bit gray+alpha PNG, gray 102, alpha 128.
convert -size 4x4 xc:'graya(102,0.5)' -depth 8 -define png:color-type=4 graya.png
# 16 wide, 8 tall: top half white, bottom half black, with EXIF orientation 6
# (rotate 90 degrees clockwise to display), so upright it is 8 wide, 16 tall,
# left half black, right half white.
convert -size 16x4 xc:white -size 16x4 xc:black -append +repage -quality 100 plain.jpg
# ImageMagick 6 writes no EXIF block for -orient, so splice one in after the
# SOI marker: big-endian TIFF header, one IFD entry, tag 0x0112 = 6.
python3 - <<'PY'
import struct
tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) \
    + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)
payload = b"Exif\x00\x00" + tiff
jpg = open("plain.jpg", "rb").read()
app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
open("exif6.jpg", "wb").write(jpg[:2] + app1 + jpg[2:])
PY
rm plain.jpg

# IDX pair: 3 images of 2 rows x 3 columns, pixel (k, r, c) = 100k + 10r + c,
# labels 2, 0, 2.
python3 - <<'PY'
import struct
pix = bytes(100*k + 10*r + c for k in range(3) for r in range(2) for c in range(3))
open("three-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, 3, 2, 3) + pix)
open("three-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, 3) + bytes([2, 0, 2]))
PY
gzip -n -f three-images-idx3-ubyte three-labels-idx1-ubyte

# EMNIST-style IDX pair: one image of a capital F, 5 rows x 4 columns
# upright, stored transposed as EMNIST stores its images (4 rows x 5
# columns in the file, file pixel (r, c) = upright pixel (c, r)); label 0.
# "emnist" in the name is what makes `siamese import idx` transpose it.
python3 - <<'PY'
import struct
up = ["####", "#...", "###.", "#...", "#..."]
pix = bytes(255 if up[c][r] == "#" else 0 for r in range(4) for c in range(5))
open("emnist-f-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, 1, 4, 5) + pix)
open("emnist-f-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, 1) + bytes([0]))
PY
gzip -n -f emnist-f-idx3-ubyte emnist-f-idx1-ubyte
