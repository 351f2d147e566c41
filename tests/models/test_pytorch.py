"""PyTorch modules: save, log, load here and in a fresh process (only these tests load torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import runlab
from runlab.errors import InvalidInputError


def _net() -> Any:
    import torch
    from torch import nn

    class TinyNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x)

    torch.manual_seed(0)
    return TinyNet()


@pytest.fixture
def data() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)


def _expected(net: Any, x: np.ndarray) -> np.ndarray:
    import torch

    net.eval()
    with torch.no_grad():
        out = net(torch.from_numpy(x)).numpy()
    net.train()
    return out


def test_log_and_load_in_this_and_a_fresh_process(
    tracking: str, data: np.ndarray, fresh_process: Any
) -> None:
    import torch

    net = _net()
    with runlab.start_run():
        info = runlab.pytorch.log_model(net, name="net", input_example=data[:2])
    assert net.training  # inferring the signature did not leave the module in eval mode
    sig = info.signature
    assert sig is not None
    assert sig.inputs is not None
    assert sig.inputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}
    ]
    assert sig.outputs is not None
    assert sig.outputs.to_dict()[0]["tensor-spec"]["shape"] == [-1, 3]
    expected = _expected(net, data)

    model = runlab.pyfunc.load_model(info.model_uri)
    np.testing.assert_allclose(model.predict(data), expected, rtol=1e-6)
    # float64 input (what JSON gives) is narrowed to the declared float32
    np.testing.assert_allclose(model.predict(data.astype(np.float64)), expected, rtol=1e-6)
    raw = runlab.pytorch.load_model(info.model_uri)
    assert isinstance(raw, torch.nn.Module)
    assert type(raw).__name__ == "TinyNet"

    local = runlab.download_artifacts("net", run_id=info.run_id)
    flavours = yaml.safe_load(Path(local, "MLmodel").read_text())["flavors"]
    assert flavours["pytorch"]["pytorch_version"] == torch.__version__
    assert flavours["python_function"]["loader_module"] == "runlab.pytorch"
    reqs = Path(local, "requirements.txt").read_text().splitlines()
    assert f"torch=={torch.__version__.split('+')[0]}" in reqs

    runlab.flush()
    out = fresh_process(
        f"""
        import json, numpy as np, runlab.pyfunc
        model = runlab.pyfunc.load_model({info.model_uri!r})
        print(json.dumps(model.predict(np.array({data.tolist()!r}, dtype="float32")).tolist()))
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    np.testing.assert_allclose(np.array(out), expected, rtol=1e-6)


def test_dataframe_input_and_signature_errors(tmp_path: Path, data: np.ndarray) -> None:
    import pandas as pd

    net = _net()
    runlab.pytorch.save_model(net, tmp_path / "m", input_example=data[:1])
    model = runlab.pyfunc.load_model(tmp_path / "m")
    frame = pd.DataFrame(data, columns=list("abcd"))
    np.testing.assert_allclose(model.predict(frame), _expected(net, data), rtol=1e-6)
    with pytest.raises(InvalidInputError, match=r"expected shape \[-1, 4\] .*got \[6, 3\]"):
        model.predict(data[:, :3])


def test_read_only_input_predicts_without_a_warning(tmp_path: Path, data: np.ndarray) -> None:
    # A read-only array (a memory map, a frozen buffer) is copied, not shared with torch,
    # which would warn; warnings are errors in this suite.
    net = _net()
    runlab.pytorch.save_model(net, tmp_path / "m")
    frozen = data.copy()
    frozen.setflags(write=False)
    model = runlab.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(model.predict(frozen), _expected(net, data), rtol=1e-6)


def test_only_modules_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="must be a torch.nn.Module, got list"):
        runlab.pytorch.save_model([1, 2], tmp_path / "m")


def test_scoring_app_serves_a_tensor_model(tmp_path: Path, data: np.ndarray) -> None:
    import asyncio

    import httpx

    from runlab.models.serving import create_scoring_app

    net = _net()
    runlab.pytorch.save_model(net, tmp_path / "m", input_example=data[:1])
    app = create_scoring_app(str(tmp_path / "m"))

    async def post(body: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
            return await client.post("/invocations", json=body)

    response = asyncio.run(post({"inputs": data.tolist()}))
    assert response.status_code == 200
    np.testing.assert_allclose(
        np.array(response.json()["predictions"]), _expected(net, data), rtol=1e-5
    )
    response = asyncio.run(post({"inputs": [[1.0, 2.0]]}))
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "expected shape [-1, 4]" in response.json()["message"]
