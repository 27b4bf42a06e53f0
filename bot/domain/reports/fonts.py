"""The fonts of the PDF report, found on the machine through fontconfig (`fc-match`).

Thai: Laksaman, the national font SIPA released as TH Sarabun PSK (the typeface of Thai government documents),
as the Thai Linux Working Group maintains it in Debian's `fonts-thai-tlwg`. Its Latin letters are part of the
same design, so English lines match the Thai. Optional fallbacks, used where Laksaman has no glyph: DejaVu Sans
(symbols, other scripts) and Noto Color Emoji (what citizens type into questions).
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

THAI_FAMILY = "Laksaman"
FALLBACK_FAMILIES = ("DejaVu Sans", "Noto Color Emoji")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
INSTALL_HINT = "install Debian's fonts-thai-tlwg (apt-get install fonts-thai-tlwg; `make test` installs it)"


class FontMissing(RuntimeError):
    """No Thai font: a PDF without one would show empty boxes instead of Thai."""


@dataclass(frozen=True)
class Fonts:
    regular: Path
    bold: Path
    fallbacks: tuple[tuple[str, Path], ...]  # (family, file)


def find(family: str, style: str = "Regular") -> Path | None:
    """The TrueType/OpenType file of `family` in `style`, or None. fc-match always answers with *some* font, so
    its answer counts only when it is the family asked for; without fontconfig, the usual folders are searched."""
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}\n%{family}", f"{family}:style={style}"],
                             capture_output=True, text=True, timeout=10).stdout.split("\n")
        if len(out) == 2 and family.casefold() in [f.strip().casefold() for f in out[1].split(",")]:
            path = Path(out[0])
            if path.suffix.lower() in (".ttf", ".otf") and path.is_file():
                return path
        return None
    name = family.replace(" ", "") + ("" if style == "Regular" else f"-{style}")
    for folder in FONT_DIRS:
        for path in sorted(folder.rglob(f"{name}.[to]tf")) if folder.is_dir() else ():
            return path
    return None


def report_fonts() -> Fonts:
    """The fonts for a report; raises FontMissing, saying what to install, when there is no Thai font."""
    regular = find(THAI_FAMILY)
    if regular is None:
        raise FontMissing(f"the PDF report needs the Thai font {THAI_FAMILY}: {INSTALL_HINT}")
    fallbacks = tuple((family, path) for family in FALLBACK_FAMILIES if (path := find(family)) is not None)
    return Fonts(regular, find(THAI_FAMILY, "Bold") or regular, fallbacks)
