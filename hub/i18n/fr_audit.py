"""French of HQ's audit log page (hub/web/audit.py, templates/audit/list.html)."""

MESSAGES: dict[str, str] = {
    # ------------------------------------------------------------ errors (hub/web/audit.py)
    "Only HQ (hq_admin or hq_editor) can read the audit log.": "Seul le siège (hq_admin ou hq_editor) peut consulter le journal d'audit.",

    # ------------------------------------------------------------ page (templates/audit/list.html)
    "Audit log": "Journal d'audit",
    "Who did what in the brand, and when, with the values before and after.": "Qui a fait quoi dans la marque, et quand, avec les valeurs avant et après.",
    "Action": "Action",
    "Subject id": "Identifiant de l'objet",
    "{n} event(s)": "{n} événement(s)",
    "When (UTC)": "Quand (UTC)",
    "Who": "Qui",
    "Subject": "Objet",
    "Changes": "Modifications",
    "System": "Système",
    "No event matches these filters.": "Aucun événement ne correspond à ces filtres.",
}
