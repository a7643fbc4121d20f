"""Stand-ins for the machine-translation services: DeepL's API v2 and a LibreTranslate server.

They follow the documented contracts (paths, auth, body shapes, error statuses and bodies) and
translate with a tiny deterministic dictionary, word by word, so tests can assert exact outputs.
Words such as "city", "slot", "shop" and "summer" are in the dictionary on purpose: a placeholder,
link or hashtag that reached them unprotected would come back translated.

DeepL (developers.deepl.com): POST /v2/translate, GET /v2/languages?type=source|target,
`Authorization: DeepL-Auth-Key <key>`; 400 bad request, 403 authorization failed, 413 too large,
429 too many requests, 456 quota exceeded, 5xx; error bodies {"message": …}. With
`tag_handling=xml` the text must be well-formed XML and the content of `ignore_tags` is kept.

LibreTranslate (libretranslate/app.py): POST /translate {q: str|[str], source, target, format,
api_key}, GET /languages [{code, name, targets}]; errors {"error": …} with 400 (invalid request,
unsupported language, "Please contact the server operator to get an API key"), 403 ("Invalid API
key", banned), 429 ("Slowdown: …"), 500.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.standins.base import Fault, StandIn

# (source, target) -> word -> translation. Anything else comes back as it was.
LEXICON: dict[tuple[str, str], dict[str, str]] = {
    ("en", "fr"): {
        "hello": "bonjour", "welcome": "bienvenue", "to": "à", "our": "notre", "new": "nouvelle",
        "shop": "boutique", "in": "à", "city": "ville", "slot": "créneau", "summer": "été", "sale": "soldes",
        "visit": "visitez", "today": "aujourd'hui", "follow": "suivez", "the": "la", "offer": "offre",
        "and": "et", "octopus": "pieuvre", "write": "écrivez", "book": "réservez", "your": "votre",
    },
    ("en", "de"): {
        "hello": "hallo", "welcome": "willkommen", "to": "in", "our": "unserem", "new": "neuen",
        "shop": "Laden", "city": "Stadt", "summer": "Sommer", "sale": "Schlussverkauf", "visit": "besuchen",
        "today": "heute", "and": "und",
    },
    ("fr", "en"): {
        "bonjour": "hello", "bienvenue": "welcome", "boutique": "shop", "ville": "city", "été": "summer",
        "soldes": "sale", "et": "and",
    },
    ("en", "pt"): {"hello": "olá", "shop": "loja", "summer": "verão"},
}
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def dictionary_translate(text: str, source: str, target: str) -> str:
    """Word by word with LEXICON, keeping a capital first letter; unknown words stay as they are."""
    words = LEXICON.get((source, target), {})

    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        found = words.get(word.lower())
        if found is None:
            return word
        return found[:1].upper() + found[1:] if word[:1].isupper() else found

    return WORD.sub(one, text)


class DeepLStandIn(StandIn):
    """DeepL's API v2 on loopback. `key` is a valid API key; `character_limit` makes 456 come when the
    characters translated would pass it. Operations: "translate", "languages"."""

    network = "deepl"
    SOURCES = {"DE": "German", "EN": "English", "ES": "Spanish", "FR": "French", "IT": "Italian",
               "PT": "Portuguese", "ZH": "Chinese"}
    TARGETS = {"DE": "German", "EN-GB": "English (British)", "EN-US": "English (American)", "ES": "Spanish",
               "ES-419": "Spanish (Latin American)", "FR": "French", "IT": "Italian",
               "PT-BR": "Portuguese (Brazilian)", "PT-PT": "Portuguese (European)",
               "ZH-HANS": "Chinese (simplified)", "ZH-HANT": "Chinese (traditional)"}

    def __init__(self, character_limit: int | None = None, **kwargs: Any) -> None:
        self.character_limit = character_limit
        self.characters = 0
        self.requests: list[dict[str, Any]] = []  # every translate request: headers and body as received
        super().__init__(**kwargs)
        self.key = self.issue_token("deepl-account").value

    def error_response(self, kind: str, fault: Fault | None = None) -> Response:
        if kind == "rate_limit":
            return JSONResponse({"message": "Too many requests"}, status_code=429)
        if kind == "server_error":
            return JSONResponse({"message": "Service temporarily unavailable"}, status_code=503)
        return self.forbidden()

    @staticmethod
    def forbidden() -> Response:
        return JSONResponse({"message": "Authorization failure, check auth_key"}, status_code=403)

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("DeepL-Auth-Key "):
            return False
        with self.lock:
            token = self.tokens.get(header.removeprefix("DeepL-Auth-Key "))
        return token is not None and token.usable()

    def routes(self) -> None:
        app = self.app

        @app.get("/v2/languages")
        async def languages(request: Request):
            if not self.authorized(request):
                return self.forbidden()
            response, _ = await self.fault("languages")
            if response is not None:
                return response
            kind = request.query_params.get("type", "source")
            if kind not in ("source", "target"):
                return JSONResponse({"message": "Value for 'type' not supported."}, status_code=400)
            if kind == "source":
                return [{"language": code, "name": name} for code, name in self.SOURCES.items()]
            return [{"language": code, "name": name, "supports_formality": code in ("DE", "FR", "ES", "IT")}
                    for code, name in self.TARGETS.items()]

        @app.post("/v2/translate")
        async def translate(request: Request):
            if not self.authorized(request):
                return self.forbidden()
            response, fault = await self.fault("translate")
            if response is not None:
                return response
            try:
                payload = json.loads(await request.body())
            except json.JSONDecodeError:
                return JSONResponse({"message": "Invalid request: expected a JSON body"}, status_code=400)
            with self.lock:
                self.requests.append({"headers": dict(request.headers), "body": payload})
            texts = payload.get("text")
            if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
                return JSONResponse({"message": "Parameter 'text' not specified."}, status_code=400)
            if len(texts) > 50:
                return JSONResponse({"message": "Too many texts in one request (at most 50)."}, status_code=413)
            target = str(payload.get("target_lang") or "").upper()
            if not target:
                return JSONResponse({"message": "Parameter 'target_lang' not specified."}, status_code=400)
            if target not in self.TARGETS:
                return JSONResponse({"message": "Value for 'target_lang' not supported."}, status_code=400)
            source = payload.get("source_lang")
            if source is not None and str(source).upper() not in self.SOURCES:
                return JSONResponse({"message": "Value for 'source_lang' not supported."}, status_code=400)
            tag_handling = payload.get("tag_handling")
            if tag_handling not in (None, "xml", "html"):
                return JSONResponse({"message": "Value for 'tag_handling' not supported."}, status_code=400)
            ignore = payload.get("ignore_tags") or []
            ignore = set(ignore.split(",") if isinstance(ignore, str) else ignore)
            count = sum(len(text) for text in texts)
            with self.lock:
                if self.character_limit is not None and self.characters + count > self.character_limit:
                    return JSONResponse({"message": "Quota exceeded"}, status_code=456)
                self.characters += count
            source_language = str(source or "EN").lower()
            target_language = target.split("-")[0].lower()
            translations = []
            for text in texts:
                if tag_handling == "xml":
                    try:
                        ElementTree.fromstring(f"<root>{text}</root>")
                    except ElementTree.ParseError:
                        return JSONResponse({"message": "Tag handling parsing failed, please check input."},
                                            status_code=400)
                    translated = self._translate_markup(text, source_language, target_language, ignore)
                else:
                    translated = dictionary_translate(text, source_language, target_language)
                translations.append({"detected_source_language": str(source or "EN").upper(), "text": translated})
            await self.lose(fault)
            return {"translations": translations}

    @staticmethod
    def _translate_markup(text: str, source: str, target: str, ignore: set[str]) -> str:
        """Translate the text between tags; tags, and everything inside an ignored tag, stay as they are."""
        out: list[str] = []
        ignored_depth = 0
        for chunk in re.split(r"(<[^>]+>)", text):
            tag = re.match(r"<(/?)([\w.-]+)[^>]*?(/?)>", chunk)
            if tag:
                name = tag.group(2)
                if name in ignore and not tag.group(3):
                    ignored_depth += -1 if tag.group(1) else 1
                out.append(chunk)
            elif ignored_depth:
                out.append(chunk)
            else:
                out.append(dictionary_translate(chunk, source, target))
        return "".join(out)


class LibreTranslateStandIn(StandIn):
    """A LibreTranslate server on loopback. With `require_key`, a request without a key gets the 400 a
    keyed server answers; `keys` are the valid ones. `rewrites_brackets` imitates a neural model that
    turns unusual brackets into ASCII ones (what the adapter's markers must survive). Operations:
    "translate", "languages"."""

    network = "libretranslate"
    LANGUAGES = {"en": ("English", ["de", "es", "fr", "pb", "pt"]), "fr": ("French", ["en"]),
                 "de": ("German", ["en"]), "es": ("Spanish", ["en"]), "pt": ("Portuguese", ["en"]),
                 "pb": ("Portuguese (Brazil)", ["en"])}

    def __init__(self, require_key: bool = False, rewrites_brackets: bool = False, **kwargs: Any) -> None:
        self.require_key = require_key
        self.rewrites_brackets = rewrites_brackets
        self.requests: list[dict[str, Any]] = []
        super().__init__(**kwargs)
        self.key = self.issue_token("libretranslate-account").value

    def error_response(self, kind: str, fault: Fault | None = None) -> Response:
        if kind == "rate_limit":
            return JSONResponse({"error": "Slowdown: 30 per 1 minute"}, status_code=429)
        if kind == "server_error":
            return JSONResponse({"error": "Cannot translate text: model crashed"}, status_code=500)
        return JSONResponse({"error": "Invalid API key"}, status_code=403)

    def routes(self) -> None:
        app = self.app

        @app.get("/languages")
        async def languages():
            response, _ = await self.fault("languages")
            if response is not None:
                return response
            return [{"code": code, "name": name, "targets": targets}
                    for code, (name, targets) in self.LANGUAGES.items()]

        @app.post("/translate")
        async def translate(request: Request):
            try:
                payload = json.loads(await request.body())
            except json.JSONDecodeError:
                return JSONResponse({"error": "Invalid JSON format"}, status_code=400)
            if not isinstance(payload, dict):
                return JSONResponse({"error": "Invalid JSON format"}, status_code=400)
            with self.lock:
                self.requests.append({"headers": dict(request.headers), "body": payload})
            key = payload.get("api_key")
            if key:
                with self.lock:
                    token = self.tokens.get(key)
                if token is None or not token.usable():
                    return JSONResponse({"error": "Invalid API key"}, status_code=403)
            elif self.require_key:
                return JSONResponse({"error": "Please contact the server operator to get an API key"},
                                    status_code=400)
            response, fault = await self.fault("translate")
            if response is not None:
                return response
            q, source, target = payload.get("q"), payload.get("source"), payload.get("target")
            for name, value in (("q", q), ("source", source), ("target", target)):
                if not value:
                    return JSONResponse({"error": f"Invalid request: missing {name} parameter"}, status_code=400)
            if source not in self.LANGUAGES:
                return JSONResponse({"error": f"{source} is not supported"}, status_code=400)
            if target not in self.LANGUAGES:
                return JSONResponse({"error": f"{target} is not supported"}, status_code=400)
            if target not in self.LANGUAGES[source][1]:
                return JSONResponse({"error": f"{self.LANGUAGES[target][0]} ({target}) is not available as a target "
                                              f"language from {self.LANGUAGES[source][0]} ({source})"},
                                    status_code=400)
            text_format = payload.get("format") or "text"
            if text_format not in ("text", "html"):
                return JSONResponse({"error": f"{text_format} format is not supported"}, status_code=400)
            language = "pt" if target == "pb" else target
            outputs = [self._one(text, source, language) for text in (q if isinstance(q, list) else [q])]
            await self.lose(fault)
            return {"translatedText": outputs if isinstance(q, list) else outputs[0]}

    def _one(self, text: str, source: str, target: str) -> str:
        translated = dictionary_translate(text, source, target)
        if self.rewrites_brackets:
            translated = translated.replace("⟦", "[").replace("⟧", "]")
        return translated
