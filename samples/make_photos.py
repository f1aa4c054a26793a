"""Draws the sample photos (deterministic landscapes at camera-like sizes) with Pillow.

Run `python samples/make_photos.py` to regenerate samples/photos/.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

PHOTOS = {
    # name: (size, sky top, sky bottom, ground, seed)
    "pyongyang-square.jpg": ((1600, 1067), (150, 170, 190), (225, 228, 230), (120, 60, 50), 6),
    "manila-floodgate.jpg": ((1600, 1067), (64, 98, 140), (196, 206, 214), (52, 70, 64), 1),
    "manila-pumping-station.jpg": ((1600, 1067), (90, 90, 96), (170, 176, 180), (60, 58, 54), 2),
    "manila-river.jpg": ((1600, 900), (120, 160, 200), (230, 220, 200), (40, 90, 110), 3),
    "seoul-night-market.jpg": ((1600, 1067), (12, 16, 48), (70, 40, 90), (30, 26, 30), 4),
    "mekong-low-water.jpg": ((1600, 1067), (210, 170, 110), (245, 225, 180), (150, 120, 80), 5),
    # the zh-Hant and Arabic sample issues
    "keelung-harbour.jpg": ((1200, 800), (70, 100, 150), (200, 190, 180), (50, 70, 80), 7),
    "keelung-fishing-boats.jpg": ((1200, 800), (110, 150, 190), (220, 225, 225), (40, 80, 100), 8),
    "taipei-night-market.jpg": ((1200, 800), (20, 14, 40), (90, 40, 70), (35, 25, 30), 9),
    "gulf-port.jpg": ((1200, 800), (230, 150, 90), (250, 215, 160), (90, 80, 70), 10),
    "gulf-port-gate.jpg": ((1200, 800), (170, 190, 210), (240, 230, 210), (160, 140, 110), 11),
    "gulf-heat.jpg": ((1200, 800), (240, 200, 120), (255, 240, 200), (190, 160, 110), 12),
}


def draw(size: tuple[int, int], top: tuple, bottom: tuple, ground: tuple, seed: int) -> Image.Image:
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size)
    pixels = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.55, 0.7))
    for y in range(horizon):
        t = y / horizon
        pixels.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    sun = (rng.randint(200, width - 200), rng.randint(80, horizon // 2))
    pixels.ellipse([sun[0] - 60, sun[1] - 60, sun[0] + 60, sun[1] + 60], fill=(250, 230, 170))
    for layer in range(3):  # hills, darker towards the front
        shade = tuple(max(0, c - 25 * layer) for c in ground)
        base = horizon + layer * 40
        points = [(0, height)]
        for x in range(0, width + 80, 80):
            points.append((x, base - rng.randint(0, 140 - layer * 30)))
        points.append((width, height))
        pixels.polygon(points, fill=shade)
    for _ in range(40):  # buildings and lights
        x, w = rng.randint(0, width), rng.randint(20, 70)
        h = rng.randint(40, 260)
        y = horizon + rng.randint(-20, 60)
        pixels.rectangle([x, y - h, x + w, y], fill=tuple(max(0, c - 35) for c in ground))
        for _ in range(rng.randint(0, 6)):
            lx, ly = rng.randint(x, x + w), rng.randint(y - h, y)
            pixels.rectangle([lx, ly, lx + 5, ly + 7], fill=(250, 214, 120))
    return image.filter(ImageFilter.GaussianBlur(1.2))


def main() -> None:
    folder = Path(__file__).parent / "photos"
    folder.mkdir(exist_ok=True)
    for name, (size, top, bottom, ground, seed) in PHOTOS.items():
        draw(size, top, bottom, ground, seed).save(folder / name, "JPEG", quality=85, optimize=True)


if __name__ == "__main__":
    main()
