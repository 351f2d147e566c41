"""The ``python_function`` flavour: one way to load and call any saved model.

:func:`load_model` reads any runlab model folder (sklearn, pytorch, custom) and returns
a :class:`PyFuncModel` whose ``predict(data, params=None)`` checks the input against
the signature before the model sees it. :class:`PythonModel` is the base class of
custom models, saved with :func:`save_model` / :func:`log_model` together with their
artifacts (files the model reads) and code paths (modules its class is defined in);
or, with ``loader_module``, a module of the caller's whose ``_load_pyfunc(data_path)``
builds the predictor.
"""

from __future__ import annotations

import importlib
import inspect
import os
import shutil
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.model import PYFUNC, Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = [
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
]

LOADER_MODULE = "runlab.pyfunc"
PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"
DEFAULT_REQUIREMENTS = ("runlab", "cloudpickle", "numpy", "pandas")


# ============================================================================ custom models
class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: the model's artifacts as local paths,
    and its ``model_config``."""

    def __init__(
        self, artifacts: dict[str, str] | None = None, model_config: dict[str, Any] | None = None
    ) -> None:
        self.artifacts = dict(artifacts or {})
        self.model_config = dict(model_config or {})

    def __repr__(self) -> str:
        return f"PythonModelContext(artifacts={self.artifacts!r})"


class PythonModel:
    """Base class of custom models. Subclass it and implement ``predict``::

        class AddN(runlab.pyfunc.PythonModel):
            def __init__(self, n):
                self.n = n

            def predict(self, context, model_input, params=None):
                return model_input + self.n

    ``predict`` may also leave out ``context`` (``predict(self, model_input, params=None)``).
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Called once when the model is loaded: open files from ``context.artifacts`` here."""

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement predict()")


class _FunctionModel(PythonModel):
    """A plain function ``f(model_input)`` saved as a model."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        return self.func(model_input)


def _caller(python_model: PythonModel) -> Callable[[PythonModelContext, Any, Any], Any]:
    """Call ``predict`` with or without ``context`` and ``params``, as its signature asks."""
    predict: Callable[..., Any] = python_model.predict
    try:
        names = list(inspect.signature(predict).parameters)
        kinds = [p.kind for p in inspect.signature(predict).parameters.values()]
    except (TypeError, ValueError):
        names, kinds = ["context", "model_input", "params"], []
    takes_context = bool(names) and names[0] == "context"
    takes_params = "params" in names or inspect.Parameter.VAR_KEYWORD in kinds

    def call(context: PythonModelContext, data: Any, params: Any) -> Any:
        args = (context, data) if takes_context else (data,)
        return predict(*args, params=params) if takes_params else predict(*args)

    return call


class _PythonModelWrapper:
    def __init__(self, python_model: PythonModel, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context
        self._call = _caller(python_model)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._call(self.context, data, params)


# ============================================================================ PyFuncModel
class PyFuncModel:
    """A loaded model of any flavour behind one ``predict``."""

    def __init__(self, model_meta: Model, impl: Any, model_dir: str) -> None:
        self._meta = model_meta
        self._impl = impl
        self.model_dir = model_dir

    @property
    def metadata(self) -> Model:
        return self._meta

    @property
    def loader_module(self) -> str:
        return str(self._meta.flavors[PYFUNC]["loader_module"])

    def __repr__(self) -> str:
        flavours = ", ".join(f for f in self._meta.flavors if f != PYFUNC)
        where = f"runs:/{self._meta.run_id}/{self._meta.artifact_path}" if self._meta.run_id else ""
        return f"<PyFuncModel flavour={flavours or PYFUNC} {where or self.model_dir}>"

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Check ``data`` and ``params`` against the signature, then predict.

        InvalidInputError names the column (or tensor, or param) and the problem when
        the input does not fit the signature and cannot be converted safely.
        """
        from runlab.models._enforce import enforce_input, enforce_params

        sig = self._meta.signature
        if sig is not None and sig.inputs is not None:
            data = enforce_input(data, sig.inputs)
        checked = enforce_params(params, sig.params if sig else None)
        return self._impl.predict(data, params=checked or None)

    def unwrap_python_model(self) -> PythonModel:
        """The custom :class:`PythonModel` instance (custom models only)."""
        if not isinstance(self._impl, _PythonModelWrapper):
            raise InvalidInputError(
                f"unwrap_python_model works on custom python models; this model is "
                f"{self.loader_module}: use get_raw_model()"
            )
        return self._impl.python_model

    def get_raw_model(self) -> Any:
        """The framework object behind this model (estimator, torch module, PythonModel)."""
        if isinstance(self._impl, _PythonModelWrapper):
            return self._impl.python_model
        return getattr(self._impl, "raw_model", self._impl)


def load_model(
    model_uri: str | os.PathLike[str],
    suppress_warnings: bool = False,
    dst_path: str | None = None,
    model_config: dict[str, Any] | None = None,
) -> PyFuncModel:
    """Load any runlab model as a :class:`PyFuncModel`.

    ``model_uri``: a local path, ``file://``, ``runs:/<run_id>/<path>``, or
    ``models:/<name>/<version>`` (``@alias``, ``/Stage``). Package versions recorded at
    save time that differ from this environment produce one RequirementsMismatchWarning
    (unless ``suppress_warnings``); the load goes on. ``model_config`` overrides keys of
    a custom python model's saved ``model_config`` (what ``load_context`` sees).
    """
    if model_config is not None and not isinstance(model_config, dict):
        raise InvalidInputError(f"model_config: must be a dict, got {type(model_config).__name__}")
    local, meta, conf = _flavor.open_flavor(model_uri, PYFUNC, dst_path, suppress_warnings)
    loader_name = str(conf["loader_module"])
    data_path = os.path.join(local, conf["data"]) if conf.get("data") else local
    if model_config is not None:
        if loader_name != LOADER_MODULE:
            raise InvalidInputError(
                f"model_config: applies to custom python models; this model loads with "
                f"{loader_name}"
            )
        return PyFuncModel(meta, _load_pyfunc(data_path, model_config), local)
    impl = importlib.import_module(loader_name)._load_pyfunc(data_path)
    return PyFuncModel(meta, impl, local)


# ============================================================================ saving
def save_model(
    path: str | os.PathLike[str],
    python_model: PythonModel | Callable[[Any], Any] | None = None,
    artifacts: dict[str, str] | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    loader_module: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
    infer_code_paths: bool = False,
    mlflow_model: Model | None = None,
) -> Model:
    """Save a custom model (a :class:`PythonModel`, or a function of the input) at ``path``.

    ``artifacts`` maps names to files or folders (local paths, ``file://`` or
    ``runs:/`` URIs); they are copied into the model and handed to ``load_context`` as
    ``context.artifacts[name]``. ``code_paths`` are files or folders copied into
    ``code/`` and put on ``sys.path`` at load time, so the class they define loads in
    a process that does not have them; ``infer_code_paths=True`` adds the local (not
    installed) modules that define the model's classes, or the loader module.

    Instead of ``python_model``, ``loader_module`` names a module whose
    ``_load_pyfunc(path)`` returns an object with ``predict``; ``data_path`` (a file or
    folder) is copied into the model and ``path`` points at the copy.
    """
    from runlab.models import _pickling

    if loader_module is not None:
        if python_model is not None or artifacts:
            raise InvalidInputError(
                "pass either python_model (with artifacts) or loader_module (with "
                "data_path), not both"
            )
        return _save_loader_module(
            path,
            loader_module,
            data_path,
            code_paths=code_paths,
            infer_code_paths=infer_code_paths,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            metadata=metadata,
            mlflow_model=mlflow_model,
        )
    if data_path is not None:
        raise InvalidInputError("data_path: goes with loader_module, which is not given")
    if python_model is None:
        raise InvalidInputError(
            "save_model needs python_model (a PythonModel or a function) or loader_module"
        )
    if not isinstance(python_model, PythonModel):
        if not callable(python_model):
            raise InvalidInputError(
                f"python_model must be a runlab.pyfunc.PythonModel or a function, got "
                f"{type(python_model).__name__}"
            )
        python_model = _FunctionModel(python_model)
    model_object: PythonModel = python_model

    def write(model_dir: str) -> Written:
        saved_artifacts = _copy_artifacts(model_dir, artifacts or {})
        classes: list[Any] = list(type(model_object).__mro__)
        if isinstance(model_object, _FunctionModel):
            classes.append(model_object.func)
        _pickling.dump(
            model_object, os.path.join(model_dir, PYTHON_MODEL_FILE), classes, code_paths
        )
        conf: dict[str, Any] = {
            "python_model": PYTHON_MODEL_FILE,
            "cloudpickle_version": _cloudpickle_version(),
        }
        if saved_artifacts:
            conf["artifacts"] = saved_artifacts
        if model_config:
            conf["model_config"] = model_config

        def predict(example: Any) -> Any:
            context = _context(model_dir, saved_artifacts, model_config)
            model_object.load_context(context)
            return _PythonModelWrapper(model_object, context).predict(example)

        return Written(pyfunc=conf, predict=predict)

    if infer_code_paths:
        code_paths = _with_inferred_code(code_paths, list(type(model_object).__mro__))
    return save_model_dir(
        path,
        write,
        flavor=None,
        loader_module=LOADER_MODULE,
        default_requirements=DEFAULT_REQUIREMENTS,
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlflow_model=mlflow_model,
    )


def _save_loader_module(
    path: str | os.PathLike[str],
    loader_module: str,
    data_path: str | os.PathLike[str] | None,
    *,
    code_paths: Sequence[str | os.PathLike[str]] | None,
    infer_code_paths: bool,
    **save: Any,
) -> Model:
    if not isinstance(loader_module, str) or not loader_module:
        raise InvalidInputError(f"loader_module: must be a module name, got {loader_module!r}")
    if infer_code_paths:
        try:
            module = importlib.import_module(loader_module)
        except ImportError as exc:
            raise InvalidInputError(f"loader_module {loader_module!r}: {exc}") from None
        code_paths = _with_inferred_code(code_paths, [module])
    source = None
    if data_path is not None:
        source = os.path.abspath(os.fspath(data_path))
        if not os.path.exists(source):
            raise InvalidInputError(f"data_path: {os.fspath(data_path)!r} does not exist")

    def write(model_dir: str) -> Written:
        if source is None:
            return Written()
        name = os.path.basename(source.rstrip(os.sep))
        dst = os.path.join(model_dir, name)
        if os.path.isdir(source):
            shutil.copytree(source, dst)
        else:
            shutil.copy2(source, dst)
        return Written(pyfunc={"data": name})

    return save_model_dir(
        path,
        write,
        flavor=None,
        loader_module=loader_module,
        default_requirements=DEFAULT_REQUIREMENTS,
        code_paths=code_paths,
        **save,
    )


def _with_inferred_code(
    code_paths: Sequence[str | os.PathLike[str]] | None, objects: list[Any]
) -> list[str | os.PathLike[str]]:
    """``code_paths`` plus the files of the local modules that define ``objects``."""
    from runlab.models import _pickling

    found: list[str | os.PathLike[str]] = list(code_paths or [])
    names = [o.__name__ if isinstance(o, ModuleType) else o.__module__ for o in objects]
    for module in _pickling.local_modules(names, code_paths):
        file = getattr(module, "__file__", None)
        if file and file not in found:
            found.append(file)
    return found


def _cloudpickle_version() -> str:
    import cloudpickle

    return str(cloudpickle.__version__)


def _copy_artifacts(model_dir: str, artifacts: dict[str, str]) -> dict[str, dict[str, str]]:
    from runlab.models.uris import download_model

    out: dict[str, dict[str, str]] = {}
    for name, uri in artifacts.items():
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise InvalidInputError(f"artifacts: {name!r} is not a valid artifact name")
        try:
            source = download_model(os.fspath(uri))
        except Exception as exc:
            raise InvalidInputError(f"artifacts[{name!r}]: cannot fetch {uri!r}: {exc}") from None
        rel = f"{ARTIFACTS_DIR}/{name}/{os.path.basename(source.rstrip(os.sep)) or name}"
        dst = os.path.join(model_dir, *rel.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, dst)
        else:
            shutil.copy2(source, dst)
        out[name] = {"path": rel, "uri": os.fspath(uri)}
    return out


def _context(
    model_dir: str, artifacts: dict[str, dict[str, str]], model_config: dict[str, Any] | None
) -> PythonModelContext:
    paths = {name: os.path.join(model_dir, *a["path"].split("/")) for name, a in artifacts.items()}
    return PythonModelContext(paths, model_config)


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> _PythonModelWrapper:
    import cloudpickle

    meta = Model.load(path)
    conf = meta.flavors[PYFUNC]
    with open(os.path.join(path, conf.get("python_model", PYTHON_MODEL_FILE)), "rb") as f:
        python_model = cloudpickle.load(f)
    config = {**(conf.get("model_config") or {}), **(model_config or {})}
    context = _context(path, conf.get("artifacts") or {}, config)
    python_model.load_context(context)
    return _PythonModelWrapper(python_model, context)


def log_model(
    artifact_path: str | None = None,
    python_model: PythonModel | Callable[[Any], Any] | None = None,
    artifacts: dict[str, str] | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    loader_module: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
    infer_code_paths: bool = False,
    await_registration_for: int | None = 300,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
) -> ModelInfo:
    """Save a custom model into the active run's artifacts and a logged model (see
    :func:`save_model`); ``name`` is MLflow 3's spelling of ``artifact_path``."""
    return _flavor.log_with(save_model, locals())
