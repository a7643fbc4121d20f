"""French for every English msgid used in code and templates."""

FRENCH: dict[str, str] = {
}
