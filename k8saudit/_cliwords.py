"""Library messages in the command line's words.

The package's errors speak to Python callers ("pass kubeconfig=", "max_chars", "diff() needs ...");
the ``k8saudit`` command shows the same errors, so before printing one it names the flag instead of the
parameter. Only these phrasings are rewritten, never the rest of a message (file and object names come
from the user's input and stay as they are).
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: a keyword parameter of the library → the flag (with its value) that does the same on the command line
FLAGS: dict[str, str] = {
    "kubeconfig": "--kubeconfig FILE",
    "context": "--context NAME",
    "namespaces": "-n/--namespace NAMESPACE",
    "cluster": "--cluster NAME",
    "format": "--format NAME",
    "max_chars": "--max-chars N",
}

_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # "pass kubeconfig=" / "pass context=" → "give --kubeconfig FILE"
    (re.compile(r"\bpass (" + "|".join(FLAGS) + r")=(?:\.\.\.)?"), lambda m: f"give {FLAGS[m[1]]}"),
    # "(or format=...)" → "(or --format NAME)"
    (re.compile(r"\b(" + "|".join(FLAGS) + r")=(?:\.\.\.)?(?=[),;]|\s|$)"), lambda m: FLAGS[m[1]]),
    # "max_chars 200 is too small", "max_chars applies to markdown" → "--max-chars 200 ..."
    (re.compile(r"(?<![\w-])max_chars\b"), "--max-chars"),
    # a fleet's sources named in Python → the command line's NAME=SOURCE
    (
        re.compile(r"name them with a mapping, e\.g\. audit\(\{.*?\}\)(?:, or with \(name, source\) pairs)?"),
        "name them NAME=SOURCE, e.g. edge-1=prod/manifests edge-2=staging/manifests",
    ),
    # "diff() needs ..." → "diff needs ..."
    (re.compile(r"\b(diff|load|load_clusters|compliance|scorecard|audit)\(\)"), lambda m: m[1]),
)


def cli_words(message: str) -> str:
    """``message`` with the library's parameter names turned into the command line's flags."""
    for pattern, repl in _RULES:
        message = pattern.sub(repl, message)
    return message
