"""Closed-class word lists that tell languages apart: Spanish and English function words, month and day
names, and function words of third languages (pt/it/fr/ca) that are not Spanish or English words.

Shared by language identification (pipeline.langid) and anyone else who needs them; lower-case.
"""
from __future__ import annotations

# Function words that are frequent in one language and not words of the other. Words shared by both
# ("a", "no", "me", "he", "con", "sin", "son", "once", "red", "pie", "era") are left out on purpose.
ES_FUNCTION = frozenset("""
de la que el en y los se del las un por una su para es al lo como más pero sus le ya o este sí porque
esta entre cuando muy sobre también hasta hay donde quien desde todo nos durante todos uno les ni
contra otros ese eso ellos e esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho
quienes nada muchos cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus ellas
nuestro nuestra nuestros nuestras esos esas estoy estás está estamos están sea ser fue fueron
han ha hemos tiene tienen tengo hace hacer puede pueden dijo según así aquí ahora hoy ayer mañana aunque
mientras después tras cómo dónde cuándo cuánto cuál quién porqué había habían sido será serán sin
embargo además ambos ambas cada mismo misma sino luego pues entonces vez veces allí ahí acá dos tres
gracias hola buenos buenas días noches señor señora nuevo nueva muy bien vamos siempre nunca todavía
""".split())

EN_FUNCTION = frozenset("""
the of and to in is was for on that with as by at from it be this are have had not or an which but they
their his her its were been will would can could there we you our your she him them who what when
where how all more one about into than then also up out so if do does did said says just only over
after new other some these those such may should must being am i my us i'm it's don't can't we're
you're they're isn't wasn't didn't won't let's what's there's very much many every any each both
through while because though although again still never always already yet here now today tomorrow
yesterday good morning night thank thanks please great
""".split())

MONTHS_EN = frozenset("january february march april may june july august september october november "
                      "december".split())
MONTHS_ES = frozenset("enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre "
                      "noviembre diciembre".split())
DAYS_EN = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())

# Function words of third languages that are neither Spanish nor English words (not "les", "des", "da",
# "di", "per", "ha", "va", "dos", "pelo", "com", "che", "agora", "alla", which Spanish or English also use, with
# or without accents), so that accent-stripped Spanish never matches them.
THIRD_FUNCTION = {
    "pt": frozenset("não são uma você isso também muito até ele foi às seu sua nós eles essa esse isto "
                    "então ainda já obrigado numa nas hoje ontem depois sempre quando onde mesmo outro nosso ao "
                    "aos".split()),
    "it": frozenset("il gli della delle degli dei nel nella nei sono anche questo questa molto grazie "
                    "tutti è sul allo dal dalla perché essere stato hanno suo oggi ieri sempre quando dove".split()),
    "fr": frozenset("du une pour dans qui pas avec au aux ce cette sont nous vous ils elle être très "
                    "merci tous mais ont été leur ses fait à est et aujourd toujours encore où".split()),
    "ca": frozenset("els amb dels és als seva seus molt gràcies també aquest aquesta perquè però pel "
                    "tothom doncs vostre nostra seguim avui ahir sempre quan encara".split()),
    "de": frozenset("der und ist nicht ein eine mit auf für sich zu von wird auch nach bei einem einer "
                    "seinen".split()),
    "nl": frozenset("het een niet voor zijn ook naar werd bij hij wordt heeft".split()),
}
# Letters that Spanish and English spelling do not use.
THIRD_LETTERS = frozenset("ãõçêâôàèòìùëïßäöœåøæ")
THIRD_FUNCTION_ANY = frozenset().union(*THIRD_FUNCTION.values()) - ES_FUNCTION - EN_FUNCTION
