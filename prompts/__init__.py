"""Prompt files with declared variables, rendered strictly; fixed phrases shared by prompts, code and tests."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROMPTS_DIR = Path(__file__).resolve().parent


class PromptError(ValueError):
    """A prompt file is malformed or rendered with missing/unknown variables."""


@dataclass(frozen=True)
class Prompt:
    """A template with the exact set of variables it may use."""

    name: str
    variables: tuple[str, ...]
    template: str

    def render(self, **values: object) -> str:
        """Fill the template; a missing or undeclared variable is an error, never an empty string."""
        missing = set(self.variables) - set(values)
        extra = set(values) - set(self.variables)
        if missing or extra:
            raise PromptError(f"Prompt {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return string.Template(self.template).substitute({k: str(v) for k, v in values.items()})


@cache
def load_prompt(name: str) -> Prompt:
    """Load `prompts/<name>.yaml` (keys: variables, template) and check the declared variables are used."""
    path = PROMPTS_DIR / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise PromptError(f"Cannot read prompt {name}: {e}") from e
    variables = tuple(data.get("variables") or ())
    template = data["template"]
    used = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(template)} - {None}
    if used != set(variables):
        raise PromptError(f"Prompt {name}: declared {sorted(variables)} but template uses {sorted(used)}")
    return Prompt(name, variables, template)


@cache
def phrases() -> dict[str, str]:
    """Fixed sentences of the answerer (abstention, notices, labels) from `prompts/phrases.yaml`."""
    data = yaml.safe_load((PROMPTS_DIR / "phrases.yaml").read_text(encoding="utf-8"))
    return {k: str(v) for k, v in data.items()}


def phrase(key: str, lang: str = "vi", **values: object) -> str:
    """One fixed phrase in the answer language (falls back to Vietnamese), with `$name` fields filled."""
    table = phrases()
    text = table.get(f"{key}_{lang}") if lang != "vi" else None
    text = text or table[key]
    return string.Template(text).substitute({k: str(v) for k, v in values.items()})


ABSTAIN = phrases()["abstain"]
