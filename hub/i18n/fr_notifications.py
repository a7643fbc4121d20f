"""French of the notification e-mails (the daily digest)."""

MESSAGES: dict[str, str] = {
    "Pieuvre: {count} item(s) need your attention": "Pieuvre : {count} élément(s) demandent votre attention",
    "Hello {name},": "Bonjour {name},",
    "Hello,": "Bonjour,",
    "Here is what happened in Pieuvre since your last digest.": "Voici ce qui s'est passé dans Pieuvre depuis votre dernier résumé.",
    "Open my inbox": "Ouvrir ma boîte de réception",
    "New proposals waiting in your inbox: {count}": "Nouvelles propositions en attente dans votre boîte de réception : {count}",
    "Reminders: decisions due soon": "Rappels : décisions attendues bientôt",
    "{location}: decide before {deadline}": "{location} : à décider avant le {deadline}",
    "Escalations: deadlines passed without an answer": "Escalades : échéances passées sans réponse",
    "{location} did not answer before {deadline}": "{location} n'a pas répondu avant le {deadline}",
    "New comments": "Nouveaux commentaires",
    "{author} on {location}:": "{author} sur {location} :",
    "Open": "Ouvrir",
    "You receive this digest at most once a day because you manage locations or a region in Pieuvre.": "Vous recevez ce résumé au plus une fois par jour parce que vous gérez des points de vente ou une région dans Pieuvre.",
}
