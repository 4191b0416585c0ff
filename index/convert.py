"""Other word-processor formats (.doc, .rtf, .odt) converted to .docx by LibreOffice headless.

Each conversion runs `soffice --headless --convert-to docx` with a private profile in a temporary folder
(parallel builds do not share LibreOffice's profile lock), a timeout that ends the whole process group,
and the result is kept in a cache folder the caller names, under the file's content hash, so a rebuild
does not convert again. A file that does not start as its format does is refused first: LibreOffice
imports anything it does not recognise as plain text, which would index binary garbage.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from index.errors import LoaderError
from index.files import file_digest
from index.office import MissingToolError

log = logging.getLogger(__name__)

CONVERT_EXTENSIONS: frozenset[str] = frozenset({".doc", ".rtf", ".odt"})
CONVERT_TIMEOUT_S = 120
LIBREOFFICE_PACKAGE = "libreoffice-writer-nogui"

# What each format's files start with: LibreOffice imports anything else as plain text, so a binary file
# named .doc would be read as garbage. Word also saves RTF, HTML or a .docx zip under a .doc name.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_RTF = b"{\\rtf"
_SIGNATURES: dict[str, tuple[bytes, ...]] = {".doc": (_OLE2, _RTF, _ZIP, b"<"), ".rtf": (_RTF,), ".odt": (_ZIP,)}


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def missing_libreoffice(path: Path) -> MissingToolError:
    """The one-line error for a file that needs LibreOffice when it is not installed."""
    return MissingToolError(
        f"{path.name}: cần LibreOffice để đọc tệp {path.suffix.lower()}, hãy cài gói Debian "
        f"`apt-get install {LIBREOFFICE_PACKAGE}` (LibreOffice not installed)"
    )


def _run_soffice(exe: str, source: Path, out_dir: Path, work: Path, timeout: float) -> None:
    """Run one headless conversion with a private profile; the whole process group goes on timeout."""
    profile = (work / "profile").as_uri()
    cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck"]
    cmd += ["--convert-to", "docx", "--outdir", str(out_dir), str(source)]
    env = {**os.environ, "HOME": str(work)}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env, cwd=work
    )
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise LoaderError(
            f"{source.name}: LibreOffice chuyển đổi quá lâu (hơn {timeout:g} giây; conversion timed out)"
        ) from None
    if proc.returncode != 0:
        log.debug("soffice stderr on %s: %s", source, err.decode("utf-8", "replace"))


@contextlib.contextmanager
def converted_docx(path: Path, cache_dir: Path | None, timeout: float = CONVERT_TIMEOUT_S) -> Iterator[Path]:
    """`path` (.doc, .rtf, .odt) converted to .docx by LibreOffice headless; the result is kept in
    `cache_dir` under the file's content hash (a rebuild does not convert again), or in a temporary folder
    removed afterwards when `cache_dir` is None. Raises MissingToolError without LibreOffice."""
    with open(path, "rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(_SIGNATURES.get(path.suffix.lower(), (b"",))):
        raise LoaderError(
            f"{path.name}: không phải tệp {path.suffix.lower()} hợp lệ (damaged or not a {path.suffix} file)"
        )
    digest = file_digest(path)
    cached = cache_dir / f"{digest}.docx" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        yield cached
        return
    exe = _soffice()
    if exe is None:
        raise missing_libreoffice(path)
    with tempfile.TemporaryDirectory(prefix="assistant-convert-") as tmp:
        work = Path(tmp)
        source = work / "in" / f"{digest}{path.suffix.lower()}"  # a plain name: soffice names its output after it
        source.parent.mkdir()
        shutil.copyfile(path, source)
        _run_soffice(exe, source, work / "out", work, timeout)
        result = work / "out" / f"{digest}.docx"
        if not result.is_file():
            raise LoaderError(
                f"{path.name}: LibreOffice không chuyển đổi được tệp (conversion failed; damaged or not a "
                f"{path.suffix.lower()} file)"
            )
        if cached is None:
            yield result
            return
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        shutil.copyfile(result, part)
        os.replace(part, cached)  # atomic: a parallel build sees the whole file or none
    yield cached
