"""File loaders: one per format, each producing normalized text (+ explicit headings) and metadata.

Formats are checked by content, not by name alone, so a renamed or corrupt file is refused with a reason.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..models import DocumentMeta, ParsedDocument
from ..text import normalize_document_text
from .chunking import heading_rank
from .metadata import infer_metadata, merge_metadata

# Bump when parsing changes what a file yields: incremental builds then parse every file again.
PARSER_VERSION = 5  # 5: PDF lines wrapped at the page width joined into paragraphs (reflow)
SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx", ".jsonl")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200


# What decompressing one file may produce, whatever its headers declare (zip members, PDF streams).
MAX_INFLATED_BYTES = MAX_DOCX_UNCOMPRESSED
_INFLATE_CHUNK = 64 * 1024


class LoadError(Exception):
    """A file that cannot be ingested; the message is Chinese and shown to admins as is."""


class CompressionBombError(LoadError):
    """Decompression produced (or would produce) more than the file can reasonably hold."""


@dataclass
class Line:
    text: str
    heading_level: int | None = None


def doc_id_for(source: str) -> str:
    return "d" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + ".meta.yaml")


def is_document_file(path: Path) -> bool:
    name = path.name
    return (
        path.suffix.lower() in SUPPORTED_SUFFIXES
        and not name.endswith(".meta.yaml")
        and name.lower() != "readme.md"
        and not name.startswith((".", "_", "~$"))
    )


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), then GB18030 (a superset of GBK/GB2312), then detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        raise LoadError("文件包含二进制内容，不是文本文件")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LoadError("无法识别文本编码")
    return str(best)


def assemble(lines: list[Line]) -> tuple[str, list[tuple[int, int]]]:
    """Join non-empty normalized lines (one paragraph a line) and record where explicit headings start."""
    parts: list[str] = []
    headings: list[tuple[int, int]] = []
    offset = 0
    for line in lines:
        text = normalize_document_text(line.text).replace("\n", " ").strip()
        if not text:
            continue
        if line.heading_level is not None:
            headings.append((offset, line.heading_level))
        parts.append(text)
        offset += len(text) + 1
    return "\n".join(parts), headings


# --- formats -----------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_MD_INLINE = re.compile(r"(\*\*|`)")


def split_front_matter(text: str) -> tuple[dict, str]:
    if text.startswith("---"):
        m = re.match(r"^---\s*\n(.*?)\n---\s*(?:\n|$)", text, re.S)
        if m:
            try:
                data = yaml.safe_load(m.group(1)) or {}
            except yaml.YAMLError as exc:
                raise LoadError(f"YAML 头信息格式错误：{exc}") from exc
            if not isinstance(data, dict):
                raise LoadError("YAML 头信息应为键值对")
            return data, text[m.end():]
    return {}, text


def load_markdown(data: bytes) -> tuple[list[Line], dict, str]:
    front, body = split_front_matter(decode_text(data))
    lines, title = [], ""
    for raw in body.splitlines():
        if raw.strip().startswith("<!--") and raw.strip().endswith("-->"):
            continue
        m = _MD_HEADING.match(raw.strip())
        if m:
            text = _MD_INLINE.sub("", m.group(2)).strip()
            title = title or (text if len(m.group(1)) == 1 else "")
            lines.append(Line(text, len(m.group(1))))
        else:
            text = re.sub(r"^\s*(>\s*)+", "", raw)
            text = re.sub(r"^\s*[-*+]\s+", "", text)
            lines.append(Line(_MD_INLINE.sub("", text)))
    return lines, front, title


def load_text(data: bytes) -> tuple[list[Line], dict, str]:
    return [Line(raw) for raw in decode_text(data).splitlines()], {}, ""


_HTML_NOISE = re.compile(r"side|nav|menu|foot|breadcrumb|crumb|share|related|links|toolbar|banner|^top$|copyright|"
                         r"^source$|^info$|article-info|^meta$|pageviews|print", re.I)
# Lines of page chrome that survive in the body of many government pages.
_PAGE_CHROME = re.compile(r"浏览次数|阅读次数|点击量|访问量|【打印本页】|【关闭窗口】|^字号[:：]|【字体")
_HTML_MAIN = re.compile(r"^(main|content|article|zoom|text|detail)", re.I)
_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote", "dt", "dd")


def load_html(data: bytes) -> tuple[list[Line], dict, str]:
    from bs4 import BeautifulSoup

    text = decode_text(data)
    if "<" not in text:
        raise LoadError("不是有效的 HTML 文件")
    soup = BeautifulSoup(text, "lxml")
    title = soup.title.get_text(strip=True) if soup.title else ""
    for noise in soup(["script", "style", "nav", "footer", "header", "aside", "noscript", "iframe", "form"]):
        noise.decompose()
    # Page furniture of government sites: sidebars, menus, breadcrumbs, share bars, related links.
    for noise in soup.find_all(lambda el: el.name in ("div", "ul", "section", "p", "span")
                               and _HTML_NOISE.search(" ".join([el.get("id") or "", *(el.get("class") or [])]))):
        if not noise.decomposed:
            noise.decompose()
    body = (soup.find("article") or soup.find("main")
            or soup.find(id=_HTML_MAIN) or soup.find(class_=_HTML_MAIN) or soup.body or soup)
    lines: list[Line] = []
    blocks = body.find_all(_HTML_BLOCKS)
    if not blocks:
        return [Line(t) for t in body.get_text("\n").splitlines()], {}, title
    for el in blocks:
        if el.find_parent(_HTML_BLOCKS):
            continue  # nested blocks are read through their outermost block
        if el.name == "tr":
            cells = [c.get_text(" ", strip=True) for c in el.find_all(["td", "th"])]
            lines.append(Line(" | ".join(c for c in cells if c)))
        elif el.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            heading = el.get_text(" ", strip=True)
            lines.append(Line(heading, int(el.name[1])))
            if el.name == "h1" and not title:
                title = heading
        else:
            for part in el.get_text("\n", strip=True).splitlines():
                if not _PAGE_CHROME.search(part):
                    lines.append(Line(part))
    h1 = body.find("h1")
    if h1 is not None:
        title = h1.get_text(" ", strip=True) or title
    return lines, {}, title


def check_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """Open a zip container refusing corrupt files and zip bombs before anything decompresses."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise LoadError(f"{what} 文件已损坏或不是有效的 {what} 文件") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_DOCX_UNCOMPRESSED or total / packed > MAX_ZIP_RATIO:
        raise CompressionBombError(f"{what} 文件解压后体积异常（疑似压缩炸弹），已拒绝")
    return zf


def inflate_zip(data: bytes, what: str, max_bytes: int = MAX_INFLATED_BYTES) -> dict[str, bytes]:
    """Every member of a zip container, decompressed in a stream with a hard cap on the bytes actually
    produced. The sizes in zip headers are the sender's to choose: zipfile reads a member with read(-1) in
    one decompress call (a 1 MB member can become 2 GB before anything is compared), so each member is
    read in small chunks and must come out at exactly the size it declared: reading stops one byte past
    that (or past what is left of the budget), so a lying header costs no more than an honest one."""
    zf = check_zip(data, what)
    members: dict[str, bytes] = {}
    produced = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise LoadError(f"{what} 文件使用了不支持的压缩方式或已加密")
        budget = max_bytes - produced
        probe = copy.copy(info)
        # zipfile stops reading at file_size; one byte more tells a lying header from an honest one.
        probe.file_size = min(info.file_size, budget) + 1
        probe.CRC = None  # zipfile would check it on the cut-short stream; we check the whole member below
        parts: list[bytes] = []
        size = crc = 0
        try:
            with zf.open(probe) as member:
                while chunk := member.read(_INFLATE_CHUNK):
                    size += len(chunk)
                    crc = zlib.crc32(chunk, crc)
                    if size > info.file_size:
                        break
                    if size > budget:
                        raise CompressionBombError(f"{what} 文件解压后超过 {max_bytes // (1024 * 1024)} MB（疑似压缩炸弹），已拒绝")
                    parts.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise LoadError(f"{what} 文件已损坏或不是有效的 {what} 文件") from exc
        if size != info.file_size:
            raise CompressionBombError(f"{what} 文件中“{info.filename[:80]}”的实际大小与声明不符（疑似压缩炸弹），已拒绝")
        if crc != info.CRC:
            raise LoadError(f"{what} 文件已损坏（校验和不符）")
        produced += size
        members[info.filename] = b"".join(parts)
    return members


def _rezip(members: dict[str, bytes]) -> bytes:
    """A stored (uncompressed) zip of checked members: readers that inflate in one go get honest input."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def load_docx(data: bytes) -> tuple[list[Line], dict, str]:
    members = inflate_zip(data, "DOCX")
    if "word/document.xml" not in members:
        raise LoadError("DOCX 文件已损坏或不是有效的 DOCX 文件")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    package = _rezip(members)
    del members
    try:
        document = docx.Document(io.BytesIO(package))
    except Exception as exc:  # python-docx raises many kinds for broken XML
        raise LoadError(f"DOCX 文件无法解析：{type(exc).__name__}") from exc
    lines: list[Line] = []
    title = (document.core_properties.title or "").strip()
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            style = (para.style.name if para.style is not None else "") or ""
            level = None
            if style == "Title":
                level = 1
                title = title or para.text.strip()
            elif style.startswith("Heading"):
                digits = re.findall(r"\d+", style)
                level = int(digits[0]) if digits else 1
            lines.append(Line(para.text, level))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = cell.text.strip().replace("\n", " ")
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                lines.append(Line(" | ".join(cells)))
    return lines, {}, title


# Per-stream limits for pypdf (its Configuration fields); a text page's content stream is kilobytes.
_PDF_LIMITS = {
    "maximum_declared_stream_length": 16 * 1024 * 1024,
    "zlib_maximum_output_length": 16 * 1024 * 1024,
    "lzw_maximum_output_length": 16 * 1024 * 1024,
    "run_length_maximum_output_length": 16 * 1024 * 1024,
    "array_based_stream_maximum_output_length": 16 * 1024 * 1024,
    "brotli_maximum_output_length": 16 * 1024 * 1024,
    "stream_decoding_work_maximum_length": 16 * 1024 * 1024,
    "xform_maximum_invocations_per_extraction": 500,
}


def load_pdf(data: bytes) -> tuple[list[Line], dict, str]:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise LoadError("不是有效的 PDF 文件")
    import logging

    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    bomb = CompressionBombError("PDF 中的压缩数据解压后体积异常（疑似压缩炸弹），已拒绝")
    try:
        # pypdf caps each stream itself (Configuration); its defaults (75 MB per stream, 300 MB of decoding
        # work) are per stream, so we lower them and also count the decoded page content of the whole file.
        with apply_configuration(**_PDF_LIMITS):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise LoadError("PDF 文件已加密，无法读取")
            pages, decoded = [], 0
            for page in reader.pages:
                contents = page.get_contents()
                decoded += len(contents.get_data()) if contents is not None else 0
                if decoded > MAX_INFLATED_BYTES:
                    raise bomb
                pages.append(page.extract_text() or "")
            title = str((reader.metadata or {}).get("/Title", "") or "").strip()
    except LoadError:
        raise
    except LimitReachedError as exc:
        raise bomb from exc
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise LoadError(f"PDF 文件已损坏，无法解析：{type(exc).__name__}") from exc
    text = "\n".join(pages)
    if len(text.strip()) < 10:
        raise LoadError("PDF 中没有可提取的文字（可能是扫描件）")
    return [Line(t) for t in reflow(text.splitlines())], {}, title


_ENDS_THOUGHT = re.compile(r"[。；;！!？?：:…]\s*[”’」』）)]*$")
WRAP_SHARE = 0.75  # a line at least this share of the page's text width ran into the margin


def reflow(lines: list[str]) -> list[str]:
    """The paragraphs of a PDF's physical lines. A PDF wraps a paragraph at the page width, mid-sentence and
    even mid-word (…每张证书最高2万元，同一 / 企业每年最高6万元。); left as lines, a sentence is cut in two and the
    answer quotes half of it. A line joins the next when it ran to the margin (at least WRAP_SHARE of the
    document's usual width: the 90th percentile of its line lengths), ends no sentence, and the next line
    starts neither a paragraph (pypdf indents it) nor a heading or list item (一、 （二） 3. 第五条)."""
    lengths = sorted(len(t.strip()) for t in lines if t.strip())
    if not lengths:
        return lines
    width = lengths[int(0.9 * (len(lengths) - 1))]
    out: list[str] = []
    joinable = False
    for line in lines:
        text = line.strip()
        if out and joinable and text and not line[:1].isspace() and heading_rank(text, None) is None:
            out[-1] += text
        else:
            out.append(line)
        last = out[-1].strip()
        joinable = len(text) >= WRAP_SHARE * width and not _ENDS_THOUGHT.search(last)
    return out


# Field names of a JSON-lines service guide, in reading order, with the heading shown for each.
GUIDE_FIELDS: tuple[tuple[str, str], ...] = (
    ("department", "实施部门"),
    ("legal_basis", "设定依据"),
    ("conditions", "受理条件"),
    ("materials", "申请材料"),
    ("steps", "办理流程"),
    ("time_limit", "办理时限"),
    ("deadline", "截止时间"),
    ("place", "办理地点"),
    ("hours", "办理时间"),
    ("phone", "咨询电话"),
    ("fee", "收费标准"),
    ("online", "网上办理"),
)
# The Guangdong service-guide records use other names for the same fields.
GUIDE_ALIASES: dict[str, str] = {
    "DEPT_NAME": "department",
    "accept_standard": "conditions",
    "material_intro": "materials",
    "handle_location": "place",
    "handle_time_limit": "time_limit",
    "consult_phone": "phone",
    "bear_paltform": "online",
    "complain_phone": "complain_phone",
}
_GUIDE_META_KEYS = ("doc_number", "issuer", "issue_date", "effective_date", "expiry_date", "status",
                    "replaced_by", "replaces", "region", "programs", "doc_type", "sample", "note")


def guide_record_lines(record: dict) -> tuple[list[Line], str]:
    rec = {GUIDE_ALIASES.get(k, k): v for k, v in record.items()}
    title = str(rec.get("title") or rec.get("matter_name") or rec.get("TASK_NAME") or "").strip()
    lines = [Line(title, 1)] if title else []
    for key, heading in GUIDE_FIELDS:
        value = rec.get(key)
        if value in (None, "", [], "无"):
            continue
        lines.append(Line(f"【{heading}】", 2))
        if isinstance(value, list):
            for i, item in enumerate(value, 1):
                lines.append(Line(f"{i}. {item}" if len(value) > 1 else str(item)))
        else:
            lines.extend(Line(part) for part in str(value).splitlines())
    return lines, title


def load_jsonl(data: bytes) -> list[tuple[str, list[Line], dict, str, bytes]]:
    """One document per record: (record key, lines, declared metadata, title, record bytes)."""
    out = []
    for n, raw in enumerate(decode_text(data).splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise LoadError(f"第 {n} 行不是有效的 JSON：{exc.msg}") from exc
        if not isinstance(record, dict):
            raise LoadError(f"第 {n} 行应为 JSON 对象")
        key = str(record.get("id") or record.get("TASK_CODE") or n)
        lines, title = guide_record_lines(record)
        declared = {k: record[k] for k in _GUIDE_META_KEYS if k in record}
        if "department" in record and "issuer" not in declared:
            declared["issuer"] = record["department"]
        declared.setdefault("doc_type", "办事指南")
        out.append((key, lines, declared, title, raw.encode("utf-8")))
    if not out:
        raise LoadError("JSON Lines 文件为空")
    return out


_LOADERS = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".docx": load_docx,
    ".pdf": load_pdf,
}


def read_sidecar(path: Path) -> tuple[dict, bytes]:
    side = sidecar_path(path)
    if not side.exists():
        return {}, b""
    raw = side.read_bytes()
    try:
        data = yaml.safe_load(decode_text(raw)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"元数据文件 {side.name} 格式错误：{exc}") from exc
    if not isinstance(data, dict):
        raise LoadError(f"元数据文件 {side.name} 应为键值对")
    return data, raw


def _make_document(source: str, corpus: str, fmt: str, lines: list[Line], declared: dict, title: str,
                   digest_parts: list[bytes]) -> ParsedDocument:
    text, headings = assemble(lines)
    if not text.strip():
        raise LoadError("文件中没有可读取的文字")
    meta = merge_metadata(infer_metadata(text, title), declared)
    meta.update(doc_id=doc_id_for(f"{Path(corpus).name}/{source}"), source=source, corpus=corpus, format=fmt,
                content_hash=hashlib.sha256(b"\0".join(digest_parts)).hexdigest())
    if meta.get("status") not in ("现行", "已修订", "已废止"):
        meta["status"] = "现行"
    return ParsedDocument(meta=DocumentMeta(**meta), text=text, headings=headings)


def file_digest(path: Path) -> str:
    """Content hash of a file plus its sidecar: what decides whether it must be parsed again."""
    h = hashlib.sha256(path.read_bytes())
    side = sidecar_path(path)
    if side.exists():
        h.update(b"\0meta\0" + side.read_bytes())
    return h.hexdigest()


def load_file(path: Path, corpus_root: Path) -> list[ParsedDocument]:
    """Parse one file into documents (several for JSON lines). Raises LoadError with a reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"不支持的文件类型：{suffix or '无扩展名'}（支持 {'、'.join(SUPPORTED_SUFFIXES)}）")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LoadError(f"文件过大（{size // 1024 // 1024} MB），上限 {MAX_FILE_BYTES // 1024 // 1024} MB")
    data = path.read_bytes()
    if not data.strip():
        raise LoadError("文件为空")
    source = path.relative_to(corpus_root).as_posix()
    sidecar, sidecar_raw = read_sidecar(path)
    fmt = {".markdown": "md", ".htm": "html"}.get(suffix, suffix.lstrip("."))
    if suffix == ".jsonl":
        docs = []
        for key, lines, declared, title, raw in load_jsonl(data):
            # The sidecar describes the collection: its title is not each record's, but a retired or
            # revised collection retires or revises every record in it.
            merged = {**{k: v for k, v in sidecar.items() if k not in ("title", "doc_number")}, **declared}
            if sidecar.get("status") in ("已废止", "已修订"):
                merged["status"] = sidecar["status"]
            docs.append(_make_document(f"{source}#{key}", corpus_root.as_posix(), "jsonl", lines, merged, title,
                                       [raw, sidecar_raw]))
        return docs
    lines, front, title = _LOADERS[suffix](data)
    # The sidecar is where admins edit metadata, so it wins over front matter written into the file.
    declared = {**front, **sidecar}
    return [_make_document(source, corpus_root.as_posix(), fmt, lines, declared, title, [data, sidecar_raw])]
