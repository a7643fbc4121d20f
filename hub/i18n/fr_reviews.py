"""French of the comment thread and of the signed review links."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # comments
    "Comments between the location and HQ": "Échanges entre l'établissement et le siège",
    "No comment yet: ask a question or explain a choice here, HQ and the location both read it.":
        "Aucun commentaire pour l'instant : posez une question ou expliquez un choix ici, le siège et l'établissement le lisent tous les deux.",
    "Your comment": "Votre commentaire",
    "A former member": "Un ancien membre",
    "Viewers can read the comments but not write any.": "Les lecteurs peuvent lire les commentaires mais pas en écrire.",
    "Write a comment before sending it.": "Écrivez un commentaire avant de l'envoyer.",
    # review links
    "A review link lasts between {low} and {high} hours: pick a duration in that range.":
        "Un lien de validation dure entre {low} et {high} heures : choisissez une durée dans cet intervalle.",
    "The label is longer than 200 characters: shorten it.": "Le libellé dépasse 200 caractères : raccourcissez-le.",
    "Only HQ or the location's managers can share a review link.":
        "Seuls le siège ou les responsables de l'établissement peuvent partager un lien de validation.",
    "No review link with id {id} on this proposal.": "Aucun lien de validation d'identifiant {id} sur cette proposition.",
    "This review link does not work: it may have expired, been revoked or been copied incompletely. Ask the person who sent it for a new one.":
        "Ce lien de validation ne fonctionne pas : il a peut-être expiré, été révoqué ou été copié en partie. Demandez-en un nouveau à la personne qui vous l'a envoyé.",
    "This review link does not work": "Ce lien de validation ne fonctionne pas",
    "Review a post for {name}": "Valider une publication pour {name}",
    "This link works until {date}.": "Ce lien fonctionne jusqu'au {date}.",
    "This proposal can no longer be decided through this link.":
        "Cette proposition ne peut plus être décidée avec ce lien.",
    "This text has blocking findings: it cannot be approved as it is. Reject it, or ask the location to adapt it.":
        "Ce texte comporte des points bloquants : il ne peut pas être validé tel quel. Refusez-le, ou demandez à l'établissement de l'adapter.",
}
