"""Turn figures and images into file bytes for logging as artifacts.

Figures are duck-typed (a matplotlib ``Figure`` has ``savefig``; a plotly figure has
``to_html``/``to_image``), so neither library is imported unless the caller already has one of
its objects. Images go through Pillow; numpy is imported only for array input.
"""

from __future__ import annotations

import io
import os
from typing import Any

from runlab.errors import InvalidInputError

__all__ = ["FIGURE_FORMATS", "figure_to_bytes", "image_to_png_bytes", "pixels_to_uint8"]

# extension -> format name handed to the renderer
FIGURE_FORMATS: dict[str, str] = {
    "png": "png",
    "svg": "svg",
    "pdf": "pdf",
    "jpg": "jpg",
    "jpeg": "jpg",
    "html": "html",
}

_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})
_IMAGE_SHAPE_RULE = "an image array must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"


def figure_to_bytes(
    figure: Any, artifact_file: str, save_kwargs: dict[str, Any] | None = None
) -> bytes:
    """Render ``figure`` in the format named by ``artifact_file``'s extension (png if none).

    matplotlib figures render to png, svg, pdf or jpg; plotly figures to html (and to the
    image formats when plotly's image export is installed). ``save_kwargs`` go to
    ``savefig`` / ``to_html`` / ``to_image`` and override runlab's defaults.
    """
    ext = os.path.splitext(str(artifact_file))[1].lower().lstrip(".") or "png"
    fmt = FIGURE_FORMATS.get(ext)
    if fmt is None:
        allowed = ", ".join(f".{e}" for e in FIGURE_FORMATS)
        raise InvalidInputError(
            f"artifact_file: extension .{ext} is not supported for figures; use one of {allowed}"
        )
    kwargs = dict(save_kwargs or {})
    kind = type(figure).__name__

    if fmt == "html":
        if not callable(getattr(figure, "to_html", None)):
            raise InvalidInputError(
                f"artifact_file: .html needs a figure with to_html() (plotly); {kind} has none"
            )
        html = figure.to_html(**{"include_plotlyjs": True, "full_html": True, **kwargs})
        return html.encode("utf-8") if isinstance(html, str) else bytes(html)

    if callable(getattr(figure, "savefig", None)):
        buffer = io.BytesIO()
        figure.savefig(buffer, **{"format": fmt, **kwargs})
        return buffer.getvalue()

    if callable(getattr(figure, "to_image", None)):  # plotly; needs its image export engine
        image = figure.to_image(**{"format": "jpeg" if fmt == "jpg" else fmt, **kwargs})
        return bytes(image)

    raise InvalidInputError(
        f"figure: expected a matplotlib figure (with savefig) or a plotly figure "
        f"(with to_html/to_image), got {kind}"
    )


def image_to_png_bytes(image: Any, text: dict[str, str] | None = None) -> bytes:
    """PNG bytes for a PIL image, a :class:`runlab.Image` or an image array; ``text``
    goes into the file as PNG text chunks.

    Arrays must be (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA, with dtype uint8,
    float in [0, 1] (scaled to 0..255), or integer in 0..255.
    """
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "logging images needs Pillow, which is not installed: pip install 'runlab[images]'"
        ) from e

    from runlab.tracking.image import Image as RunlabImage

    if isinstance(image, RunlabImage):
        image = image.to_pil()
    if isinstance(image, Image.Image):
        pil = image
        if pil.mode not in _PNG_MODES:  # CMYK, YCbCr, LAB, HSV, F, ...
            pil = pil.convert("RGBA" if "A" in pil.getbands() else "RGB")
    else:
        pil = Image.fromarray(pixels_to_uint8(image))

    info = None
    if text:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        for k, v in text.items():
            info.add_text(k, v)
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def pixels_to_uint8(image: Any) -> Any:
    """``image`` (an array or nested list of pixels) as a contiguous uint8 array."""
    try:
        import numpy as np
    except ImportError as e:
        raise ImportError(
            "logging image arrays needs numpy, which is not installed: pip install 'runlab[images]'"
        ) from e

    if isinstance(image, (str, bytes)):
        raise InvalidInputError(
            f"image: expected a PIL image or an array, got {type(image).__name__}"
        )
    try:
        array = np.asarray(image)
    except Exception as e:
        raise InvalidInputError(f"image: cannot be read as an array ({e})") from None

    shape = tuple(int(n) for n in array.shape)
    if array.ndim == 3 and shape[2] == 1:
        array = array[:, :, 0]
    elif not (array.ndim == 2 or (array.ndim == 3 and shape[2] in (3, 4))):
        raise InvalidInputError(f"image: {_IMAGE_SHAPE_RULE}; got shape {shape}")
    if shape[0] == 0 or shape[1] == 0:
        raise InvalidInputError(f"image: height and width must be at least 1; got shape {shape}")

    kind = array.dtype.kind
    if array.dtype == np.uint8:
        pass
    elif kind == "f":
        if not np.isfinite(array).all():
            raise InvalidInputError("image: float pixel values must be finite and in [0, 1]")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            raise InvalidInputError(
                f"image: float pixel values must be in [0, 1]; got values in [{low:g}, {high:g}]"
            )
        array = np.clip(np.rint(array.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    elif kind in "iu":
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise InvalidInputError(
                f"image: integer pixel values must be in 0..255; got values in {low}..{high}"
            )
        array = array.astype(np.uint8)
    else:
        raise InvalidInputError(
            f"image: dtype must be uint8, float (values in [0, 1]) or integer "
            f"(values in 0..255); got {array.dtype}"
        )
    return np.ascontiguousarray(array)
