"""Just enough of Asterisk's config syntax to check asterisk_conf/ without an Asterisk.

Covers what the shipped files use: ``;`` comments (``\\;`` is a literal semicolon), sections with
template markers (``[name](!)``, ``[name](tpl1,tpl2)``), ``key = value`` / ``key => value`` lines,
``#include`` / ``#tryinclude`` (followed when the file exists, relative to the including file),
and the dialplan's ``exten =>`` / ``same =>`` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\](?:\((?P<opts>[^)]*)\))?\s*$")
_OPTION = re.compile(r"^(?P<key>[A-Za-z0-9_.\-]+)\s*=>?\s*(?P<value>.*)$")
_INCLUDE = re.compile(r"^#(?P<kind>include|tryinclude)\s+\"?(?P<path>[^\"]+?)\"?\s*$")
_APP = r"(?P<app>[A-Za-z]+)(?:\((?P<args>.*)\))?\s*$"
_EXTEN = re.compile(r"^exten\s*=>\s*(?P<exten>[^,]+),(?P<prio>[^,]+)," + _APP)
_SAME = re.compile(r"^same\s*=>\s*(?P<prio>[^,]+)," + _APP)


def strip_comment(line: str) -> str:
    """Drop a ``;`` comment, keeping escaped ``\\;``."""
    out = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            break
        out.append(ch)
        i += 1
    return "".join(out).strip()


@dataclass
class Section:
    name: str
    file: str
    is_template: bool = False
    templates: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        found = [v for k, v in self.options if k == key]
        return found[-1] if found else None


@dataclass
class ConfFile:
    sections: list[Section]
    includes: list[tuple[str, str, bool]]  # (kind, path, found)

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def template(self, name: str) -> Section:
        found = [s for s in self.sections if s.name == name and s.is_template]
        assert len(found) == 1, f"expected one template [{name}](!), found {len(found)}"
        return found[0]

    def effective(self, section: Section) -> dict[str, str]:
        """Options of ``section`` after applying its templates (theirs first, its own last)."""
        merged: dict[str, str] = {}
        for tpl_name in section.templates:
            for key, value in self.effective(self.template(tpl_name)).items():
                merged[key] = value
        for key, value in section.options:
            merged[key] = value
        return merged

    def of_type(self, kind: str) -> list[tuple[Section, dict[str, str]]]:
        """Concrete (non-template) sections whose effective ``type`` is ``kind``."""
        out = []
        for section in self.sections:
            if section.is_template:
                continue
            opts = self.effective(section)
            if opts.get("type") == kind:
                out.append((section, opts))
        return out


def parse_conf(path: Path, *, text: str | None = None, follow_includes: bool = True) -> ConfFile:
    sections: list[Section] = []
    includes: list[tuple[str, str, bool]] = []
    _parse_into(path, text if text is not None else path.read_text(), sections, includes, follow_includes)
    return ConfFile(sections, includes)


def _parse_into(
    path: Path, text: str, sections: list[Section], includes: list[tuple[str, str, bool]], follow: bool
) -> None:
    current: Section | None = None
    for raw in text.splitlines():
        line = strip_comment(raw)
        if not line:
            continue
        inc = _INCLUDE.match(line)
        if inc:
            target = path.parent / inc["path"]
            includes.append((inc["kind"], inc["path"], target.is_file()))
            if follow and target.is_file():
                _parse_into(target, target.read_text(), sections, includes, follow)
            current = None
            continue
        sec = _SECTION.match(line)
        if sec:
            opts = [o.strip() for o in (sec["opts"] or "").split(",") if o.strip()]
            current = Section(
                name=sec["name"].strip(),
                file=path.name,
                is_template="!" in opts,
                templates=[o for o in opts if o not in ("!", "+")],
            )
            sections.append(current)
            continue
        opt = _OPTION.match(line)
        assert opt, f"{path.name}: cannot parse line {raw!r}"
        assert current is not None, f"{path.name}: option outside a section: {raw!r}"
        current.options.append((opt["key"], opt["value"].strip()))


@dataclass
class Step:
    """One dialplan priority: ``exten => x,1,App(args)`` or ``same => n,App(args)``."""

    context: str
    exten: str
    prio: str
    app: str
    args: str


def parse_dialplan(path: Path) -> dict[str, list[Step]]:
    """Contexts of extensions.conf, each an ordered list of priorities."""
    contexts: dict[str, list[Step]] = {}
    context: str | None = None
    exten: str | None = None
    for raw in path.read_text().splitlines():
        line = strip_comment(raw)
        if not line:
            continue
        sec = _SECTION.match(line)
        if sec:
            context = sec["name"].strip()
            contexts.setdefault(context, [])
            exten = None
            continue
        assert context is not None, f"line outside a context: {raw!r}"
        if context in ("general", "globals"):
            continue
        m = _EXTEN.match(line)
        if m:
            exten = m["exten"].strip()
            contexts[context].append(Step(context, exten, m["prio"].strip(), m["app"], m["args"] or ""))
            continue
        m = _SAME.match(line)
        assert m, f"cannot parse dialplan line {raw!r}"
        assert exten is not None, f"'same =>' before any 'exten =>' in [{context}]"
        contexts[context].append(Step(context, exten, m["prio"].strip(), m["app"], m["args"] or ""))
    return contexts


def dialplan_globals(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    in_globals = False
    for raw in path.read_text().splitlines():
        line = strip_comment(raw)
        if not line:
            continue
        sec = _SECTION.match(line)
        if sec:
            in_globals = sec["name"].strip() == "globals"
            continue
        if in_globals:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out
