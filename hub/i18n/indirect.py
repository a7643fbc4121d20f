"""Msgids kept in constants far from the `_()` that translates them, marked here so extraction sees them.

Each one is written in its module as a plain constant (a dict value, `URL_MESSAGE = "…"`) and translated
later from a variable, which no extractor can follow. Better: mark it where it is written,
`URL_MESSAGE = N_("…")`, and drop its line here.
"""

from hub.i18n import N_

# hub/linting/read.py COUNTING_WORDS
N_("characters")
N_("weighted characters")
N_("bytes")

# hub/web/studio.py, the brand kit page's notices
N_("Brand kit saved: every text written from now on is held to it.")
N_("Font saved: new images use it.")
N_("Logo removed.")
N_("Logo saved: new images carry it.")

# hub/webhooks/service.py, field messages
N_("Give an http:// or https:// URL of your server, e.g. https://example.com/pieuvre.")
N_("Pick at least one event among: {events}.")
N_("The secret needs at least {n} characters.")
N_("This URL points to a private, loopback or link-local address: give a public address.")

# hub/publishing/accounts.py, connections that could not finish
N_("This connection link is unknown or was already used: start again from the location's accounts page.")
N_("This connection took more than 10 minutes: start again from the location's accounts page.")
N_("This connection was started by another user: start your own from the location's accounts page.")
N_("{network} access was not granted, so nothing was connected. To connect, click Connect again and accept "
   "every permission asked.")
N_("{network} gave access to nothing Pieuvre can publish to. Check that you manage at least one {target} and "
   "that you granted every permission asked ({scopes}), then connect again.")
N_("{network} refused the connection: {reason}")

# hub/reviews/service.py GONE
N_("This review link does not work: it may have expired, been revoked or been copied incompletely. Ask the "
   "person who sent it for a new one.")
