"""MLproject and python_env.yaml as MLflow writes them; typed parameters; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from runlab.errors import InvalidInputError
from runlab.projects import load_project
from runlab.projects.environments import read_conda_as_python, read_python_env
from runlab.projects.params import parse_param_list, resolve


def _project(folder: Path, mlproject: str | None, **files: str) -> Path:
    folder.mkdir(exist_ok=True)
    if mlproject is not None:
        (folder / "MLproject").write_text(mlproject)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text)
    return folder


def test_the_sample_project_is_read(project: Path) -> None:
    spec = load_project(project)
    assert spec.name == "sample"
    assert spec.env.kind == "python"
    assert spec.env.path == (project / "python_env.yaml").resolve()
    assert sorted(spec.entry_points) == ["main", "report"]
    main = spec.entry_point("main")
    assert {n: (p.type, p.default) for n, p in main.parameters.items()} == {
        "alpha": ("float", "0.5"),
        "epochs": ("int", "2"),
        "out": ("path", "out.json"),
        "data": ("uri", None),
    }


def test_parameters_are_typed_defaulted_quoted_and_extra_ones_appended(
    project: Path, tmp_path: Path
) -> None:
    entry = load_project(project).entry_point("main")
    got = resolve(
        entry,
        {"alpha": "0.30", "data": "s3://bucket/x y", "seed": 7, "note": "a;b"},
        cwd=tmp_path,
        project_dir=project,
    )
    assert got.command == (
        f"python train.py --alpha 0.30 --epochs 2 --out {project / 'out.json'} "
        "--data 's3://bucket/x y' --seed 7 --note 'a;b'"
    )
    assert got.params == {
        "alpha": "0.30",
        "epochs": "2",
        "out": "out.json",
        "data": "s3://bucket/x y",
        "seed": "7",
        "note": "a;b",
    }
    given = resolve(entry, {"out": "sub/o.json", "data": "x"}, cwd=tmp_path, project_dir=project)
    assert f"--out {tmp_path / 'sub' / 'o.json'} " in given.command  # relative to the caller
    assert given.given == {"out": str(tmp_path / "sub" / "o.json"), "data": "x"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "entry point 'main' needs a value for 'data'"),
        ({"data": "x", "alpha": "high"}, "'alpha' of entry point 'main' is a float, and 'high'"),
        ({"data": "x", "alpha": "nan"}, "is a float, and 'nan' is not a number"),
        ({"data": "x", "epochs": "2.5"}, "'epochs' of entry point 'main' is an int, and '2.5'"),
        ({"data": ""}, "'data' of entry point 'main' is a uri, and the value is empty"),
        ({"data": "x", "bad key": "1"}, "parameter name 'bad key' is not a valid option name"),
    ],
)
def test_parameter_errors_name_the_parameter_and_the_rule(
    project: Path, values: dict[str, str], message: str
) -> None:
    entry = load_project(project).entry_point("main")
    with pytest.raises(InvalidInputError, match="^.*$") as caught:
        resolve(entry, values, cwd=project, project_dir=project)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("mlproject", "message"),
    [
        ("- a\n- b\n", "MLproject must be a mapping"),
        ("name: [x\n", "MLproject is not valid YAML"),
        ("entry_points: [main]\n", "'entry_points' must be a mapping of names"),
        ("entry_points:\n  main: {}\n", "entry point 'main' needs a 'command'"),
        (
            "entry_points:\n  main:\n    command: x\n    parameters: {a: {type: bool}}\n",
            "parameter 'a' has type 'bool'; the types are string, float, int, path, uri",
        ),
        (
            "entry_points:\n  main:\n    command: x\n    parameters: {a: {default: [1]}}\n",
            "the default of parameter 'a' must be a scalar",
        ),
        ("python_env: missing.yaml\n", "python_env file 'missing.yaml' was not found"),
        ("python_env: p.yaml\nconda_env: c.yaml\n", "one environment, not several"),
        ("docker_env: {}\n", "'docker_env' must be a mapping with an 'image'"),
        ("conda_env: ../../etc/passwd\n", "was not found in the project"),
    ],
)
def test_a_bad_mlproject_is_one_line_naming_the_field(
    tmp_path: Path, mlproject: str, message: str
) -> None:
    folder = _project(tmp_path / "p", mlproject)
    with pytest.raises(InvalidInputError) as caught:
        load_project(folder)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_a_command_field_that_is_not_a_parameter_is_an_error(tmp_path: Path) -> None:
    folder = _project(tmp_path / "p", "entry_points:\n  main:\n    command: echo {nope}\n")
    entry = load_project(folder).entry_point("main")
    with pytest.raises(InvalidInputError, match=r"uses \{nope\}, which is not one of its"):
        resolve(entry, {}, cwd=folder, project_dir=folder)
    braces = _project(tmp_path / "q", "entry_points:\n  main:\n    command: echo {{x}} {a}\n"
                      "    parameters: {a: string}\n")  # fmt: skip
    got = resolve(load_project(braces).entry_point("main"), {"a": "1"}, braces, braces)
    assert got.command == "echo {x} 1"


def test_unknown_entry_point_names_the_declared_ones(project: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        load_project(project).entry_point("evaluate")
    assert caught.value.message == (
        "entry point 'evaluate' is not declared in MLproject (declared: 'main', 'report') "
        "and is not a .py or .sh file of the project"
    )


def test_a_folder_without_mlproject_runs_py_and_sh_files_by_name(tmp_path: Path) -> None:
    folder = _project(tmp_path / "p", None, run__py="print(1)", go__sh="echo 1", notes__txt="")
    spec = load_project(folder)
    assert not spec.has_project_file
    assert spec.entry_point("run.py").command == "python run.py"
    assert spec.entry_point("go.sh").command.endswith("sh go.sh")
    for name in ("notes.txt", "missing.py", "../run.py"):
        with pytest.raises(InvalidInputError, match="is not a .py or .sh file"):
            spec.entry_point(name)
    assert spec.env.kind == "python"
    assert spec.env.path is None


def test_an_mlproject_is_found_whatever_its_case(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "mlproject").write_text("name: lower\n")
    assert load_project(folder).name == "lower"


def test_python_env_yaml(tmp_path: Path) -> None:
    path = tmp_path / "python_env.yaml"
    path.write_text('python: "3.11"\nbuild_dependencies: [pip]\ndependencies: [six, "-r r.txt"]\n')
    env = read_python_env(path)
    assert (env.python, env.build_dependencies, env.dependencies) == (
        "3.11",
        ("pip",),
        ("six", "-r r.txt"),
    )
    for text, message in [
        ("python: 3.10\n", "'python' must be a string: quote it"),
        ("python: '3'\ndependencies: six\n", "'dependencies' must be a list of strings"),
        ("pyhton: '3'\n", "unknown key 'pyhton'"),
    ]:
        path.write_text(text)
        with pytest.raises(InvalidInputError, match=message):
            read_python_env(path)


def test_conda_yaml_gives_a_python_environment_its_version_and_pip_packages(
    tmp_path: Path,
) -> None:
    path = tmp_path / "conda.yaml"
    path.write_text(
        "name: t\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n"
        "  - numpy\n  - pip:\n      - six==1.17.0\n"
    )
    env = read_conda_as_python(path)
    assert env.python == "3.11"
    assert env.dependencies == ("six==1.17.0",)
    assert env.notes == ("conda packages left out (not pip ones): numpy",)


def test_param_list() -> None:
    assert parse_param_list(["a=1", "b=x=y", "a=2", "c="]) == {"a": "2", "b": "x=y", "c": ""}
    with pytest.raises(InvalidInputError, match="-P 'alpha' is not KEY=VALUE"):
        parse_param_list(["alpha"])
