"""Connectors by name: the sandbox and one per network."""

from __future__ import annotations

import importlib

from hub.config import Settings
from hub.db import Database
from hub.errors import Invalid
from hub.publishing.connectors.base import Connector

# name -> "module:Class", imported on first use (a worker only loads the networks it talks to).
CONNECTORS = {
    "sandbox": "hub.publishing.connectors.sandbox:SandboxConnector",
    "facebook": "hub.publishing.connectors.facebook:FacebookConnector",
    "instagram": "hub.publishing.connectors.instagram:InstagramConnector",
    "linkedin": "hub.publishing.connectors.linkedin:LinkedInConnector",
    "x": "hub.publishing.connectors.x:XConnector",
    "google_business": "hub.publishing.connectors.google_business:GoogleBusinessConnector",
    "youtube": "hub.publishing.connectors.youtube:YouTubeConnector",
}


def connector_class(name: str) -> type[Connector]:
    """The class of the connector called `name`."""
    if name not in CONNECTORS:
        raise Invalid("No connector named '{name}': available are {names}.", name=name, names=", ".join(CONNECTORS))
    module, _, attribute = CONNECTORS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def get_connector(name: str, database: Database, settings: Settings) -> Connector:
    """The connector called `name`."""
    return connector_class(name)(database, settings)
