"""OCR in Vietnamese with Tesseract (`vie` data), cached by content hash; and the reading of image files.

`OcrEngine` runs the `tesseract` program through pytesseract: a maintained binding that only needs the Debian
packages (`tesseract-ocr`, `tesseract-ocr-vie`), unlike tesserocr, which compiles against libtesseract's
headers and has no wheel for this Python. Starting the program costs ~0.1 s a page against 2-3 s of
recognition, and it gives the word boxes and confidences `index.pdf` needs (`image_to_data`).

Before recognition a page loses its coloured ink (`drop_colour_ink`): the red seal and the blue or red
signature drawn over the signer's title and name; after it, lines of noise (speckle, shadows, signature strokes
read as marks and stray letters) are left out of the page's text (`drop_noise_lines`). Measured on the real
scans of ../shared/realdocs, the three signature blocks under a seal are read whole; on the 200 dpi scan of the
bundled plans the character accuracy is unchanged (0.998) and a page costs ~0.15 s more. Upscaling a 200 dpi
scan before recognition (Lanczos to 300 dpi, or rendering at 400 dpi) and Tesseract's `--psm 4` were measured
too and lowered that accuracy, so pages are rendered at `dpi` and segmented automatically.

Each result is cached in the folder the caller names (the assistant passes `<data_dir>/cache/ocr`), under a
hash of the file's bytes, the page, the region, the resolution, Tesseract's version and language and the
version of the image preparation (`OCR_VERSION`): a rebuild reads the cache and runs no OCR. A page's mean
word confidence (0-100, over all its words, noise too) is kept with its text, and a page under
`min_confidence` is flagged (`PageInfo.low_confidence`).

Without the program or its Vietnamese data, `OcrEngine.missing()` says in one line which Debian packages to
install; readers then skip the pages that need OCR (a file with nothing else is refused with that line).

Usage::

    engine = OcrEngine(cache_dir=Path("data/cache/ocr"), dpi=300)
    result = read_image(Path("scan.tif"), engine)   # ReadResult(text, pages)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import LoaderError
from index.files import file_digest
from index.office import MissingToolError
from index.syllables import is_syllable

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
OCR_VERSION = 2  # of the image preparation and the text made from Tesseract's words (part of the cache key)
DEFAULT_DPI = 300
DEFAULT_MIN_CONFIDENCE = 70.0
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-vie"
# max - min of a pixel's R, G, B (0-255) above which it is coloured ink (a red seal, a blue signature), not print:
# black print, grey paper and a yellowed page stay under it; where ink crosses print the pixel is dark and stays.
INK_SATURATION = 60
# A line of OCR is noise (speckle, a page edge, a shadow, the strokes of a signature read as characters) when no
# word of it is a real one, or when its mean confidence is under NOISE_CONFIDENCE and real words are not most of it.
NOISE_CONFIDENCE = 60.0
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_LETTERS = re.compile(r"[^\W\d_]+")
# One recognition thread: with OpenMP's default (all cores) a page took ~4x longer on 2 busy cores.
_ENV_THREADS = "OMP_THREAD_LIMIT"


@dataclass(frozen=True)
class OcrResult:
    """Text read from one image, and Tesseract's mean word confidence (0-100; None when no word was found)."""

    text: str
    confidence: float | None


@dataclass(frozen=True)
class PageInfo:
    """How one page of a document was read: `method` is "text" (its text layer), "ocr", "text+ocr" (text layer
    plus OCR of its form widgets) or "none" (nothing read: no text, OCR missing)."""

    page: int  # 1-based
    method: str
    confidence: float | None = None  # mean OCR word confidence of the page, when OCR was used
    low_confidence: bool = False  # OCR confidence under the engine's threshold

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the manifest."""
        return {"page": self.page, "method": self.method, "confidence": self.confidence, "low": self.low_confidence}


@dataclass(frozen=True)
class ReadResult:
    """A document's raw text with how each page was read (`pages` is empty for formats without pages)."""

    text: str
    pages: tuple[PageInfo, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def low_confidence_pages(self) -> list[int]:
        """Pages whose OCR confidence is under the threshold."""
        return [p.page for p in self.pages if p.low_confidence]


def named(error: LoaderError, path: Path) -> LoaderError:
    """`error` with the file's name in front (OCR errors do not know the file), of the same kind."""
    return error if str(error).startswith(f"{path.name}: ") else type(error)(f"{path.name}: {error}")


class OcrEngine:
    """Tesseract OCR with a result cache; `command` is the tesseract program, `lang` its language data."""

    def __init__(
        self,
        cache_dir: Path | None = None,
        dpi: int = DEFAULT_DPI,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        lang: str = "vie",
        command: str = "tesseract",
    ) -> None:
        if not 72 <= dpi <= 600:
            raise ValueError(f"dpi must be between 72 and 600, not {dpi}")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.dpi = dpi
        self.min_confidence = min_confidence
        self.lang = lang
        self.command = command
        self.runs = 0  # pages or regions actually recognised (not read from the cache)
        self._version: str | None = None
        self._missing: str | None = None
        self._checked = False
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process gets (`index.ingest.Reader`): the settings and the cache folder, not the lock."""
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ availability
    def missing(self) -> str | None:
        """None when Tesseract and its language data are installed, else a one-line message naming the packages."""
        with self._lock:
            if not self._checked:
                self._missing = self._check()
                self._checked = True
            return self._missing

    def _check(self) -> str | None:
        try:
            import pytesseract
        except ImportError:
            return "Thiếu gói Python pytesseract để OCR (OCR needs: pip install pytesseract)"
        pytesseract.pytesseract.tesseract_cmd = self.command
        try:
            self._version = str(pytesseract.get_tesseract_version())
            langs = set(pytesseract.get_languages(config=""))
        except Exception:  # TesseractNotFoundError, or a broken install
            log.debug("tesseract not usable", exc_info=True)
            return f"Chưa cài Tesseract OCR (OCR not installed: {INSTALL_HINT})"
        if self.lang not in langs:
            return f"Thiếu dữ liệu tiếng Việt của Tesseract (OCR language data missing: {INSTALL_HINT})"
        return None

    # ------------------------------------------------------------------ recognition
    def cache_key(self, file_hash: str, where: str) -> str:
        """Key of one OCR result: file content, page/region, resolution, Tesseract version and language."""
        self.missing()
        raw = f"{OCR_VERSION}|{file_hash}|{where}|{self.dpi}|{self._version}|{self.lang}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir is not None else None

    def cached(self, key: str) -> list[dict[str, Any]] | None:
        """The stored words for `key`, if any (an unreadable entry counts as absent)."""
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            words = json.loads(path.read_text(encoding="utf-8"))["words"]
            return [
                {"text": str(w["text"]), "conf": float(w["conf"]), "box": list(w["box"]), "line": list(w["line"])}
                for w in words
            ]
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("OCR cache entry %s unreadable; OCR runs again", path.name)
            return None

    def _store(self, key: str, words: list[dict[str, Any]]) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"words": words}, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as e:  # a full or read-only disk costs a re-OCR next time, nothing more
            log.warning("OCR cache not written (%s)", e)

    def words(self, image: Image, line: bool = False) -> list[dict[str, Any]]:
        """Tesseract's words of `image`: text, confidence, box (pixels) and block/paragraph/line numbers;
        `line`: the image is one line of text (a stamp), not a page."""
        import pytesseract

        if self.missing():
            raise MissingToolError(self.missing() or "")
        os.environ.setdefault(_ENV_THREADS, "1")
        with self._lock:  # pytesseract's program name is a module global
            pytesseract.pytesseract.tesseract_cmd = self.command
            config = "--psm 7" if line else ""
            try:
                data = pytesseract.image_to_data(
                    image, lang=self.lang, config=config, output_type=pytesseract.Output.DICT
                )
            except Exception as e:  # TesseractError, or the program killed
                log.debug("tesseract failed", exc_info=True)
                reason = " ".join(str(e).split())[:160] or type(e).__name__
                raise LoaderError(f"OCR thất bại (OCR failed: {reason})") from e
            self.runs += 1
        out = []
        for i, text in enumerate(data["text"]):
            if text and text.strip() and float(data["conf"][i]) >= 0:
                out.append(
                    {
                        "text": text.strip(),
                        "conf": float(data["conf"][i]),
                        "box": [data["left"][i], data["top"][i], data["width"][i], data["height"][i]],
                        "line": [data["block_num"][i], data["par_num"][i], data["line_num"][i]],
                    }
                )
        return out

    def recognise_words(self, image: Image, file_hash: str, where: str, line: bool = False) -> list[dict[str, Any]]:
        """`words` of `image` (page or region `where` of the file whose bytes hash to `file_hash`), cached."""
        key = self.cache_key(file_hash, f"{where}{':line' if line else ''}")
        hit = self.cached(key)
        if hit is not None:
            return hit
        words = self.words(image, line)
        self._store(key, words)
        return words

    def recognise(self, image: Image, file_hash: str, where: str) -> OcrResult:
        """Text of the page `image` without its noise lines, and the mean confidence of all its words (a page of
        noise stays flagged); see `recognise_words`, cached."""
        return page_result(self.recognise_words(image, file_hash, where))

    def is_low(self, confidence: float | None) -> bool:
        """Whether a page of this mean confidence is flagged (a page without any word is not)."""
        return confidence is not None and confidence < self.min_confidence


def is_latin(c: str) -> bool:
    """Whether the character is a Latin letter (with any diacritics)."""
    return unicodedata.name(c, "").startswith("LATIN")


def plausible_word(word: str) -> bool:
    """Whether a run of letters can be a word of Vietnamese or English text (not a font's garbage, not OCR noise)."""
    if word.isascii():
        return True  # English, an abbreviation, or Vietnamese typed without accents
    if not all(is_latin(c) for c in word):
        return False
    if word.isupper() and not any(c in _TONES for c in unicodedata.normalize("NFD", word)):
        return True  # acronyms: HĐND, QĐ
    return is_syllable(word)  # index.syllables: the one rule of what a Vietnamese syllable can be


def _real_word(text: str) -> bool | None:
    """Whether an OCR word is a real one: a number ("193/UBND-KT", "08/6/2026", "5"), or letters that are
    Vietnamese or English words of two letters or more; None for marks without letters or digits ("-", "|")."""
    alnum = [c for c in text if c.isalnum()]
    if not alnum:
        return None
    digits = sum(c.isdigit() for c in alnum)
    if digits:
        return digits * 2 >= len(alnum) or digits >= 2
    letters = _LETTERS.findall(text)
    return all(plausible_word(w) for w in letters) and sum(map(len, letters)) >= 2


def is_noise_line(words: list[dict[str, Any]]) -> bool:
    """Whether one line of Tesseract's words is noise, not text (see `NOISE_CONFIDENCE`)."""
    real = [r for r in (_real_word(w["text"]) for w in words) if r is not None]
    if not any(real):
        return True
    confidence = sum(w["conf"] for w in words) / len(words)
    return confidence < NOISE_CONFIDENCE and sum(real) * 2 < len(real)


def drop_noise_lines(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`words` without the lines that are noise (`is_noise_line`)."""
    lines: dict[tuple[int, ...], list[dict[str, Any]]] = {}
    for w in words:
        lines.setdefault(tuple(w["line"]), []).append(w)
    noise = {key for key, line in lines.items() if is_noise_line(line)}
    return [w for w in words if tuple(w["line"]) not in noise]


def page_result(words: list[dict[str, Any]]) -> OcrResult:
    """A page's text without its noise lines (`drop_noise_lines`), and the mean confidence of all its words: a
    page of noise stays flagged as doubtful."""
    return OcrResult(words_to_result(drop_noise_lines(words)).text, words_to_result(words).confidence)


def words_to_result(words: list[dict[str, Any]]) -> OcrResult:
    """Text of Tesseract's words (a line per line, a blank line between paragraphs) and their mean confidence."""
    lines: list[str] = []
    last: list[int] | None = None
    for w in words:
        line = w["line"]
        if last is None or line != last:
            if last is not None and line[:2] != last[:2]:
                lines.append("")
            lines.append(w["text"])
        else:
            lines[-1] += " " + w["text"]
        last = line
    confs = [w["conf"] for w in words]
    return OcrResult("\n".join(lines), round(sum(confs) / len(confs), 1) if confs else None)


def drop_colour_ink(image: Image, keep: Sequence[tuple[int, int, int, int]] = ()) -> Image:
    """`image` in grey for Tesseract, with coloured ink turned white (see `INK_SATURATION`), except inside the
    pixel boxes `keep` (left, top, right, bottom): what a digital signature stamps there in red is text.

    Official documents are printed black; the round red seal (con dấu) and the blue or red signature are
    stamped and written over the signer's title and name, and Tesseract then reads neither. Without the ink
    the print under it is whole again. A page without colour comes out as its plain grey conversion.
    """
    import numpy as np
    from PIL import Image as PILImage

    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    if len(image.getbands()) < 3:
        return image.convert("L")
    rgb = np.asarray(image.convert("RGB"))
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]  # channel by channel: 25x faster than max(axis=2)
    ink = np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b) > INK_SATURATION
    for left, top, right, bottom in keep:
        ink[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)] = False
    grey = np.array(image.convert("L"))
    grey[ink] = 255
    return PILImage.fromarray(grey)


# --- image files ------------------------------------------------------------------------------


def _frames(path: Path, max_bytes: int) -> Iterator[Image]:
    """The frames of an image file (a multi-page TIFF has several), each checked against `max_bytes`."""
    from PIL import Image as PILImage
    from PIL import ImageSequence

    with PILImage.open(path) as im:
        for frame in ImageSequence.Iterator(im):
            size = frame.width * frame.height * max(len(frame.getbands()), 1)
            if size > max_bytes:
                raise LoaderError(
                    f"{path.name}: ảnh giải nén quá lớn ({frame.width}x{frame.height} điểm ảnh; "
                    "unpacked size too large, see ASSISTANT_MAX_UNCOMPRESSED_MB)"
                )
            yield drop_colour_ink(frame)


def read_image(path: Path, engine: OcrEngine | None, max_chars: int, max_bytes: int) -> ReadResult:
    """OCR every frame of an image file (.png, .jpg, .tif; multi-page TIFF too); one PageInfo per frame."""
    from tqdm import tqdm

    if engine is None:
        raise LoaderError(f"{path.name}: ảnh cần OCR, mà OCR đang tắt (image needs OCR; ASSISTANT_OCR is off)")
    if engine.missing():
        raise MissingToolError(f"{path.name}: {engine.missing()}")
    digest = file_digest(path)
    texts: list[str] = []
    pages: list[PageInfo] = []
    chars = 0
    try:
        with tqdm(desc=f"OCR {path.name}", unit="page", disable=None, leave=False) as bar:
            for n, frame in enumerate(_frames(path, max_bytes), start=1):
                result = engine.recognise(frame, digest, f"image:{n}")
                texts.append(result.text)
                pages.append(PageInfo(n, "ocr", result.confidence, engine.is_low(result.confidence)))
                log.info("%s frame %d: OCR confidence %s", path.name, n, result.confidence)
                chars += len(result.text) + 1
                if chars > max_chars:
                    raise LoaderError(
                        f"{path.name}: văn bản quá dài (hơn {max_chars:,} ký tự; "
                        "document too long, see ASSISTANT_MAX_DOCUMENT_CHARS)"
                    )
                bar.update(1)
    except LoaderError as e:
        raise named(e, path) from None
    except Exception as e:  # PIL raises many kinds on damaged or exotic files
        log.debug("image read failed on %s", path, exc_info=True)
        reason = " ".join(str(e).split())[:160] or type(e).__name__
        raise LoaderError(f"{path.name}: không đọc được tệp ảnh (damaged or not an image: {reason})") from e
    text = "\n\f".join(texts)  # page breaks, as for PDFs: reflow drops running headers and page numbers by them
    if not text.strip():
        raise LoaderError(f"{path.name}: không tìm thấy chữ, kể cả bằng OCR (no text found by OCR)")
    return ReadResult(text, tuple(pages))
