"""French of a post's video and Google Business Profile options in HQ's post forms
(templates/campaigns/detail.html, hub/web/pages.py), of videos in the media library
(templates/media/library.html) and of the small links of the locations list."""

MESSAGES: dict[str, str] = {
    # ------------------------------------------------------------ the post forms: YouTube video
    "YouTube video": "Vidéo YouTube",
    "YouTube publishes videos only: pick the one this post goes out with.": "YouTube ne publie que des vidéos : choisissez celle qui accompagne ce post.",
    "No video": "Aucune vidéo",
    "The library has no video yet.": "La médiathèque n'a pas encore de vidéo.",
    "Add videos to the media library": "Ajouter des vidéos à la médiathèque",
    "YouTube publishes videos only: pick a video, or untick YouTube.": "YouTube ne publie que des vidéos : choisissez une vidéo, ou décochez YouTube.",
    "Pick the video again: this one is not in the library any more.": "Choisissez de nouveau la vidéo : celle-ci n'est plus dans la médiathèque.",

    # ------------------------------------------------------------ the post forms: Google Business Profile
    "Google Business Profile": "Google Business Profile",
    "Post type": "Type de post",
    "Update": "Nouveauté",
    "Offer": "Offre",
    "Alert": "Alerte",
    "Button": "Bouton",
    "No button": "Aucun bouton",
    "Book": "Réserver",
    "Order online": "Commander en ligne",
    "Buy": "Acheter",
    "Sign up": "S'inscrire",
    "Call now": "Appeler",
    "Button link": "Lien du bouton",
    "A Call now button dials the location's phone: it needs no link.": "Un bouton Appeler compose le numéro du point de vente : il n'a pas besoin de lien.",
    "Event or offer dates": "Dates de l'événement ou de l'offre",
    "Needed for an event or an offer, on each location's clock.": "Nécessaires pour un événement ou une offre, à l'heure de chaque point de vente.",
    "Title": "Titre",
    "Starts": "Début",
    "Ends": "Fin",
    "Coupon code (optional)": "Code promo (facultatif)",
    "Link to redeem online (optional)": "Lien pour en profiter en ligne (facultatif)",
    "Terms and conditions (optional)": "Conditions (facultatif)",
    "Pick a post type from the list.": "Choisissez un type de post dans la liste.",
    "Pick a button from the list.": "Choisissez un bouton dans la liste.",
    "This button needs a web address starting with https:// (at most 2,000 characters).": "Ce bouton a besoin d'une adresse web commençant par https:// (2 000 caractères au plus).",
    "Give the event a title of at most 58 characters.": "Donnez à l'événement un titre de 58 caractères au plus.",
    "Write a date and a time, e.g. 2026-12-01 10:00.": "Écrivez une date et une heure, par ex. 2026-12-01 10:00.",
    "The end must come after the start.": "La fin doit venir après le début.",
    "An event or an offer needs a title, a start and an end.": "Un événement ou une offre a besoin d'un titre, d'un début et d'une fin.",
    "The coupon code is at most 58 characters.": "Le code promo fait 58 caractères au plus.",
    "The link to redeem the offer is at most 2,000 characters.": "Le lien pour profiter de l'offre fait 2 000 caractères au plus.",
    "The terms and conditions are at most 5,000 characters.": "Les conditions font 5 000 caractères au plus.",

    # ------------------------------------------------------------ the campaign page: a post's choices
    "Video: {name}": "Vidéo : {name}",
    "Google Business Profile: {type}": "Google Business Profile : {type}",
    "button {button}": "bouton {button}",

    # ------------------------------------------------------------ the media library: videos
    "{n} video(s)": "{n} vidéo(s)",
    "Videos, for YouTube, are kept as sent.": "Les vidéos, pour YouTube, sont gardées telles qu'envoyées.",
    "Add images or videos": "Ajouter des images ou des vidéos",
    "Videos for YouTube: MP4, MOV or WebM.": "Vidéos pour YouTube : MP4, MOV ou WebM.",
    "Video": "Vidéo",
    "Library video": "Vidéo de la médiathèque",
    # The video refusals of hub/media and hub/campaigns, shown on the library page and under the post form.
    "The video is {size} MB; the limit is {limit} MB: send a shorter or smaller one.": "La vidéo fait {size} Mo ; la limite est de {limit} Mo : envoyez-en une plus courte ou plus légère.",
    "This file is not an MP4, MOV or WebM video: export it as MP4.": "Ce fichier n'est pas une vidéo MP4, MOV ou WebM : exportez-le en MP4.",
    "No video with id {id} in your library: upload it with POST /api/v1/media first.": "Aucune vidéo d'identifiant {id} dans votre médiathèque : envoyez-la d'abord avec POST /api/v1/media.",

    # ------------------------------------------------------------ the locations list
    "Accounts of {name}": "Comptes de {name}",
}
