"""Load settings once at start: embedded defaults, an optional YAML file, then the environment.

This is the only module that reads os.environ. Every value is checked against the schema and
an error names the key and the expected form. Secrets come only from the environment, except
the sandbox's published test credentials in our own default.yaml.
"""

from __future__ import annotations

import copy
import os
import re
import secrets as pysecrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from config.schema import ENV_ONLY, ENV_ONLY_PATTERNS, SECRET_FIELD, check_value
from core.errors import ConfigError

PREFIX = "ORDERBRIDGE__"
FILE_VARIABLE = "ORDERBRIDGE_CONFIG"
LOG_LEVEL_VARIABLE = "ORDERBRIDGE_LOG_LEVEL"
DEFAULTS_FILE = Path(__file__).with_name("default.yaml")
PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(Mapping[str, Any]):
    """Validated, read-only settings; sections read as attributes (settings.web.port)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        value = self._data[key]
        return Settings(value) if isinstance(value, Mapping) else value

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def get_path(self, path: str, default: Any = None) -> Any:
        node: Any = self._data
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return Settings(node) if isinstance(node, Mapping) else node

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self._data))

    def replace(self, **changes: Any) -> Settings:
        """A copy with dotted-path changes (tests and the CLI's global options use this)."""
        data = self.to_dict()
        for dotted, value in changes.items():
            _set(data, dotted.split("__") if "__" in dotted else dotted.split("."), value)
        return Settings(data)

    @property
    def data_path(self) -> Path:
        return Path(self._data["data_dir"])


def _set(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        child = tree.get(part)
        if not isinstance(child, dict):
            child = tree[part] = {}
        tree = child
    tree[parts[-1]] = value


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, path + ".")
        elif not isinstance(value, Mapping):
            yield path, value


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read settings file: {exc}", key=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("settings file must hold a mapping of keys", key=str(path))
    return data


def _env_value(path: str, raw: str) -> Any:
    """An environment value as YAML would read a plain scalar, minus YAML 1.1's surprises
    ("2023_2" stays text, not the number 20232; "on" stays text)."""
    if SECRET_FIELD.search(path.rsplit(".", 1)[-1]):
        return raw
    text = raw.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() in ("null", "~", ""):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*|-?\.\d+", text):
        return float(text)
    return raw


def _is_secret(path: str) -> bool:
    if path in ENV_ONLY or any(_matches(pattern, path) for pattern in ENV_ONLY_PATTERNS):
        return True
    parts = path.split(".")
    return parts[0] == "connections" and len(parts) == 3 and bool(SECRET_FIELD.search(parts[2]))


def _matches(pattern: str, path: str) -> bool:
    want, parts = pattern.split("."), path.split(".")
    return len(want) == len(parts) and all(w in ("*", p) for w, p in zip(want, parts, strict=True))


def pem_text(value: str | None, data_dir: Path, key: str) -> bytes | None:
    """A key or certificate setting as PEM bytes: the text itself, or the file it names (a
    relative path is in the data folder)."""
    if not value:
        return None
    if "-----BEGIN" in value:
        return value.encode()
    path = Path(value) if Path(value).is_absolute() else data_dir / value
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror or exc}",
            key=key,
            hint=f"set {PREFIX}{'__'.join(key.upper().split('.'))} to PEM text or a readable path",
        ) from None


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build and validate the settings; raises ConfigError naming the first bad key."""
    environ = os.environ if environ is None else environ
    data = _read_yaml(DEFAULTS_FILE)
    sources = {path: "default" for path, _ in _flatten(data)}
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if environ.get(FILE_VARIABLE):
        layers.append((environ[FILE_VARIABLE], _read_yaml(Path(environ[FILE_VARIABLE]))))
    env_layer: dict[str, Any] = {}
    for name, raw in environ.items():
        if name.startswith(PREFIX) and len(name) > len(PREFIX):
            path = ".".join(name[len(PREFIX) :].lower().split("__"))
            _set(env_layer, path.split("."), _env_value(path, raw))
    layers.append(("environment", env_layer))
    layers.append(("overrides", overrides or {}))
    for source, layer in layers:
        for path, value in _flatten(layer):
            _set(data, path.split("."), value)
            sources[path] = source
    for path, value in _flatten(data):
        check_value(path, value)
    _check_secrets(data, sources)
    _check_jobs(data)
    _derive(data, environ)
    return Settings(data)


def _check_secrets(data: dict[str, Any], sources: dict[str, str]) -> None:
    sandbox = data.get("sandbox", {}).get("enabled", False)
    for path, source in sources.items():
        if not _is_secret(path) or source in ("environment", "overrides"):
            continue
        if source == "default":
            if not sandbox:  # the sandbox's published credentials mean nothing elsewhere
                _set(data, path.split("."), None)
            continue
        variable = PREFIX + "__".join(path.upper().split("."))
        raise ConfigError(
            "secrets are read only from the environment, not from a file",
            key=path,
            hint=f"set {variable} and remove it from {source}",
        )


def _check_jobs(data: dict[str, Any]) -> None:
    for job_id, job in (data.get("jobs") or {}).items():
        if isinstance(job, Mapping) and job.get("every") and job.get("cron"):
            raise ConfigError("set either every or cron, not both", key=f"jobs.{job_id}")


def _derive(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    data_dir = Path(data.get("data_dir") or "var")
    if not data_dir.is_absolute():
        data_dir = PROJECT_DIR / data_dir
    data["data_dir"] = str(data_dir)
    if not data.get("database_url"):
        data["database_url"] = f"sqlite:///{data_dir / 'orderbridge.db'}"
    if data["mode"] == "production" and not data.get("secret_key"):
        raise ConfigError(
            "production mode needs a secret key",
            key="secret_key",
            hint="set ORDERBRIDGE__SECRET_KEY to a long random value",
        )


def log_level(environ: Mapping[str, str] | None = None) -> str:
    """The command line's log level, ORDERBRIDGE_LOG_LEVEL or INFO; read apart from the settings
    because logging starts before they load (and must report when they cannot)."""
    environ = os.environ if environ is None else environ
    return environ.get(LOG_LEVEL_VARIABLE, "INFO")


def os_user(environ: Mapping[str, str] | None = None) -> str:
    """Who runs this process ($USER, or "cli"): who asked for runs started on the command line."""
    environ = os.environ if environ is None else environ
    return environ.get("USER", "cli")


def ensure_secret_key(settings: Settings) -> str:
    """The session key: the configured one, or in embedded mode one kept in the data folder."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_path / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(pysecrets.token_urlsafe(48))
    return path.read_text().strip()
