"""The sections of docs/performance.md that the benchmark's sub-commands write. The file opens
with the main table (`bench.py`, which rewrites everything up to the first other section); each
other sub-command (`bench.py relay`, `bench.py curves`) owns one section that starts with its
`## ` heading and ends with its end marker, after which notes written by hand stay until the
next `## ` heading. Each sub-command rewrites only its own part and keeps the others.
Standard library only.
"""


def _heading_at(text, heading):
    """Where `heading` starts a line of `text`, or -1."""
    if text.startswith(heading):
        return 0
    found = text.find("\n" + heading)
    return found + 1 if found >= 0 else -1


def section_text(text, heading):
    """The section of `text` under `heading` (its figures and the notes after its end marker, up
    to the next `## ` heading), or ""."""
    start = _heading_at(text, heading)
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(heading))
    return text[start:end + 1] if end >= 0 else text[start:]


def kept_sections(path, headings):
    """The sections under `headings` of the Markdown file at `path` (when it exists), in the
    order of `headings`, joined with blank lines: what a rewrite of the main table keeps."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return ""
    found = (section_text(text, heading).rstrip("\n") for heading in headings)
    return "".join("\n" + s + "\n" for s in found if s)


def replace_section(path, heading, end_mark, section):
    """Puts `section` (from `heading` to `end_mark`) into the Markdown file at `path`, in place
    of the figures there (notes after `end_mark` and the other sections stay), or at the end."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Performance\n"
    start = _heading_at(text, heading)
    mark = text.find(end_mark, start) if start >= 0 else -1
    if mark >= 0:
        text = text[:start] + section.rstrip("\n") + text[mark + len(end_mark):]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
