from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from tests._imports import loaded_after

from runlab.errors import InvalidInputError
from runlab.tracking._media import figure_to_bytes, image_to_png_bytes


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def red_figure() -> Figure:
    fig = Figure(figsize=(2, 1), dpi=50, facecolor=(1.0, 0.0, 0.0))
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


# -- figures -----------------------------------------------------------------------------------


def test_figure_png():
    image = decode(figure_to_bytes(red_figure(), "plots/loss.png"))
    assert image.format == "PNG"
    assert image.size == (100, 50)
    assert image.convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def test_figure_without_canvas():
    fig = Figure(figsize=(1, 1), dpi=20)
    assert decode(figure_to_bytes(fig, "a.png")).size == (20, 20)


def test_figure_without_extension_is_png():
    assert decode(figure_to_bytes(red_figure(), "loss")).format == "PNG"


def test_figure_save_kwargs():
    image = decode(figure_to_bytes(red_figure(), "loss.PNG", save_kwargs={"dpi": 100}))
    assert image.size == (200, 100)


@pytest.mark.parametrize("name", ["a.jpg", "a.jpeg", "dir/a.JPG"])
def test_figure_jpeg(name: str):
    image = decode(figure_to_bytes(red_figure(), name))
    assert image.format == "JPEG"
    assert image.size == (100, 50)
    r, g, b = image.convert("RGB").getpixel((0, 0))
    assert r > 240
    assert g < 15
    assert b < 15


def test_figure_svg_and_pdf():
    svg = figure_to_bytes(red_figure(), "a.svg")
    assert b"<svg" in svg[:1000]
    assert figure_to_bytes(red_figure(), "a.pdf").startswith(b"%PDF")


def test_figure_with_pyplot():
    import matplotlib.pyplot as plt

    plt.switch_backend("Agg")
    fig, ax = plt.subplots(figsize=(1, 1), dpi=30)
    try:
        ax.imshow(np.zeros((3, 3)))
        assert decode(figure_to_bytes(fig, "x.png")).size == (30, 30)
    finally:
        plt.close(fig)


def test_figure_unknown_extension():
    with pytest.raises(InvalidInputError, match=r"extension \.gif is not supported.*\.png"):
        figure_to_bytes(red_figure(), "a.gif")


def test_matplotlib_figure_to_html_is_rejected():
    with pytest.raises(InvalidInputError, match=r"\.html needs a figure with to_html"):
        figure_to_bytes(red_figure(), "a.html")


def test_not_a_figure():
    with pytest.raises(InvalidInputError, match="expected a matplotlib figure"):
        figure_to_bytes(object(), "a.png")


class FakePlotly:
    """The two methods of plotly.graph_objects.Figure that runlab calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def to_html(self, **kwargs) -> str:
        self.calls.append(("to_html", kwargs))
        return "<html><body>plot é</body></html>"

    def to_image(self, **kwargs) -> bytes:
        self.calls.append(("to_image", kwargs))
        return b"\x89PNG fake"

    def write_image(self, *args, **kwargs) -> None:  # pragma: no cover - never called
        raise AssertionError("write_image must not be used")


def test_plotly_html():
    fig = FakePlotly()
    assert figure_to_bytes(fig, "p.html") == "<html><body>plot é</body></html>".encode()
    assert fig.calls == [("to_html", {"include_plotlyjs": True, "full_html": True})]


def test_plotly_html_kwargs_override_defaults():
    fig = FakePlotly()
    figure_to_bytes(fig, "p.html", save_kwargs={"include_plotlyjs": True})
    assert fig.calls[0][1]["include_plotlyjs"] is True


def test_plotly_image():
    fig = FakePlotly()
    assert figure_to_bytes(fig, "p.jpg") == b"\x89PNG fake"
    assert fig.calls == [("to_image", {"format": "jpeg"})]


# -- images ------------------------------------------------------------------------------------


def test_pil_image_round_trip():
    source = Image.new("RGB", (4, 3), (10, 20, 30))
    image = decode(image_to_png_bytes(source))
    assert image.format == "PNG"
    assert image.size == (4, 3)
    assert image.mode == "RGB"
    assert image.getpixel((3, 2)) == (10, 20, 30)


@pytest.mark.parametrize(("mode", "expected"), [("CMYK", "RGB"), ("F", "RGB"), ("LA", "LA")])
def test_pil_modes_png_cannot_hold_are_converted(mode: str, expected: str):
    image = decode(image_to_png_bytes(Image.new(mode, (2, 2))))
    assert image.mode == expected


def test_uint8_grayscale():
    array = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    image = decode(image_to_png_bytes(array))
    assert image.mode == "L"
    assert image.size == (4, 3)  # PIL sizes are (width, height)
    assert np.array_equal(np.asarray(image), array)


def test_single_channel_is_grayscale():
    array = np.full((2, 5, 1), 7, dtype=np.uint8)
    image = decode(image_to_png_bytes(array))
    assert image.mode == "L"
    assert image.size == (5, 2)
    assert image.getpixel((0, 0)) == 7


def test_rgb_and_rgba():
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    rgb[1, 2] = (1, 2, 3)
    image = decode(image_to_png_bytes(rgb))
    assert image.mode == "RGB"
    assert image.getpixel((2, 1)) == (1, 2, 3)

    rgba = np.zeros((2, 3, 4), dtype=np.uint8)
    rgba[0, 0] = (9, 8, 7, 128)
    image = decode(image_to_png_bytes(rgba))
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (9, 8, 7, 128)


def test_float_scaled_to_255():
    array = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    image = decode(image_to_png_bytes(array))
    assert image.mode == "L"
    assert list(np.asarray(image)[0]) == [0, 128, 255]


def test_non_contiguous_array():
    array = np.arange(24, dtype=np.uint8).reshape(4, 6)[:, ::2]
    assert np.array_equal(np.asarray(decode(image_to_png_bytes(array))), array)


@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.uint16, np.uint32])
def test_integers_in_range(dtype):
    array = np.array([[0, 100, 255]], dtype=dtype)
    assert list(np.asarray(decode(image_to_png_bytes(array)))[0]) == [0, 100, 255]


def test_nested_lists():
    assert decode(image_to_png_bytes([[0, 255], [255, 0]])).size == (2, 2)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (
            np.array([[1.5, 0.0]]),
            r"float pixel values must be in \[0, 1\]; got values in \[0, 1.5\]",
        ),
        (np.array([[-0.1, 0.5]]), r"must be in \[0, 1\]"),
        (np.array([[np.nan, 0.5]]), "must be finite"),
        (np.array([[256, 0]]), r"integer pixel values must be in 0..255; got values in 0..256"),
        (np.array([[-1, 0]]), r"0..255"),
        (np.zeros((2, 2), dtype=bool), "dtype must be uint8, float"),
        (np.zeros((2, 2), dtype=np.complex64), "dtype must be uint8, float"),
        (np.array([["a", "b"]]), "dtype must be uint8"),
        (np.zeros(5, dtype=np.uint8), r"shape \(H, W\), \(H, W, 1\), \(H, W, 3\) or \(H, W, 4\)"),
        (np.zeros((2, 2, 2), dtype=np.uint8), r"got shape \(2, 2, 2\)"),
        (np.zeros((1, 2, 2, 3), dtype=np.uint8), "shape"),
        (np.zeros((0, 4), dtype=np.uint8), "height and width must be at least 1"),
    ],
)
def test_invalid_arrays(array, message: str):
    with pytest.raises(InvalidInputError, match=message):
        image_to_png_bytes(array)


def test_invalid_objects():
    with pytest.raises(InvalidInputError, match="expected a PIL image or an array"):
        image_to_png_bytes("picture.png")
    with pytest.raises(InvalidInputError, match="shape"):
        image_to_png_bytes(object())


def test_import_does_not_load_plotting_libraries():
    assert loaded_after("import runlab.tracking._media", ("numpy", "PIL", "matplotlib")) == []
