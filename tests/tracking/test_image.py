"""``runlab.Image`` (MLflow's ``mlflow.Image``): made from PIL images, arrays, lists and
files, converted back, resized, saved, and logged with ``log_image``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from tests._imports import loaded_after

import runlab
from runlab.errors import InvalidInputError


def pixels() -> np.ndarray:
    array = np.zeros((2, 3, 3), dtype=np.uint8)
    array[0, 0] = (255, 128, 0)
    return array


def test_from_an_array_and_back() -> None:
    image = runlab.Image(pixels())
    assert image.size == (3, 2)  # (width, height), as PIL gives it
    assert image.to_pil().mode == "RGB"
    np.testing.assert_array_equal(image.to_array(), pixels())
    assert image.to_list()[:2] == [(255, 128, 0), (0, 0, 0)]
    assert len(image.to_list()) == 6


def test_from_a_nested_list_and_floats() -> None:
    image = runlab.Image([[0.0, 1.0], [0.5, 0.25]])
    assert image.to_pil().mode == "L"
    assert image.to_list() == [0, 255, 128, 64]


def test_from_a_pil_image_is_the_same_image() -> None:
    pil = PILImage.new("RGBA", (4, 5), (1, 2, 3, 4))
    image = runlab.Image(pil)
    assert image.to_pil() is pil
    assert image.to_array().shape == (5, 4, 4)


def test_from_a_file_and_save(tmp_path: Path) -> None:
    PILImage.fromarray(pixels()).save(tmp_path / "in.png")
    image = runlab.Image(str(tmp_path / "in.png"))
    np.testing.assert_array_equal(image.to_array(), pixels())
    image.save(tmp_path / "out.jpg")
    with PILImage.open(tmp_path / "out.jpg") as saved:
        assert saved.format == "JPEG"
    assert runlab.Image(tmp_path / "in.png").size == (3, 2)  # a Path works too


def test_resize_returns_a_new_image() -> None:
    image = runlab.Image(pixels())
    bigger = image.resize((30, 20))
    assert isinstance(bigger, runlab.Image)
    assert (bigger.size, image.size) == ((30, 20), (3, 2))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.zeros((2, 2, 5)), r"image: an image array must have shape"),
        (np.full((2, 2), 300), r"image: integer pixel values must be in 0\.\.255"),
        (b"\x89PNG", r"image: expected a PIL image, an array of pixels or a file path"),
        ("/no/such/picture.png", r"image: no file at '/no/such/picture.png'"),
    ],
)
def test_bad_input_names_the_rule(value: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        runlab.Image(value)


def test_a_file_that_is_no_image(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not pixels")
    with pytest.raises(InvalidInputError, match="is not an image file"):
        runlab.Image(str(tmp_path / "notes.txt"))


@pytest.mark.parametrize("size", [(0, 3), (3,), "3x3", (1.5, 2)])
def test_resize_takes_two_positive_ints(size: object) -> None:
    with pytest.raises(InvalidInputError, match=r"size: expected \(width, height\)"):
        runlab.Image(pixels()).resize(size)  # type: ignore[arg-type]


def test_log_image_takes_a_runlab_image(tmp_path: Path) -> None:
    runlab.set_tracking_uri(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with runlab.start_run() as run:
            runlab.log_image(runlab.Image(pixels()), "media/x.png")
        local = runlab.RunlabClient().download_artifacts(run.info.run_id, "media/x.png")
        logged = PILImage.open(io.BytesIO(Path(local).read_bytes()))
        np.testing.assert_array_equal(np.asarray(logged), pixels())
    finally:
        runlab.tracking.fluent._reset_for_tests()


def test_import_runlab_does_not_load_pil_for_image() -> None:
    assert loaded_after("import runlab; runlab.Image", ("PIL", "numpy")) == []
