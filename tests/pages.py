"""Tiny renderer of Vietnamese test pages (A4, PIL), so tests need no sample files.

Two kinds of page matter to clean-up: forms (short labels followed by dotted blanks) and prose
(full lines of running text); orientation and skew detection must work on both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sohoa_dev.synth.render import installed_font

FONT_FILES = ("DejaVuSans.ttf", "LiberationSerif-Regular.ttf", "LiberationSans-Regular.ttf")

FORM_LINES = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "TỜ KHAI ĐĂNG KÝ KHAI SINH",
    "Họ, chữ đệm, tên người yêu cầu: ....................................",
    "Nơi cư trú: ..........................................................",
    "Giấy tờ tùy thân: ...................................................",
    "Quan hệ với người được khai sinh: ..................................",
    "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
    "Họ, chữ đệm, tên: ...................................................",
    "Ngày, tháng, năm sinh: ........../........../....................",
    "Giới tính: ............. Dân tộc: ............. Quốc tịch: ...........",
    "Nơi sinh: ...........................................................",
    "Quê quán: ...........................................................",
    "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật.",
    "Làm tại: ................, ngày ....... tháng ....... năm ...........",
)

PROSE_LINES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP của Chính phủ về thực hiện thủ tục",
    "hành chính trên môi trường điện tử; xét đề nghị của Trưởng phòng Tư pháp,",
    "Ủy ban nhân dân xã quyết định cấp bản sao trích lục khai sinh cho ông",
    "Nguyễn Văn Hùng, sinh ngày 12 tháng 8 năm 1985, thường trú tại thôn Đông,",
    "xã Hòa Bình, tỉnh Quảng Ngãi. Người được cấp có trách nhiệm sử dụng giấy",
    "tờ đúng mục đích, bảo quản cẩn thận và xuất trình khi cơ quan có thẩm",
    "quyền yêu cầu. Việc số hóa hồ sơ được thực hiện theo quy định hiện hành;",
    "bản điện tử có giá trị pháp lý như bản giấy khi được ký số hợp lệ.",
    "Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Trưởng phòng",
    "Tư pháp và các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành.",
    "Nơi nhận: như trên; lưu văn thư, hồ sơ điện tử của Ủy ban nhân dân xã.",
)

A4_INCHES = (8.27, 11.69)


def font_path(index: int = 0) -> Path:
    """A TrueType font with Vietnamese glyphs, wherever its Debian package put it."""
    wanted = FONT_FILES[index % len(FONT_FILES)]
    path = installed_font(wanted)
    if path is None:
        raise FileNotFoundError(f"no font {wanted} under /usr/share/fonts (scripts/setup.sh installs it)")
    return path


def render_page(lines: tuple[str, ...] = FORM_LINES, dpi: int = 200, font: int = 0,
                point_size: float = 12.0, color: bool = False) -> np.ndarray:
    """An upright A4 page with ``lines`` at ``point_size``: grey ``H x W`` or BGR with a red stamp."""
    width, height = (round(side * dpi) for side in A4_INCHES)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    typeface = ImageFont.truetype(str(font_path(font)), round(point_size * dpi / 72))
    margin, pitch = round(0.9 * dpi), round(point_size * 2.0 * dpi / 72)
    for row, text in enumerate(lines):
        draw.text((margin, margin + row * pitch), text, fill=(20, 20, 20), font=typeface)
    if color:
        cx, cy, r = width * 2 // 3, margin + (len(lines) + 2) * pitch, dpi // 2
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(200, 30, 30), width=max(2, dpi // 50))
        return np.asarray(page)[..., ::-1].copy()
    return np.asarray(page.convert("L")).copy()


def form_page(dpi: int = 200, **kwargs: object) -> np.ndarray:
    return render_page(FORM_LINES, dpi=dpi, **kwargs)  # type: ignore[arg-type]


def prose_page(dpi: int = 200, **kwargs: object) -> np.ndarray:
    return render_page(PROSE_LINES + PROSE_LINES[:6], dpi=dpi, **kwargs)  # type: ignore[arg-type]


def add_noise(image: np.ndarray, sigma: float = 12.0, speckle: float = 0.002, seed: int = 0) -> np.ndarray:
    """Scanner-like noise: Gaussian grain plus black and white speckles."""
    rng = np.random.default_rng(seed)
    noisy = image.astype(np.float32) + rng.normal(0.0, sigma, image.shape)
    mask = rng.random(image.shape[:2])
    noisy[mask < speckle / 2] = 0
    noisy[mask > 1 - speckle / 2] = 255
    return np.clip(noisy, 0, 255).astype(np.uint8)
