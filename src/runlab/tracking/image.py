"""``runlab.Image`` (MLflow's ``mlflow.Image``): an image to log, held as a PIL image.

Pillow (and numpy, for arrays) load when an Image is made, never at ``import runlab``.
"""

from __future__ import annotations

import os
from typing import Any

from runlab.errors import InvalidInputError

__all__ = ["Image"]


def _pil() -> Any:
    try:
        from PIL import Image as PILImage
    except ImportError as e:
        raise ImportError(
            "runlab.Image needs Pillow, which is not installed: pip install 'runlab[images]'"
        ) from e
    return PILImage


class Image:
    """An image from a PIL image, an array (or nested list) of pixels, or a file path.

    Arrays follow :func:`runlab.log_image`'s rules: (H, W), (H, W, 1), (H, W, 3) or
    (H, W, 4), uint8, integers in 0..255 or floats in [0, 1].
    """

    def __init__(self, image: Any) -> None:
        pil = _pil()
        if isinstance(image, pil.Image):
            self.image = image
        elif isinstance(image, (str, os.PathLike)):
            try:
                opened = pil.open(os.fspath(image))
                opened.load()
            except FileNotFoundError:
                raise InvalidInputError(f"image: no file at {os.fspath(image)!r}") from None
            except pil.UnidentifiedImageError:
                raise InvalidInputError(
                    f"image: {os.fspath(image)!r} is not an image file Pillow can read"
                ) from None
            self.image = opened
        elif isinstance(image, (bytes, bytearray)):
            raise InvalidInputError(
                "image: expected a PIL image, an array of pixels or a file path, got bytes"
            )
        else:
            from runlab.tracking._media import pixels_to_uint8

            self.image = pil.fromarray(pixels_to_uint8(image))
        self.size: tuple[int, int] = self.image.size

    def __repr__(self) -> str:
        width, height = self.size
        return f"<runlab.Image {width}x{height} {self.image.mode}>"

    def to_pil(self) -> Any:
        return self.image

    def to_array(self) -> Any:
        """The pixels as a numpy array (H, W) or (H, W, channels)."""
        import numpy as np

        return np.asarray(self.image)

    def to_list(self) -> list[Any]:
        """The pixels in row order: an int per pixel, or a tuple of channels."""
        flattened = getattr(self.image, "get_flattened_data", None)  # Pillow 12+
        return list(flattened() if flattened is not None else self.image.getdata())

    def resize(self, size: tuple[int, int]) -> Image:
        """A resized copy, ``size`` being (width, height); this image is unchanged."""
        if (
            not isinstance(size, (tuple, list))
            or len(size) != 2
            or not all(isinstance(n, int) and n > 0 for n in size)
        ):
            raise InvalidInputError(f"size: expected (width, height) positive ints, got {size!r}")
        return Image(self.image.resize(tuple(size)))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the image to ``path``, in the format its extension names."""
        self.image.save(os.fspath(path))
