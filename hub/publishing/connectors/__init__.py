"""Connectors by name; the real networks arrive with the publishing issue."""

from __future__ import annotations

from hub.config import Settings
from hub.db import Database
from hub.errors import Invalid
from hub.publishing.connectors.base import Connector
from hub.publishing.connectors.sandbox import SandboxConnector

CONNECTORS = {"sandbox": SandboxConnector}


def get_connector(name: str, database: Database, settings: Settings) -> Connector:
    """The connector called `name`."""
    if name not in CONNECTORS:
        raise Invalid("No connector named '{name}': available are {names}.", name=name, names=", ".join(CONNECTORS))
    return CONNECTORS[name](database, settings)
