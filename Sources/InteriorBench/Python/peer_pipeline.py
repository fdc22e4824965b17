"""The peers of Interior's image pipeline: what a user would write in Python instead.

A worker for `interior-bench`: it reads one JSON command per line on stdin and answers one
JSON line on stdout, so the benchmark can alternate its own samples with these in the same
run. Each `run` does, in this process, what Interior does with a model output: decode it
once, fit it inside the tier (never enlarging), encode WebP q82 with metadata stripped, make
a 384 px thumbnail from the resized image and encode it WebP q75.

  {"op": "load", "name": "png-1536", "path": "/tmp/x.png"}  -> {"ok": true, "bytes": 3456789}
  {"op": "run", "lib": "pyvips", "name": "png-1536", "edge": 1024}
      -> {"ok": true, "width": 1024, "height": 1024, "thumb_width": 384, "thumb_height": 384,
          "bytes": 123456, "thumb_bytes": 23456, "seconds": 0.157}
"""

import io
import json
import os
import sys
import time

# One libvips thread per pipeline, as Interior runs, so that one run is one core's work and
# 2 / (time of one run) is the 2-core ceiling. Read by libvips when it starts.
os.environ["VIPS_CONCURRENCY"] = "1"

import pyvips  # noqa: E402
from PIL import Image  # noqa: E402

THUMB_EDGE = 384
QUALITY = 82
THUMB_QUALITY = 75

# The operation cache would answer a repeated identical call from memory; a server sees a new
# image every time.
pyvips.cache_set_max(0)
pyvips.cache_set_max_mem(0)

inputs = {}


def run_pyvips(data, edge):
    image = pyvips.Image.thumbnail_buffer(data, edge, height=edge, size="down").copy_memory()
    encoded = image.webpsave_buffer(Q=QUALITY, strip=True)
    thumb = image.thumbnail_image(THUMB_EDGE, height=THUMB_EDGE, size="down")
    thumb_encoded = thumb.webpsave_buffer(Q=THUMB_QUALITY, strip=True)
    return image.width, image.height, thumb.width, thumb.height, len(encoded), len(thumb_encoded)


def fit(width, height, edge):
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def run_pillow(data, edge):
    image = Image.open(io.BytesIO(data))
    image.load()
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    size = fit(image.width, image.height, edge)
    if size != image.size:
        image = image.resize(size, Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=QUALITY)
    thumb = image.resize(fit(image.width, image.height, THUMB_EDGE), Image.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "WEBP", quality=THUMB_QUALITY)
    return image.width, image.height, thumb.width, thumb.height, out.tell(), thumb_out.tell()


RUNNERS = {"pyvips": run_pyvips, "pillow": run_pillow}


def answer(command):
    op = command.get("op")
    if op == "load":
        with open(command["path"], "rb") as file:
            inputs[command["name"]] = file.read()
        return {"ok": True, "bytes": len(inputs[command["name"]])}
    if op == "versions":
        libvips = ".".join(str(pyvips.version(i)) for i in range(3))
        return {"ok": True, "pyvips": pyvips.__version__, "libvips": libvips,
                "pillow": Image.__version__, "python": sys.version.split()[0],
                "threads": pyvips.vips_lib.vips_concurrency_get()}
    if op == "run":
        started = time.perf_counter()
        width, height, thumb_width, thumb_height, size, thumb_size = RUNNERS[command["lib"]](
            inputs[command["name"]], int(command["edge"]))
        return {"ok": True, "width": width, "height": height, "thumb_width": thumb_width,
                "thumb_height": thumb_height, "bytes": size, "thumb_bytes": thumb_size,
                "seconds": time.perf_counter() - started}
    return {"ok": False, "error": f"unknown op {op!r}"}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line))
        except Exception as error:  # the benchmark reports it and fails the run
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
