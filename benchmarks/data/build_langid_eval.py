"""Build benchmarks/data/langid_eval.jsonl (and the test subset) from hand-written, hand-labelled lists.

Every item was written and labelled by hand for this project. Output rows are
``{label, bucket, input, expected: {lang, spans: [[start, end, lang], ...]}}``; spans are given only for
code-switched items, built by joining labelled parts so offsets are exact.

Excluded on purpose (spelled the same and common in both languages, so a single-word label would be a
guess): hotel, animal, no, final, general, hospital, radio, idea, local, capital, normal, total, social,
popular, actor, doctor, error, color, real, natural, central, piano, taxi, me, a, con, sin, pan, son, red,
come, once, pie, van, sale, mire, plan, hostal, festival, chocolate, panorama, drama, club, bar, virus, agenda, plaza.
Run: ``python benchmarks/data/build_langid_eval.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent.parent / "tests" / "data"

ES_WORDS = """casa perro gato libro ventana mañana corazón ciudad gobierno nación información problema
trabajo mujer hombre niño niña agua tierra fuego cielo árbol camino puerta mesa silla cocina leche queso
manzana naranja verde azul amarillo rojo negro blanco grande pequeño hermoso feliz triste rápido lento
siempre nunca también todavía ahora después antes aquí allí mucho poco bueno malo nuevo viejo
hablar comer beber dormir escribir leer correr caminar vivir morir pensar querer saber conocer llegar
salir entrar volver esperar buscar encontrar empezar terminar ayudar llamar trabajar estudiar
canciller acuerdos bilaterales reunimos seguir afianzando revisión diseño cooperación ambas
naciones cancilleres federación delegaciones sostienen negociaciones continuar profundizando alianza
estratégica pueblos elecciones presidente ministro sanciones petróleo empresa mercado precio
semana hoy ayer dinero amigo familia hermano hermana padre madre hijo hija abuelo escuela
iglesia pueblo calle playa montaña río bosque lluvia nieve viento sol luna estrella
el la los las del por para pero porque cuando donde como muy más menos entre sobre hasta desde
usted nosotros ellos ellas ustedes también quizás tal vez acerca alrededor mediante según
""".split()

EN_WORDS = """house dog cat book window tomorrow heart city government nation information problem
work woman man child girl water earth fire sky tree road door table chair kitchen milk cheese
apple orange green blue yellow black white big small beautiful happy sad fast slow
always never also still now after before here there much little good bad new old
speak eat drink sleep write read run walk live die think want know meet arrive
leave enter return wait search find begin finish help call working study
chancellor agreements bilateral meeting follow strengthening review design schedule cooperation
both nations ministers federation delegations holding negotiations continue deepening alliance
strategic peoples elections president minister sanctions oil company market price
week today yesterday money friend family brother sister father mother daughter grandfather school
church village street square beach mountain river forest rain snow wind sun moon star
the of and with for but because when where how very more less between about until from
you we they them your ours although perhaps maybe throughout around through according
""".split()

ES_PAIRS = """la casa|el perro|muy bien|buenos días|buenas noches|por favor|muchas gracias|de nada|
mi hermano|tu casa|su familia|nuestro pueblo|los niños|las mujeres|del gobierno|para siempre|
sin embargo|hasta mañana|nos vemos|qué pasa|está bien|lo siento|me gusta|te quiero|
hace frío|tengo hambre|vamos ahora|dónde está|cuánto cuesta|quién sabe|gran noticia|mala suerte|
primer ministro|acuerdo bilateral|relaciones exteriores|fuerzas armadas|gas natural|energía nuclear|
reservas petroleras|crisis económica|medidas coercitivas|canciller venezolano|presidente ruso|
agua fría|pan caliente|coche rojo|libro nuevo|ciudad grande|mundo entero|cada día|otra vez|
todo bien|sigue así|ya llegó|ojalá llueva|claro que|tal vez|en fotos|a través|según fuentes|
hoy mismo|ayer tarde|nunca más|siempre juntos|pueblo unido|vida nueva|fin de|en marcha""".replace("\n", "").split("|")

EN_PAIRS = """the house|the dog|very well|good morning|good night|thank you|you're welcome|
my brother|your house|their family|our village|the children|the women|of government|forever after|
however much|see you|what's up|it's fine|i'm sorry|i like|love you|it's cold|i'm hungry|let's go|
where is|how much|who knows|great news|bad luck|prime minister|bilateral agreement|foreign relations|
armed forces|natural gas|nuclear energy|oil reserves|economic crisis|coercive measures|
venezuelan chancellor|russian president|cold water|hot bread|red car|new book|big city|whole world|
every day|once again|all good|keep going|just arrived|hopefully rain|of course|maybe later|
in pictures|through the|sources say|right now|yesterday afternoon|never again|always together|
united people|new life|end of|under way|large reserves|peaceful atom""".replace("\n", "").split("|")

# Parallel sentences, written for this set (each es line is a translation of the en line beside it).
PARALLEL = [
    ("Los ministros se reunieron en Caracas para hablar de energía.",
     "The ministers met in Caracas to talk about energy."),
    ("El gobierno anunció nuevas medidas económicas esta semana.",
     "The government announced new economic measures this week."),
    ("Rusia y Venezuela firmaron diecisiete acuerdos de cooperación.",
     "Russia and Venezuela signed seventeen cooperation agreements."),
    ("La producción de petróleo cayó a su nivel más bajo en 2020.",
     "Oil production fell to its lowest level in 2020."),
    ("Mañana lloverá en la costa y hará frío en las montañas.",
     "Tomorrow it will rain on the coast and it will be cold in the mountains."),
    ("Mi hermana trabaja en un hospital del centro de la ciudad.",
     "My sister works at a hospital in the city centre."),
    ("No sabemos cuándo volverán los delegados a Moscú.",
     "We do not know when the delegates will return to Moscow."),
    ("Las sanciones no cumplieron sus expectativas, dijo el canciller.",
     "The sanctions did not meet their expectations, the minister said."),
    ("¿Dónde está la estación de tren más cercana?",
     "Where is the nearest train station?"),
    ("¡Qué alegría verte de nuevo después de tantos años!",
     "What a joy to see you again after so many years!"),
    ("El presidente viajará a Brasil para la reunión del G20.",
     "The president will travel to Brazil for the G20 meeting."),
    ("Los niños juegan en el parque mientras sus padres conversan.",
     "The children play in the park while their parents chat."),
    ("La economía del país lucha por salir de la crisis.",
     "The country's economy is struggling to emerge from the crisis."),
    ("Ambas delegaciones sostienen negociaciones sobre el comercio.",
     "Both delegations are holding negotiations on trade."),
    ("El acuerdo ayudará a contrarrestar las sanciones occidentales.",
     "The agreement will help to counter Western sanctions."),
    ("Hay que proteger la integridad territorial y la soberanía nacional.",
     "Territorial integrity and national sovereignty must be protected."),
    ("Compré pan, leche y huevos en la tienda de la esquina.",
     "I bought bread, milk and eggs at the corner shop."),
    ("Ella escribe una carta a su abuela cada domingo.",
     "She writes a letter to her grandmother every Sunday."),
    ("El tren salió tarde y llegamos a medianoche.",
     "The train left late and we arrived at midnight."),
    ("Nadie esperaba que la reunión durara tanto tiempo.",
     "Nobody expected the meeting to last so long."),
    ("Los precios del gas subieron durante el invierno.",
     "Gas prices rose during the winter."),
    ("Quiero aprender a tocar la guitarra este verano.",
     "I want to learn to play the guitar this summer."),
    ("La selección ganó el partido en el último minuto.",
     "The national team won the match in the last minute."),
    ("El museo abre todos los días excepto los lunes.",
     "The museum opens every day except Mondays."),
    ("Según el informe, la inflación bajó por tercer mes consecutivo.",
     "According to the report, inflation fell for the third month in a row."),
    ("Los científicos descubrieron una nueva especie de rana.",
     "Scientists discovered a new species of frog."),
    ("Me duele la cabeza desde esta mañana.",
     "I have had a headache since this morning."),
    ("¿Podrías cerrar la ventana, por favor?",
     "Could you close the window, please?"),
    ("El vicepresidente agradeció el apoyo a las fuerzas armadas.",
     "The vice president thanked them for the support to the armed forces."),
    ("Se creó un comité de alto nivel entre los dos países en 2004.",
     "A high-level committee was set up between the two countries in 2004."),
    ("Desde entonces se han firmado más de cuatrocientos acuerdos.",
     "Since then more than four hundred agreements have been signed."),
    ("Venezuela tiene algunas de las mayores reservas de petróleo del mundo.",
     "Venezuela has some of the largest oil reserves in the world."),
    ("La industria extractiva está deteriorada y necesita inversión.",
     "The extractive industry is run down and needs investment."),
    ("Mi perro duerme todo el día en el sofá.",
     "My dog sleeps all day on the sofa."),
    ("Vamos a la playa si hace buen tiempo el sábado.",
     "Let's go to the beach if the weather is good on Saturday."),
    ("El libro que me prestaste es muy interesante.",
     "The book you lent me is very interesting."),
    ("Tenemos que terminar el proyecto antes del viernes.",
     "We have to finish the project before Friday."),
    ("La orquesta tocó una sinfonía de Beethoven.",
     "The orchestra played a Beethoven symphony."),
    ("Los estudiantes protestaron frente al ministerio de educación.",
     "The students protested in front of the ministry of education."),
    ("El médico le recomendó descansar y beber mucha agua.",
     "The doctor advised him to rest and drink plenty of water."),
    ("Ellos viven en un pequeño pueblo cerca del río.",
     "They live in a small village near the river."),
    ("Hoy es el cumpleaños de mi mejor amiga.",
     "Today is my best friend's birthday."),
    ("La conferencia de prensa empezó con media hora de retraso.",
     "The press conference started half an hour late."),
    ("Los agricultores necesitan lluvia para sus cosechas.",
     "Farmers need rain for their crops."),
    ("El avión aterrizó sin problemas en el aeropuerto.",
     "The plane landed without problems at the airport."),
    ("Rusia está dispuesta a facilitar el diálogo entre el gobierno y la oposición.",
     "Russia is ready to facilitate dialogue between the government and the opposition."),
    ("Esa es nuestra posición firme y nunca ha cambiado.",
     "That is our firm position and it has never changed."),
    ("La ONU existe para resolver cualquier problema entre países.",
     "The UN exists to deal with any problem between countries."),
    ("Mis abuelos se conocieron en un baile en 1950.",
     "My grandparents met at a dance in 1950."),
    ("Cuando era niño, pasaba los veranos en el campo.",
     "When I was a child, I spent the summers in the countryside."),
    ("El equipo médico atendió a más de cien pacientes.",
     "The medical team treated more than a hundred patients."),
    ("Las exportaciones de cacao crecieron un diez por ciento.",
     "Cocoa exports grew by ten percent."),
    ("¿Cuánto tiempo tardas en llegar al trabajo?",
     "How long does it take you to get to work?"),
    ("Nunca he visto una tormenta tan fuerte como esta.",
     "I have never seen a storm as strong as this one."),
    ("La película ganó tres premios en el festival.",
     "The film won three awards at the festival."),
    ("El suministro de insulina para pacientes diabéticos es una prioridad.",
     "The supply of insulin for diabetic patients is a priority."),
    ("Hablaron del uso pacífico de la energía nuclear.",
     "They talked about the peaceful use of nuclear energy."),
    ("Mañana firmaremos el contrato en la sede de la empresa.",
     "Tomorrow we will sign the contract at the company headquarters."),
    ("Los bomberos apagaron el incendio después de seis horas.",
     "Firefighters put out the fire after six hours."),
    ("La biblioteca municipal cierra a las ocho de la tarde.",
     "The city library closes at eight in the evening."),
]

ES_TWEETS = [
    "Nos reunimos hoy con el equipo de @MinEnergia para revisar los avances 💪 #Venezuela",
    "#EnFotos | Así se vivió la jornada de vacunación en Caracas 🇻🇪 pic.twitter.com/Ab12Cd34Ef",
    "¡Gracias a todos por el apoyo! Seguimos adelante 🙌🏽 #FuerzaVenezuela",
    "Hoy más que nunca, unidos por la paz. @NicolasMaduro https://t.co/xYz123",
    "Qué partidazo anoche 😍⚽ #VamosVinotinto",
    "Atención: mañana no habrá servicio de metro en la línea 2 por mantenimiento.",
    "Feliz cumpleaños a mi mamá, la mujer más fuerte que conozco ❤️",
    "Ya está disponible el nuevo informe anual 👉 https://example.org/informe",
    "Les comparto las fotos del encuentro con los productores de café ☕ #Agro",
    "Llegamos a Moscú para fortalecer la cooperación energética 🇷🇺🇻🇪",
    "¿Alguien sabe si hoy abren los bancos? 🤔",
    "Estamos en vivo desde la plaza Bolívar, acompáñennos 📺 @VTVcanal8",
    "No puedo creer que ya sea diciembre otra vez 😂",
    "Se suspenden las clases por las lluvias en todo el estado #AlertaLluvias",
    "Firmamos 17 acuerdos en materia de energía, salud y educación. pic.twitter.com/QwErTy1234",
    "Buenos días, Venezuela ☀️ ¡A trabajar con alegría!",
    "Reunión de trabajo con la delegación de China en la sede de la cancillería 🇨🇳",
    "El pueblo decidió en paz y democracia #EleccionesVE",
    "Recuerden votar temprano, las mesas cierran a las 6 pm",
    "Qué orgullo ver a nuestros atletas en el podio 🥇🥈",
]

EN_TWEETS = [
    "Great meeting today with the team at @EnergyDept to review progress 💪 #Venezuela",
    "#InPictures | Scenes from the vaccination day in Caracas 🇻🇪 pic.twitter.com/Ab12Cd34Ef",
    "Thanks everyone for the support! We keep going 🙌🏽 #StayStrong",
    "Now more than ever, united for peace. @UN https://t.co/xYz123",
    "What a game last night 😍⚽ #GoTeam",
    "Heads up: there will be no subway service on line 2 tomorrow due to maintenance.",
    "Happy birthday to my mom, the strongest woman I know ❤️",
    "The new annual report is out now 👉 https://example.org/report",
    "Sharing the photos from our meeting with coffee growers ☕ #Farming",
    "We arrived in Moscow to strengthen energy cooperation 🇷🇺🇻🇪",
    "Does anyone know if the banks are open today? 🤔",
    "We're live from Bolivar Square, join us 📺 @BBCWorld",
    "Can't believe it's December again already 😂",
    "Classes are cancelled across the state because of the rain #RainAlert",
    "We signed 17 agreements on energy, health and education. pic.twitter.com/QwErTy1234",
    "Good morning, world ☀️ Let's get to work!",
    "Working meeting with the Chinese delegation at the foreign ministry 🇨🇳",
    "The people decided in peace #Elections2024",
    "Remember to vote early, polls close at 6 pm",
    "So proud to see our athletes on the podium 🥇🥈",
]

# Code-switched lines: labelled parts joined in order (the boundary sits at the start of each part).
MIXED = [
    [("es", "Nos reunimos con el canciller para seguir afianzando los acuerdos bilaterales."),
     ("en", " — Carlos Faria (@Fariacrt) July 4, 2022")],
    [("es", "Firmamos nuevos acuerdos de cooperación energética entre ambos países."),
     ("en", " — Ministry of Energy (@MinEnergy) March 12, 2023")],
    [("en", "The minister said it plainly: "),
     ("es", "“no vamos a aceptar más sanciones contra nuestro pueblo”")],
    [("es", "Hoy tuvimos una reunión muy productiva con los productores."),
     ("en", " This is what real cooperation looks like.")],
    [("en", "I told her I would be late, "),
     ("es", "pero ella no me quiso esperar en la estación.")],
    [("es", "Me encanta esta canción, "),
     ("en", "it reminds me of the summer we spent in Miami.")],
    [("en", "We finally landed in Caracas! "),
     ("es", "Qué alegría estar de vuelta en casa con mi familia.")],
    [("es", "El presidente habló durante dos horas en cadena nacional."),
     ("en", " Nobody in the room seemed convinced by the speech.")],
    [("en", "Protesters chanted "),
     ("es", "“el pueblo unido jamás será vencido”"),
     ("en", " outside the embassy all afternoon.")],
    [("es", "La delegación rusa llegó esta mañana a Caracas."),
     ("en", " Talks are expected to focus on oil and gas.")],
    [("en", "Breaking news from the capital: "),
     ("es", "se suspenden todas las actividades escolares hasta nuevo aviso.")],
    [("es", "Gracias por venir a la conferencia de hoy, "),
     ("en", "we really appreciate your support and your questions.")],
    [("en", "Her last message was short: "),
     ("es", "“nos vemos mañana en la plaza a las ocho”")],
    [("es", "Seguimos trabajando por la paz y la soberanía de la patria."),
     ("en", " — Foreign Ministry (@ForeignMin) June 30, 2022")],
    [("en", "The banner at the rally read "),
     ("es", "“Venezuela se respeta y no se vende”"),
     ("en", " in large red letters.")],
    [("es", "Ya terminé el informe que me pidieron ayer, "),
     ("en", "so now I can finally get some sleep.")],
    [("en", "My grandmother always said "),
     ("es", "“el que madruga, Dios lo ayuda”"),
     ("en", " and she was right.")],
    [("es", "Los precios de los alimentos subieron otra vez este mes."),
     ("en", " Families are struggling to make ends meet.")],
    [("en", "The tweet, which read "),
     ("es", "“estamos listos para el diálogo con todos los sectores”"),
     ("en", ", was later deleted.")],
    [("es", "Estamos muy orgullosos del trabajo de nuestros médicos."),
     ("en", " They saved hundreds of lives during the outbreak.")],
]

# Third-language distractors: articles and tweets in neighbouring languages, some quoting Spanish names.
THIRD = [
    ("pt", "O ministro das Relações Exteriores da Venezuela reuniu-se com o seu homólogo russo em Moscou."),
    ("pt", "Os dois países assinaram acordos de cooperação no setor de petróleo e gás."),
    ("pt", "Não sabemos quando as delegações voltarão a se encontrar."),
    ("pt", "A economia do país ainda luta para sair da crise."),
    ("pt", "Obrigado a todos pelo apoio, seguimos juntos! 🇧🇷"),
    ("pt", "Amanhã vai chover no litoral e fazer frio nas montanhas."),
    ("pt", "Segundo o relatório, a inflação caiu pelo terceiro mês consecutivo."),
    ("pt", "O presidente viajará ao Brasil para a reunião do G20."),
    ("it", "Il ministro degli Esteri venezuelano ha incontrato il suo omologo russo a Mosca."),
    ("it", "I due paesi hanno firmato accordi di cooperazione nel settore del petrolio."),
    ("it", "Non sappiamo quando le delegazioni torneranno a incontrarsi."),
    ("it", "L'economia del paese fatica ancora a uscire dalla crisi."),
    ("it", "Grazie a tutti per il sostegno, andiamo avanti insieme!"),
    ("it", "Domani pioverà sulla costa e farà freddo in montagna."),
    ("it", "Secondo il rapporto, l'inflazione è scesa per il terzo mese consecutivo."),
    ("it", "Il presidente si recherà in Brasile per la riunione del G20."),
    ("fr", "Le ministre vénézuélien des Affaires étrangères a rencontré son homologue russe à Moscou."),
    ("fr", "Les deux pays ont signé des accords de coopération dans le secteur pétrolier."),
    ("fr", "Nous ne savons pas quand les délégations se retrouveront."),
    ("fr", "L'économie du pays peine encore à sortir de la crise."),
    ("fr", "Merci à tous pour votre soutien, on continue ensemble !"),
    ("fr", "Demain il pleuvra sur la côte et il fera froid en montagne."),
    ("fr", "Selon le rapport, l'inflation a baissé pour le troisième mois consécutif."),
    ("fr", "Le président se rendra au Brésil pour la réunion du G20."),
    ("ca", "El ministre d'Afers Exteriors de Veneçuela s'ha reunit amb el seu homòleg rus a Moscou."),
    ("ca", "Els dos països han signat acords de cooperació en el sector del petroli."),
    ("ca", "No sabem quan les delegacions es tornaran a trobar."),
    ("ca", "L'economia del país encara lluita per sortir de la crisi."),
    ("ca", "Gràcies a tothom pel suport, seguim endavant junts!"),
    ("ca", "Demà plourà a la costa i farà fred a les muntanyes."),
    ("ca", "Segons l'informe, la inflació va baixar per tercer mes consecutiu."),
    ("ca", "El president viatjarà al Brasil per a la reunió del G20."),
    ("de", "Der venezolanische Außenminister traf seinen russischen Amtskollegen in Moskau."),
    ("de", "Die beiden Länder unterzeichneten Abkommen über die Zusammenarbeit im Ölsektor."),
    ("de", "Wir wissen nicht, wann sich die Delegationen wieder treffen werden."),
    ("de", "Die Wirtschaft des Landes kämpft noch immer mit der Krise."),
    ("ru", "Министр иностранных дел Венесуэлы встретился с Сергеем Лавровым в Москве."),
    ("ru", "Стороны подписали соглашения о сотрудничестве в нефтяной отрасли."),
    ("ru", "Мы не знаем, когда делегации встретятся снова."),
    ("ro", "Ministrul de externe venezuelean s-a întâlnit cu omologul său rus la Moscova."),
    ("nl", "De Venezolaanse minister van Buitenlandse Zaken ontmoette zijn Russische collega in Moskou."),
]

# Written after the detector was tuned on the lists above, and never used for tuning: a check that the
# figures are not an artefact of fitting (benchmarks/data/langid_holdout.jsonl).
HOLDOUT_ES = """ventanilla cuchara tenedor almohada zapato camisa pantalón sombrero relámpago trueno
nube tormenta jardín huerto granja vaca caballo oveja cerdo gallina pájaro pescado arroz frijoles
azúcar sal pimienta aceite harina huevo mantequilla cebolla ajo tomate lechuga zanahoria papa
enfermera maestro abogado ingeniero panadero carnicero cartero bombero policía soldado
despacio temprano tarde pronto lejos cerca arriba abajo adentro afuera""".split()
HOLDOUT_EN = """spoon fork pillow shoe shirt trousers hat lightning thunder cloud storm garden orchard farm
cow horse sheep pig hen bird fish rice beans sugar salt pepper flour egg butter onion garlic lettuce
carrot potato nurse teacher lawyer engineer baker butcher postman firefighter policeman soldier
slowly early late soon far near upstairs downstairs inside outside""".split()
HOLDOUT_PAIRS_ES = """la cuchara|un zapato|mi jardín|tu caballo|sus ovejas|el panadero|muy temprano|
más tarde|bastante lejos|aquí cerca|la nube|una tormenta|el trueno|sin azúcar|poca sal|
el abogado|la enfermera|los bomberos|la granja|un huevo""".replace("\n", "").split("|")
HOLDOUT_PAIRS_EN = """the spoon|a shoe|my garden|your horse|their sheep|the baker|very early|
later on|quite far|near here|the cloud|a storm|the thunder|no sugar|little salt|
the lawyer|the nurse|the firefighters|the farm|an egg""".replace("\n", "").split("|")

# No linguistic content at all: the answer must be 'und'.
UND = [
    "pic.twitter.com/OQeZWtNQnl", "@Fariacrt @CancilleriaVE", "🇻🇪🤝🏾🇷🇺", "https://t.co/xYz123 😂😂",
    "12.5 % 300,000", "21.02.2024 03:07", "#", "— (@x) 4/7/2022", "...", "😍⚽🥇",
]


def _row(label, bucket, text, lang, spans=None):
    exp = {"lang": lang}
    if spans is not None:
        exp["spans"] = spans
    return {"label": label, "bucket": bucket, "input": text, "expected": exp}


def build() -> list[dict]:
    rows = []
    for lang, words in (("es", ES_WORDS), ("en", EN_WORDS)):
        for w in dict.fromkeys(words):
            rows.append(_row(f"word-{lang}-{w}", "word", w, lang))
    for lang, pairs in (("es", ES_PAIRS), ("en", EN_PAIRS)):
        for p in dict.fromkeys(x.strip() for x in pairs if x.strip()):
            rows.append(_row(f"pair-{lang}-{p}", "pair", p, lang))
    for i, (es, en) in enumerate(PARALLEL):
        rows.append(_row(f"sent-es-{i}", "sentence", es, "es"))
        rows.append(_row(f"sent-en-{i}", "sentence", en, "en"))
    for lang, tweets in (("es", ES_TWEETS), ("en", EN_TWEETS)):
        for i, t in enumerate(tweets):
            rows.append(_row(f"tweet-{lang}-{i}", "tweet", t, lang, [[0, len(t), lang]]))
    for i, parts in enumerate(MIXED):
        text, spans, pos = "", [], 0
        for lang, part in parts:
            spans.append([pos, pos + len(part), lang])
            text += part
            pos += len(part)
        # Majority by characters is the segment's language.
        major = max(("es", "en"), key=lambda l: sum(e - s for s, e, x in spans if x == l))
        rows.append(_row(f"mixed-{i}", "mixed", text, major, spans))
    for i, (lang, t) in enumerate(THIRD):
        rows.append(_row(f"third-{lang}-{i}", "third", t, lang))
    for i, t in enumerate(UND):
        rows.append(_row(f"und-{i}", "und", t, "und"))
    return rows


def build_holdout() -> list[dict]:
    rows = []
    for lang, words in (("es", HOLDOUT_ES), ("en", HOLDOUT_EN)):
        rows += [_row(f"hword-{lang}-{w}", "word", w, lang) for w in dict.fromkeys(words)]
    for lang, pairs in (("es", HOLDOUT_PAIRS_ES), ("en", HOLDOUT_PAIRS_EN)):
        rows += [_row(f"hpair-{lang}-{p}", "pair", p.strip(), lang) for p in pairs if p.strip()]
    return rows


def main() -> None:
    with open(HERE / "langid_holdout.jsonl", "w", encoding="utf-8") as f:
        for r in build_holdout():
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    rows = build()
    with open(HERE / "langid_eval.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # Test subset: every 4th row of each bucket, so tests stay fast but cover each kind.
    TESTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, int] = {}
    with open(TESTS / "langid_cases.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            n = seen.get(r["bucket"], 0)
            seen[r["bucket"]] = n + 1
            if n % 4 == 0:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows; buckets: {seen}")


if __name__ == "__main__":
    main()
