"""pybabel's extractor for the specs' own texts (see grader/locale/babel.cfg): apart from the
translation primitives, since it reads specs and the primitives must not."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from grader.i18n import name_templates
from grader.spec import load_assignment


def extract_spec(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """pybabel's extractor for `reference/*/spec.py` (see babel.cfg): the texts the spec builds,
    as the grader looks them up: its title, its mistakes' hints (variants and raised errors) and
    cases' notes, and the
    templates of its case names' and calls' parts. Hidden cases add only templates: no numbers."""
    path = Path(fileobj.name).resolve()
    spec = load_assignment(path.parent.name, root=path.parents[2])
    texts = [spec.title]
    for task in spec.tasks:
        texts += [variant.hint for variant in task.variants] + [known.hint for known in task.raised_hints]
        for case in task.cases:
            texts += [*name_templates(case.name), *name_templates(case.call or ""), *([case.note] if case.note else [])]
    for text in dict.fromkeys(texts):
        yield 0, None, text, []
