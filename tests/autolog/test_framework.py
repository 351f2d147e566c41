"""The autologging framework on a toy framework imported after autologging is enabled,
and ``import runlab as mlflow; mlflow.autolog()`` in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tests.autolog._helpers import only_run

import runlab
from runlab.autolog import AutologgingWarning, Integration
from runlab.autolog._params import TRUNCATION_MARK, flatten, loggable_params
from runlab.autolog._session import Fit

TOY = """
class Model:
    def fit(self, x, fail=False):
        if fail:
            raise RuntimeError("training diverged")
        self.fitted = x
        return self

    def fit_many(self, xs):
        for x in xs:
            Model().fit(x)  # nested: logs once, at the outermost call
        return "done"
"""


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[tuple[Integration, dict[str, Any]]]:
    """An integration for a package ``toyframework`` written to disk, not yet imported."""
    (tmp_path / "toyframework.py").write_text(TOY)
    sys.path.insert(0, str(tmp_path))
    seen: dict[str, Any] = {"modules": [], "fail": None}

    def hook(fit: Fit, original: Any, model: Any, x: Any, **kwargs: Any) -> Any:
        if seen["fail"] == "before":
            raise KeyError("broken before training")
        fit.log_params({"x": x, "nested": {"a": 1, "b": {"c": 2}}})
        result = original(model, x, **kwargs)
        fit.log_metrics({"done": 1.0})
        if seen["fail"] == "after":
            raise KeyError("broken after training")
        return result

    def on_import(integration: Integration, module: ModuleType) -> None:
        seen["modules"].append(module.__name__)
        integration.patch_training(module.Model, "fit", hook)
        integration.patch_training(module.Model, "fit_many", lambda f, o, *a: o(*a))

    integration = Integration("toy", ("toyframework",), on_import)
    yield integration, seen
    integration.disable()
    sys.path.remove(str(tmp_path))
    sys.modules.pop("toyframework", None)


def test_a_framework_imported_later_is_patched_and_logs(toy: tuple[Integration, Any]) -> None:
    integration, seen = toy
    integration.configure()
    assert "toyframework" not in sys.modules
    import toyframework

    assert seen["modules"] == ["toyframework"]
    model = toyframework.Model()
    assert model.fit(3) is model
    run = only_run()
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "toy"
    assert run.data.params == {"x": "3", "nested.a": "1", "nested.b.c": "2"}
    assert run.data.metrics == {"done": 1.0}


def test_nested_training_calls_log_once(toy: tuple[Integration, Any]) -> None:
    integration, _ = toy
    integration.configure()
    import toyframework

    assert toyframework.Model().fit_many([1, 2, 3]) == "done"
    run = only_run()
    assert run.data.params == {}  # the outer call's hook logs nothing; inner fits skipped


def test_a_training_that_raises_ends_the_run_failed(toy: tuple[Integration, Any]) -> None:
    integration, _ = toy
    integration.configure()
    import toyframework

    with pytest.raises(RuntimeError, match="training diverged"):
        toyframework.Model().fit(1, fail=True)
    assert only_run().info.status == "FAILED"
    assert runlab.active_run() is None


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_failing_hook_is_a_warning_and_the_result_is_intact(
    toy: tuple[Integration, Any], where: str
) -> None:
    integration, seen = toy
    integration.configure()
    seen["fail"] = where
    import toyframework

    model = toyframework.Model()
    with pytest.warns(AutologgingWarning, match=f"broken {where} training"):
        assert model.fit(5) is model
    assert model.fitted == 5
    assert only_run().info.status == "FINISHED"


def test_silent_turns_warnings_into_debug_logs(toy: tuple[Integration, Any]) -> None:
    import warnings

    integration, seen = toy
    integration.configure(silent=True)
    seen["fail"] = "after"
    import toyframework

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        toyframework.Model().fit(1)


def test_a_fit_inside_a_run_logs_into_it_and_leaves_it_open(
    toy: tuple[Integration, Any],
) -> None:
    integration, _ = toy
    integration.configure(extra_tags={"team": "vision"})
    import toyframework

    with runlab.start_run() as run:
        toyframework.Model().fit(7)
        assert runlab.active_run() is not None
    stored = only_run()
    assert stored.info.run_id == run.info.run_id
    assert stored.data.params["x"] == "7"
    assert stored.data.tags["team"] == "vision"
    assert "mlflow.autologging" not in stored.data.tags


def test_disable_puts_the_originals_back(toy: tuple[Integration, Any]) -> None:
    integration, _ = toy
    integration.configure()
    import toyframework

    patched = toyframework.Model.fit
    integration.disable()
    assert toyframework.Model.fit is not patched
    assert toyframework.Model.fit.__qualname__ == "Model.fit"
    assert "runlab" not in toyframework.Model.fit.__code__.co_filename
    toyframework.Model().fit(1)
    assert runlab.search_runs(output_format="list") == []


def test_unknown_keyword_is_named(toy: tuple[Integration, Any]) -> None:
    from runlab.errors import InvalidInputError

    integration, _ = toy
    with pytest.raises(InvalidInputError, match="unknown keyword 'max_epochs'"):
        integration.configure(max_epochs=3)


def test_params_flatten_and_truncate_with_a_note(caplog: pytest.LogCaptureFixture) -> None:
    assert flatten({"a": {"b": {"c": 1}, "d": 2}, "e": {}}) == {"a.b.c": 1, "a.d": 2, "e": {}}
    with caplog.at_level("INFO", logger="runlab.autolog"):
        params = loggable_params({"long": "x" * 7000, "bad key!": 1, "ok": [1, 2]})
    assert len(params["long"]) == 6000
    assert params["long"].endswith(TRUNCATION_MARK)
    assert params["ok"] == "[1, 2]"
    assert "bad key!" not in params
    assert "truncated param 'long'" in caplog.text
    assert "bad key!" in caplog.text


def test_long_param_values_are_logged_truncated(toy: tuple[Integration, Any]) -> None:
    integration, _ = toy
    integration.configure()
    import toyframework

    toyframework.Model().fit("y" * 10_000)
    value = only_run().data.params["x"]
    assert len(value) == 6000
    assert value.endswith(TRUNCATION_MARK)


def test_import_runlab_as_mlflow_autolog_in_a_fresh_process(tmp_path: Path) -> None:
    """Frameworks imported after ``mlflow.autolog()`` are patched: the MLflow idiom."""
    code = textwrap.dedent(
        """
        import json, sys
        import runlab as mlflow
        mlflow.set_tracking_uri(sys.argv[1])
        mlflow.autolog()
        assert "sklearn" not in sys.modules
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        X, y = load_iris(return_X_y=True)
        LogisticRegression(max_iter=300).fit(X, y)
        run = mlflow.last_active_run()
        print(json.dumps({"status": run.info.status, "params": run.data.params,
                          "metrics": sorted(run.data.metrics)}))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNLAB_")}
    env["PYTHONPATH"] = str(Path(runlab.__file__).resolve().parent.parent)
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", code, uri],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["status"] == "FINISHED"
    assert out["params"]["max_iter"] == "300"
    assert "training_accuracy_score" in out["metrics"]
