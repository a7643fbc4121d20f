"""Msgids kept in constants far from the `_()` that translates them, marked here so extraction sees them.

Only hub/publishing/accounts.py's are left (that package is not ours to change here): once they are written
`STATE_UNKNOWN = N_("…")` where they are defined, this file goes.
"""

from hub.i18n import N_

# hub/publishing/accounts.py, connections that could not finish
N_("This connection link is unknown or was already used: start again from the location's accounts page.")
N_("This connection took more than 10 minutes: start again from the location's accounts page.")
N_("This connection was started by another user: start your own from the location's accounts page.")
N_("{network} access was not granted, so nothing was connected. To connect, click Connect again and accept "
   "every permission asked.")
N_("{network} gave access to nothing Pieuvre can publish to. Check that you manage at least one {target} and "
   "that you granted every permission asked ({scopes}), then connect again.")
N_("{network} refused the connection: {reason}")
