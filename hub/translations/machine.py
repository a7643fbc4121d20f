"""Machine translation: optional, pluggable, and only ever a draft that a person approves.

`PIEUVRE_MACHINE_TRANSLATOR` picks the service ("none" by default: nothing leaves the server).
Each adapter speaks one service — DeepL and LibreTranslate over HTTP, Apertium as a local
command — behind the `Translator` interface. Locales come in as BCP 47 tags (`fr-BE`) and go
out in each service's own codes (DeepL `FR`, `EN-GB`; LibreTranslate `fr`; Apertium `fra`).

A franchise post's placeholders and handles must come back exactly as they were: `{city}`,
`[[slot]]`, links, e-mail addresses, @mentions and #hashtags are taken out before the text is
sent (replaced by markers each service leaves alone) and put back after. When a service loses
or rewrites a marker anyway, the text is translated again piece by piece around the protected
parts, so a protected part is never sent, never translated and never lost.
"""

from __future__ import annotations

import abc
import asyncio
import re
import shutil
import time
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import unescape as xml_unescape

import httpx

from hub.errors import HubError, Invalid
from hub.i18n import N_
from hub.publishing.connectors.base import TransientBeforeSend
from hub.publishing.connectors.http import body, client, retry_after, send


class MachineTranslationUnavailable(HubError):
    """Machine translation cannot be done now (off, no such language pair, service down, quota, bad key);
    the message says why and what to do. The person translates by hand meanwhile."""

    status_code = 503


# ---------------------------------------------------------------------------------------- language tags

_TAG = re.compile(
    r"^(?P<language>[a-zA-Z]{2,3})"
    r"(?:[-_](?P<script>[a-zA-Z]{4}))?"
    r"(?:[-_](?P<region>[a-zA-Z]{2}|\d{3}))?"
    r"(?P<variants>(?:[-_](?:[a-zA-Z0-9]{5,8}|\d[a-zA-Z0-9]{3}))*)$"
)


@dataclass(frozen=True)
class LanguageTag:
    """The parts of a BCP 47 tag that choose a translation: `fr-BE`, `zh-Hant-TW`, `ca-ES-valencia`."""

    language: str
    script: str | None = None
    region: str | None = None
    variants: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "-".join(part for part in (self.language, self.script, self.region, *self.variants) if part)


def parse_tag(text: str) -> LanguageTag:
    """A BCP 47 language tag; raise Invalid saying how to write one."""
    match = _TAG.match((text or "").strip())
    if match is None:
        raise Invalid("'{locale}' is not a language tag: write a language code, optionally with a region, "
                      "such as fr, fr-BE or pt-BR.", locale=text)
    variants = tuple(part.lower() for part in re.split(r"[-_]", match["variants"]) if part)
    return LanguageTag(match["language"].lower(), match["script"].title() if match["script"] else None,
                       match["region"].upper() if match["region"] else None, variants)


# ---------------------------------------------------------------------------------------- protected parts

# What must come back unchanged, most specific first: links (before their "@" or "#" could be
# read as a handle), e-mail addresses, franchise placeholders, handles, hashtags, and our own
# marker shape (so a text that happens to contain one cannot be confused with a marker).
PROTECTED = re.compile(
    r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]}'»]"      # a link, without the sentence's last punctuation
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"                            # an e-mail address
    r"|\{[^{}\s]+\}"                                            # {city}
    r"|\[\[[^\[\]]+\]\]"                                        # [[slot]]
    r"|(?<![\w@])@\w+(?:\.\w+)*"                                # @mention (Instagram handles may hold dots)
    r"|(?<![\w#&])#\w+"                                         # #hashtag (not an HTML entity's &#…)
    r"|⟦\d+⟧"                                                   # our marker shape, should a text contain it
)


def protected_parts(text: str) -> list[str]:
    """The parts of `text` a translation must leave as they are, in order."""
    return [match.group(0) for match in PROTECTED.finditer(text)]


def split_protected(text: str) -> tuple[list[str], list[str]]:
    """`text` as the pieces around its protected parts, and those parts (len(pieces) == len(parts) + 1)."""
    pieces: list[str] = []
    parts: list[str] = []
    position = 0
    for match in PROTECTED.finditer(text):
        pieces.append(text[position:match.start()])
        parts.append(match.group(0))
        position = match.end()
    pieces.append(text[position:])
    return pieces, parts


def _keep_edges(original: str, translated: str) -> str:
    """The translation with the original's leading and trailing whitespace (services strip it; a post's line
    breaks around a placeholder matter)."""
    if not original.strip():
        return original
    lead = original[:len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()):]
    return lead + translated.strip() + trail


# ---------------------------------------------------------------------------------------- the interface

# Language pairs of a service change rarely: read them once an hour per service and address.
PAIRS_TTL_SECONDS = 3600.0
_pairs_cache: dict[tuple[str, str], tuple[float, frozenset[tuple[str, str]]]] = {}


class Translator(abc.ABC):
    """One machine-translation service. `translate` keeps protected parts intact; adapters provide the
    service's language codes, its pairs, how markers travel through it, and the call itself."""

    name: str
    label: str

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    # -- what adapters provide ---------------------------------------------------------------------

    @abc.abstractmethod
    def source_codes(self, tag: LanguageTag) -> list[str]:
        """The service's codes that could stand for `tag` as a source, best first."""

    @abc.abstractmethod
    def target_codes(self, tag: LanguageTag) -> list[str]:
        """The service's codes that could stand for `tag` as a target, best first."""

    @abc.abstractmethod
    def to_tag(self, code: str) -> str | None:
        """A service code as a BCP 47 tag (None for codes with no tag, such as spelling-reform modes)."""

    @abc.abstractmethod
    async def load_pairs(self) -> set[tuple[str, str]]:
        """(source, target) pairs in the service's own codes, read from the service."""

    @abc.abstractmethod
    async def send(self, texts: list[str], source_code: str, target_code: str) -> list[str]:
        """Translate prepared texts (markers in place) with the service; one output per input."""

    def cache_key(self) -> str:
        """What identifies this service's pair list (its address or command)."""
        return self.name

    # How a protected part travels through the service: a numbered marker it leaves alone.
    marker = re.compile(r"⟦(\d+)⟧")

    def wrap(self, index: int) -> str:
        return f"⟦{index}⟧"

    def escape(self, text: str) -> str:
        """Text as the service reads it (XML-handling services need it escaped)."""
        return text

    def unescape(self, text: str) -> str:
        return text

    def prepare(self, pieces: list[str]) -> str:
        """The text to send: the pieces around the protected parts, joined by numbered markers."""
        return "".join(self.escape(piece) + (self.wrap(index) if index < len(pieces) - 1 else "")
                       for index, piece in enumerate(pieces))

    def restore(self, translated: str, parts: list[str]) -> str | None:
        """The service's output with each marker replaced by its protected part; None when a marker is
        missing, repeated or unknown (then the text is translated around its protected parts instead)."""
        found = [int(number) for number in self.marker.findall(translated)]
        if sorted(found) != list(range(len(parts))):
            return None
        chunks = self.marker.split(translated)
        return "".join(self.unescape(chunk) if position % 2 == 0 else parts[int(chunk)]
                       for position, chunk in enumerate(chunks))

    # -- the interface the workspace calls ---------------------------------------------------------

    async def service_pairs(self) -> frozenset[tuple[str, str]]:
        """The service's pairs (its own codes), cached for an hour."""
        key = (self.name, self.cache_key())
        cached = _pairs_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < PAIRS_TTL_SECONDS:
            return cached[1]
        pairs = frozenset(await self.load_pairs())
        _pairs_cache[key] = (time.monotonic(), pairs)
        return pairs

    async def pairs(self) -> set[tuple[str, str]]:
        """The (source, target) language pairs this service translates, as BCP 47 tags."""
        found = set()
        for source, target in await self.service_pairs():
            source_tag, target_tag = self.to_tag(source), self.to_tag(target)
            if source_tag and target_tag:
                found.add((source_tag, target_tag))
        return found

    async def codes(self, source: str, target: str) -> tuple[str, str]:
        """The service's codes for translating `source` into `target` (BCP 47 tags); raise
        MachineTranslationUnavailable when the service has no such pair."""
        source_tag, target_tag = parse_tag(source), parse_tag(target)
        pairs = await self.service_pairs()
        by_lower = {(s.lower(), t.lower()): (s, t) for s, t in pairs}
        for source_code in self.source_codes(source_tag):
            for target_code in self.target_codes(target_tag):
                found = by_lower.get((source_code.lower(), target_code.lower()))
                if found is not None:
                    return found
        available = ", ".join(sorted(f"{s} → {t}" for s, t in await self.pairs())) or "-"
        raise MachineTranslationUnavailable(
            "{service} cannot translate from {source} to {target}. It translates: {pairs}.",
            service=self.label, source=str(source_tag), target=str(target_tag), pairs=available)

    async def supports(self, source: str, target: str) -> bool:
        """Whether this service translates `source` into `target` (BCP 47 tags)."""
        try:
            await self.codes(source, target)
        except MachineTranslationUnavailable:
            return False
        return True

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """`texts` translated from `source` to `target` (BCP 47 tags), protected parts unchanged, in order."""
        results: list[str | None] = [text if not text.strip() else None for text in texts]
        todo = [index for index, result in enumerate(results) if result is None]
        if not todo:
            return list(texts)
        source_code, target_code = await self.codes(source, target)
        splits = {index: split_protected(texts[index]) for index in todo}
        outputs = await self.send([self.prepare(splits[index][0]) for index in todo], source_code, target_code)
        lost: list[int] = []
        for index, output in zip(todo, outputs):
            restored = self.restore(output, splits[index][1])
            if restored is None:
                lost.append(index)
            else:
                results[index] = _keep_edges(texts[index], restored)
        if lost:
            # The service lost or rewrote a marker: translate the pieces around the protected parts
            # on their own (less context, but the protected parts never go through the service).
            pieces = [(index, number, piece) for index in lost
                      for number, piece in enumerate(splits[index][0]) if piece.strip()]
            translated = await self.send([self.prepare([piece.strip()]) for _, _, piece in pieces],
                                         source_code, target_code)
            rebuilt = {index: list(splits[index][0]) for index in lost}
            for (index, number, piece), output in zip(pieces, translated):
                rebuilt[index][number] = _keep_edges(piece, self.restore(output, []) or self.unescape(output))
            for index in lost:
                parts = splits[index][1]
                results[index] = "".join(piece + (parts[n] if n < len(parts) else "")
                                         for n, piece in enumerate(rebuilt[index]))
        return [result if result is not None else "" for result in results]


# ---------------------------------------------------------------------------------------- HTTP services


class HttpTranslator(Translator):
    """A service over HTTP: retries 429 and 5xx with exponential backoff (or the Retry-After it sends)."""

    attempts = 3
    # First wait after a 429 or 5xx, doubled at each attempt; a longer Retry-After gives up at once.
    backoff_seconds = 1.0
    longest_wait_seconds = 10.0

    @abc.abstractmethod
    def base_url(self) -> str:
        """The service's address from the settings."""

    def headers(self) -> dict[str, str]:
        return {}

    def cache_key(self) -> str:
        return self.base_url()

    @abc.abstractmethod
    def refusal(self, response: httpx.Response) -> MachineTranslationUnavailable:
        """What a final error answer means, in the service's terms."""

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call to the service, retried on 429 and 5xx; a final error raises `refusal(...)`."""
        url = self.base_url().rstrip("/") + path
        async with client(self.settings) as http:
            for attempt in range(self.attempts):
                try:
                    response = await send(http, method, url, creates=False, label=self.label,
                                          headers=self.headers(), **kwargs)
                except TransientBeforeSend as error:
                    raise MachineTranslationUnavailable(
                        "{service} could not be reached or did not answer in time; try again later.",
                        service=self.label) from error
                retryable = response.status_code == 429 or response.status_code >= 500
                if not retryable:
                    break
                if attempt == self.attempts - 1:
                    break
                wait = retry_after(response, default=self.backoff_seconds * 2 ** attempt)
                if wait > self.longest_wait_seconds:
                    break
                await asyncio.sleep(wait)
        if response.status_code >= 400:
            raise self.refusal(response)
        return response

    def common_refusal(self, response: httpx.Response, detail: str) -> MachineTranslationUnavailable:
        """429 and 5xx, the same for every HTTP service."""
        if response.status_code == 429:
            return MachineTranslationUnavailable(
                "{service} received too many requests; try again in a few minutes.", service=self.label)
        if response.status_code >= 500:
            return MachineTranslationUnavailable(
                "{service} is not available right now (HTTP {status}); try again later.",
                service=self.label, status=response.status_code)
        return MachineTranslationUnavailable("{service} refused the request: {detail} (HTTP {status}).",
                                             service=self.label, detail=detail, status=response.status_code)


# DeepL's target variants; a source is always the bare language (reference: DeepL /v2/languages).
_DEEPL_TARGET_DEFAULT = {"en": "EN-GB", "pt": "PT-PT", "zh": "ZH-HANS"}
_LATIN_AMERICA = {"419", "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
                  "PY", "SV", "US", "UY", "VE"}


class DeepLTranslator(HttpTranslator):
    """DeepL's API v2: POST /v2/translate with `Authorization: DeepL-Auth-Key`, a JSON body; protected parts
    travel in `<x>` tags that DeepL's XML tag handling leaves untranslated (`ignore_tags`)."""

    name = "deepl"
    label = "DeepL"
    # DeepL takes at most 50 texts per request.
    batch_size = 50

    def base_url(self) -> str:
        return self.settings.deepl_api_url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"DeepL-Auth-Key {self.settings.deepl_api_key}"}

    def source_codes(self, tag: LanguageTag) -> list[str]:
        return [tag.language.upper()]

    def target_codes(self, tag: LanguageTag) -> list[str]:
        language = tag.language.upper()
        codes = []
        if tag.language == "zh":
            traditional = tag.script == "Hant" or tag.region in {"TW", "HK", "MO"}
            codes.append("ZH-HANT" if traditional else "ZH-HANS")
        if tag.language == "es" and tag.region in _LATIN_AMERICA:
            codes.append("ES-419")
        if tag.region:
            codes.append(f"{language}-{tag.region}")
        if tag.language in _DEEPL_TARGET_DEFAULT:
            codes.append(_DEEPL_TARGET_DEFAULT[tag.language])
        codes.append(language)
        return codes

    def to_tag(self, code: str) -> str | None:
        language, _, rest = code.partition("-")
        if not rest:
            return language.lower()
        return f"{language.lower()}-{rest.title() if len(rest) == 4 else rest.upper()}"

    def refusal(self, response: httpx.Response) -> MachineTranslationUnavailable:
        detail = str(body(response).get("message") or response.reason_phrase)
        if response.status_code in (401, 403):
            return MachineTranslationUnavailable(
                "DeepL refused the API key: check PIEUVRE_DEEPL_API_KEY, and that PIEUVRE_DEEPL_API_URL is "
                "https://api-free.deepl.com for a Free key (ending in :fx) or https://api.deepl.com for a Pro key.")
        if response.status_code == 456:
            return MachineTranslationUnavailable(
                "The DeepL quota is used up (the characters of this period, or the cost limit): raise it in "
                "the DeepL account, or wait for the next period.")
        if response.status_code == 413:
            return MachineTranslationUnavailable("The text is too long for {service}: shorten it.", service=self.label)
        return self.common_refusal(response, detail)

    # XML tag handling: the text is XML, so it is escaped; each protected part travels as <x>n</x>,
    # a tag DeepL is told to ignore (`ignore_tags`), so neither it nor its content is translated.
    marker = re.compile(r"<x>(\d+)</x>")

    def wrap(self, index: int) -> str:
        return f"<x>{index}</x>"

    def escape(self, text: str) -> str:
        return xml_escape(text)

    def unescape(self, text: str) -> str:
        return xml_unescape(text, {"&quot;": '"', "&apos;": "'"})

    async def load_pairs(self) -> set[tuple[str, str]]:
        self._require_key()
        sources = (await self.request("GET", "/v2/languages", params={"type": "source"})).json()
        targets = (await self.request("GET", "/v2/languages", params={"type": "target"})).json()
        return {(source["language"], target["language"]) for source in sources for target in targets
                if source["language"].split("-")[0] != target["language"].split("-")[0]}

    def _require_key(self) -> None:
        if not self.settings.deepl_api_key:
            raise MachineTranslationUnavailable("DeepL needs an API key: set PIEUVRE_DEEPL_API_KEY.")

    async def send(self, texts: list[str], source_code: str, target_code: str) -> list[str]:
        self._require_key()
        results: list[str] = []
        for start in range(0, len(texts), self.batch_size):
            response = await self.request("POST", "/v2/translate", json={
                "text": texts[start:start + self.batch_size],
                "source_lang": source_code,
                "target_lang": target_code,
                "tag_handling": "xml",
                "ignore_tags": ["x"],
                # Keep the post's own punctuation and capitals where DeepL would "correct" them.
                "preserve_formatting": True,
            })
            results += [translation["text"] for translation in response.json()["translations"]]
        return results


# LibreTranslate's own codes for variants (Argos models): Brazilian Portuguese, traditional Chinese.
_LIBRE_ALIASES = {("pt", "BR"): "pb", ("zh", "Hant"): "zt", ("zh", "TW"): "zt", ("zh", "HK"): "zt"}


class LibreTranslateTranslator(HttpTranslator):
    """A LibreTranslate server: POST /translate {q: [...], source, target, format: "text", api_key?};
    GET /languages lists each source with its targets."""

    name = "libretranslate"
    label = "LibreTranslate"

    def base_url(self) -> str:
        if not self.settings.libretranslate_url:
            raise MachineTranslationUnavailable(
                "LibreTranslate needs the address of a server: set PIEUVRE_LIBRETRANSLATE_URL.")
        return self.settings.libretranslate_url

    def _codes(self, tag: LanguageTag) -> list[str]:
        codes = []
        for key in ((tag.language, tag.region), (tag.language, tag.script)):
            if key in _LIBRE_ALIASES:
                codes.append(_LIBRE_ALIASES[key])
        if tag.script:
            codes.append(f"{tag.language}-{tag.script}")
        if tag.region:
            codes.append(f"{tag.language}-{tag.region}")
        codes.append(tag.language)
        return codes

    source_codes = _codes
    target_codes = _codes

    def to_tag(self, code: str) -> str | None:
        reverse = {"pb": "pt-BR", "zt": "zh-Hant"}
        return reverse.get(code, code)

    def refusal(self, response: httpx.Response) -> MachineTranslationUnavailable:
        detail = str(body(response).get("error") or response.reason_phrase)
        if response.status_code == 403:
            return MachineTranslationUnavailable(
                "LibreTranslate refused access ({detail}): check PIEUVRE_LIBRETRANSLATE_API_KEY.", detail=detail)
        if response.status_code == 400 and "api key" in detail.lower():
            return MachineTranslationUnavailable(
                "LibreTranslate asks for an API key ({detail}): set PIEUVRE_LIBRETRANSLATE_API_KEY.", detail=detail)
        return self.common_refusal(response, detail)

    async def load_pairs(self) -> set[tuple[str, str]]:
        languages = (await self.request("GET", "/languages")).json()
        return {(language["code"], target) for language in languages for target in language.get("targets", [])
                if target != language["code"]}

    async def send(self, texts: list[str], source_code: str, target_code: str) -> list[str]:
        payload: dict[str, Any] = {"q": texts, "source": source_code, "target": target_code, "format": "text"}
        if self.settings.libretranslate_api_key:
            payload["api_key"] = self.settings.libretranslate_api_key
        translated = (await self.request("POST", "/translate", json=payload)).json()["translatedText"]
        return translated if isinstance(translated, list) else [translated]


# ---------------------------------------------------------------------------------------- Apertium

# BCP 47 (ISO 639-1 where there is one) to the ISO 639-3 codes Apertium's pairs are named with.
_ISO3 = {
    "af": "afr", "an": "arg", "be": "bel", "bg": "bul", "br": "bre", "ca": "cat", "da": "dan", "de": "deu",
    "en": "eng", "eo": "epo", "es": "spa", "eu": "eus", "fr": "fra", "gl": "glg", "hi": "hin", "hr": "hbs",
    "bs": "hbs", "sr": "hbs", "id": "ind", "is": "isl", "it": "ita", "mk": "mkd", "ms": "zlm", "nb": "nob",
    "nl": "nld", "nn": "nno", "no": "nor", "oc": "oci", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus",
    "sc": "srd", "sl": "slv", "sv": "swe", "uk": "ukr", "ur": "urd",
}
_ISO1 = {iso3: iso1 for iso1, iso3 in _ISO3.items() if iso1 not in ("bs", "sr", "no")}
_APERTIUM_MODE = re.compile(r"^([a-z]{2,3})-([a-z]{2,3}(?:_[A-Za-z0-9_]+)?)$")


class ApertiumTranslator(Translator):
    """Apertium on this server: `apertium -u <pair>` reads the text on stdin and writes the translation on
    stdout; `apertium -l` lists the installed pairs (modes such as `spa-cat`, `spa-cat_valencia`). Offline,
    rule-based, draft quality."""

    name = "apertium"
    label = "Apertium"

    def command(self) -> str:
        found = shutil.which(self.settings.apertium_command)
        if found is None:
            raise MachineTranslationUnavailable(
                "Apertium is not installed on this server: install it with a language pair (Debian: apt-get "
                "install apertium apertium-spa-cat apertium-lex-tools cg3), or set PIEUVRE_APERTIUM_COMMAND.")
        return found

    def cache_key(self) -> str:
        return self.settings.apertium_command

    def source_codes(self, tag: LanguageTag) -> list[str]:
        return [code for code in (_ISO3.get(tag.language), tag.language) if code]

    def target_codes(self, tag: LanguageTag) -> list[str]:
        # A variant tag picks the pair's variant mode: ca-ES-valencia -> spa-cat_valencia.
        codes = [f"{base}_{variant}" for variant in tag.variants for base in self.source_codes(tag)]
        return codes + self.source_codes(tag)

    def to_tag(self, code: str) -> str | None:
        language, _, variant = code.partition("_")
        tag = _ISO1.get(language, language)
        if not variant:
            return tag
        return f"{tag}-{variant}" if re.fullmatch(r"[a-z0-9]{5,8}", variant) else None

    async def run(self, arguments: list[str], text: str = "") -> str:
        """Run the Apertium command; its output, or MachineTranslationUnavailable on failure or timeout."""
        process = await asyncio.create_subprocess_exec(
            self.command(), *arguments, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            output, errors = await asyncio.wait_for(process.communicate(text.encode()),
                                                    timeout=self.settings.apertium_timeout_seconds)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise MachineTranslationUnavailable(
                "Apertium took longer than {seconds} s and was stopped: try a shorter text, or raise "
                "PIEUVRE_APERTIUM_TIMEOUT_SECONDS.", seconds=self.settings.apertium_timeout_seconds) from None
        lines = [line for line in errors.decode(errors="replace").splitlines() if line.strip()]
        # A pair whose helper programs are missing prints "…: command not found" and exits 0 with no output.
        if process.returncode != 0 or (text.strip() and not output.strip()):
            raise MachineTranslationUnavailable(
                "Apertium failed ({detail}): check that the language pair and its tools are fully installed.",
                detail=lines[-1] if lines else f"exit code {process.returncode}")
        return output.decode()

    async def load_pairs(self) -> set[tuple[str, str]]:
        pairs = set()
        for line in (await self.run(["-l"])).splitlines():
            match = _APERTIUM_MODE.match(line.strip())
            if match:
                pairs.add((match.group(1), match.group(2)))
        return pairs

    async def send(self, texts: list[str], source_code: str, target_code: str) -> list[str]:
        mode = f"{source_code}-{target_code}"
        # One run per text (null-flush mode does not keep texts apart in plain-text format), a few at once.
        limit = asyncio.Semaphore(4)

        async def one(text: str) -> str:
            async with limit:
                # -u: no "*" before unknown words; the person reviewing sees the source beside the draft.
                return await self.run(["-u", mode], text)

        return list(await asyncio.gather(*(one(text) for text in texts)))


# ---------------------------------------------------------------------------------------- choosing and drafting

# What the workspace says when machine translation is off, and beside a machine draft.
OFF = N_("Machine translation is off: an administrator can turn it on with PIEUVRE_MACHINE_TRANSLATOR "
         "(deepl, libretranslate or apertium).")
DRAFT_NOTE = N_("Machine translation by {service} gives a draft: read it and correct it before approving.")

TRANSLATORS: dict[str, type[Translator]] = {
    DeepLTranslator.name: DeepLTranslator,
    LibreTranslateTranslator.name: LibreTranslateTranslator,
    ApertiumTranslator.name: ApertiumTranslator,
}


def translator_for(settings: Any) -> Translator | None:
    """The configured translator, or None when machine translation is off (the default)."""
    chosen = TRANSLATORS.get(settings.machine_translator)
    return chosen(settings) if chosen is not None else None


@dataclass(frozen=True)
class MachineTranslationStatus:
    """What the translation workspace shows about machine translation."""

    enabled: bool
    label: str
    # An English msgid the page translates, telling a user why the button is missing.
    note: str = ""
    values: dict[str, str] = field(default_factory=dict)


def machine_translation_status(settings: Any) -> MachineTranslationStatus:
    """Whether machine translation is on, and with which service (for the workspace to say so)."""
    translator = translator_for(settings)
    if translator is None:
        return MachineTranslationStatus(False, "", OFF)
    return MachineTranslationStatus(True, translator.label, DRAFT_NOTE, {"service": translator.label})


async def machine_draft(settings: Any, texts: dict[str, str], source: str, target: str) -> dict[str, str]:
    """Machine drafts of a post's texts, by network, from `source` to `target` (BCP 47 tags).

    Drafts only: the caller stores them with status "draft" and a person approves them. Identical texts
    are translated once. Raise MachineTranslationUnavailable when it is off or cannot be done.
    """
    translator = translator_for(settings)
    if translator is None:
        raise MachineTranslationUnavailable(OFF)
    unique = list(dict.fromkeys(texts.values()))
    translated = dict(zip(unique, await translator.translate(unique, source, target)))
    return {network: translated[text] for network, text in texts.items()}
