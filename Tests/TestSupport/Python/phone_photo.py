"""Photos as phones save them, for the tests: HEIC (pillow-heif, libheif's x265), AVIF
(Pillow's own libavif) or generic HEIF (a HEIC whose ftyp names only `mif1`), carrying EXIF
with a camera, GPS position and an orientation, as an iPhone writes it (the HEIF rotation box
and the EXIF tag agree). Also reads such files back with the same libraries, upright, so
tests can compare our output with an outside decoder.

    phone_photo.py make FORMAT PICTURE WIDTH HEIGHT ORIENTATION GPS(0|1) OUT
    phone_photo.py view FILE X,Y...      -> JSON {width, height, pixels, exif, gps}
PICTURE is "quadrant" (white, red top-left quarter as stored), "room" or "noise".
"""

import json
import os
import sys

import pillow_heif
from PIL import Image, ImageDraw, ImageOps

pillow_heif.register_heif_opener()

GPS = {1: "S", 2: (33.0, 51.0, 24.0), 3: "E", 4: (151.0, 12.0, 55.0), 5: 0, 6: 42.0}


def picture(kind, width, height):
    if kind == "quadrant":
        image = Image.new("RGB", (width, height), (255, 255, 255))
        image.paste((255, 0, 0), (0, 0, width // 2, height // 2))
        return image
    if kind == "noise":
        return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    image = Image.new("RGB", (width, height), (214, 204, 188))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, int(height * 0.65), width, height], fill=(150, 112, 80))
    draw.rectangle([int(width * 0.6), int(height * 0.15), int(width * 0.85), int(height * 0.5)], fill=(190, 220, 240))
    draw.rectangle([int(width * 0.1), int(height * 0.5), int(width * 0.5), int(height * 0.72)], fill=(70, 90, 110))
    return image


def exif(orientation, gps):
    tags = Image.Exif()
    tags[0x010F] = "PhoneCo"  # Make
    tags[0x0110] = "Phone 15"  # Model
    tags[0x0112] = orientation
    if gps:
        tags[0x8825] = GPS
    return tags.tobytes()


def generic_heif(data):
    """The same file with every HEVC brand of its ftyp renamed mif1: a generic HEIF."""
    size = int.from_bytes(data[0:4], "big")
    box = bytearray(data[:size])
    for at in range(8, size, 4):
        if bytes(box[at:at + 4]) in (b"heic", b"heix") and at != 12:
            box[at:at + 4] = b"mif1"
    return bytes(box) + data[size:]


def make(fmt, kind, width, height, orientation, gps, out):
    image = picture(kind, int(width), int(height))
    tags = exif(int(orientation), gps == "1")
    if fmt == "avif":
        image.save(out, "AVIF", exif=tags, quality=80, speed=10)
        return
    image.save(out, "HEIF", exif=tags, quality=80)
    if fmt == "heif":
        with open(out, "rb") as file:
            data = generic_heif(file.read())
        with open(out, "wb") as file:
            file.write(data)


def view(path, *points):
    image = Image.open(path)
    image.load()
    # pillow-heif applies the rotation box itself; Pillow's AVIF reader reports it as an
    # EXIF orientation for exif_transpose to apply. Either way: upright pixels.
    upright = ImageOps.exif_transpose(image).convert("RGB")
    tags = image.getexif()
    out = {
        "width": upright.width, "height": upright.height,
        "pixels": [list(upright.getpixel(tuple(int(v) for v in p.split(",")))) for p in points],
        "exif": {str(k): str(v) for k, v in tags.items()},
        "gps": bool(tags.get_ifd(0x8825)),
    }
    print(json.dumps(out))


command, rest = sys.argv[1], sys.argv[2:]
{"make": make, "view": view}[command](*rest)
