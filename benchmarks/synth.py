"""Synthetic articles shaped like the seeds: English news text with a dateline, Spanish tweet embeds
(handles, hashtags, emoji, pic.twitter.com links, "— Name (@handle) Month D, YYYY"), quotes, and machine-
translation artefacts (glued words such as "CaracasAfter", Title Case runs, "Possess X It has").

``python benchmarks/synth.py OUT_DIR --articles 1000 --seed 0`` writes OUT_DIR/NNNNN_<hex>.txt.
Deterministic: the same seed and count give byte-identical files.
"""
from __future__ import annotations

import argparse
import hashlib
import random
from pathlib import Path

PEOPLE = ["Sergey Lavrov", "Carlos Faría", "Delcy Rodríguez", "Yvan Gil Pinto", "Nicolás Maduro",
          "Dmitry Chernychenko", "Luiz Inácio Lula", "Gustavo Petro", "Xiomara Castro", "Andrés Arauz"]
PLACES = ["Caracas", "Moscow", "Havana", "Brasília", "Bogotá", "Managua", "La Paz", "Quito", "Beijing"]
TOPICS = ["nuclear energy", "oil production", "agriculture", "pharmaceuticals", "space exploration",
          "gas fields", "insulin supply", "trade in local currencies", "railway construction", "tourism"]
ORGS = ["OPEC+", "the Gas Exporting Countries Forum", "the United Nations", "BRICS", "CELAC", "ALBA"]
HANDLES = ["@CancilleriaVE", "@Fariacrt", "@NicolasMaduro", "@MID_RF", "@yvangil", "@PresidenciaVE"]
HASHTAGS = ["#EnFotos", "#Moscú", "#Venezuela", "#Cooperación", "#PetróleoSoberano", "#BRICS"]
EMOJI = ["🇻🇪", "🇷🇺", "🤝🏾", "✅", "📸", "🇨🇺", "🌎"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]

EN_SENTENCES = [
    "{p1} met with his counterpart {p2} in {place} on {day} to discuss {topic}.",
    "The two governments agreed to expand cooperation in {topic} and {topic2}, according to {org}.",
    "\"We have agreed to increase the pace and volume of cooperation in all these areas,\" {p1} said.",
    "More than {n} agreements have been signed between the two countries since {year}.",
    "Production reached {n},000 barrels per day in {year}, the ministry said in a statement.",
    "{p2} thanked the delegation for its support and praised the work of {org}.",
    "Officials in {place} said the talks would continue next month with a focus on {topic}.",
    "The sanctions regime \"did not meet their expectations,\" {p1} told reporters in {place}.",
]
ES_TWEETS = [
    "Nos reunimos con {p1} para seguir afianzando los acuerdos bilaterales entre Venezuela y Rusia.",
    "{hashtag} | Los cancilleres sostienen negociaciones en {place} para profundizar la alianza estratégica "
    "en favor de ambos pueblos {emoji}.",
    "Firmamos {n} acuerdos de cooperación en materia de {topic_es} con nuestros hermanos de {place}.",
    "Hoy recibimos a la delegación de {place}. Seguiremos trabajando por la paz y la soberanía {emoji}",
    "Gran encuentro con {p2} en {place}. ¡Avanzamos juntos! {hashtag} {emoji}",
]
TOPICS_ES = ["energía", "agricultura", "salud", "educación", "petróleo", "comercio", "turismo"]


def _artefact(rng: random.Random, sentence: str, place: str) -> str:
    """Apply one machine-translation artefact of the kinds the seeds show (or none)."""
    roll = rng.random()
    if roll < 0.15:  # glued sentence boundary: "in CaracasAfter the meeting"
        return f"{sentence[:-1]} in {place}After the meeting, talks went on."
    if roll < 0.25:  # Title Case run from a heading-like translation
        words = sentence.split()
        k = rng.randrange(1, max(2, len(words) - 3))
        return " ".join(w.capitalize() if i in range(k, k + 4) else w for i, w in enumerate(words))
    if roll < 0.32:  # verb-first mistranslation with doubled subject
        return f"Possess {place.split()[0]} It has some of the largest reserves in the region."
    return sentence


def article(index: int, seed: int = 0) -> str:
    """One article (deterministic in ``index`` and ``seed``).

    >>> article(3, seed=1) == article(3, seed=1)
    True
    >>> sum("pic.twitter.com/" in article(i) for i in range(20)) > 5
    True
    """
    rng = random.Random(f"{seed}:{index}")
    place = rng.choice(PLACES)
    year = rng.randrange(2018, 2025)
    month, day = rng.choice(MONTHS), rng.randrange(1, 29)

    def fill(template: str) -> str:
        p1, p2 = rng.sample(PEOPLE, 2)
        t1, t2 = rng.sample(TOPICS, 2)
        return template.format(p1=p1, p2=p2, place=rng.choice(PLACES), day=f"{month} {day}", topic=t1,
                               topic2=t2, org=rng.choice(ORGS), n=rng.randrange(3, 400), year=year,
                               hashtag=rng.choice(HASHTAGS), emoji="".join(rng.sample(EMOJI, 2)),
                               topic_es=rng.choice(TOPICS_ES))

    p1, p2 = rng.sample(PEOPLE, 2)
    lines = [f"{p1.split()[-1]}: {place} And Partners Consider Promising Cooperation On {rng.choice(TOPICS).title()}",
             f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d} GMT {day:02d}.{MONTHS.index(month) + 1:02d}.{year}",
             f"{place.upper()} (Sputnik) - " + fill(rng.choice(EN_SENTENCES))]
    for _ in range(rng.randrange(3, 7)):
        para = " ".join(_artefact(rng, fill(rng.choice(EN_SENTENCES)), place) for _ in range(rng.randrange(1, 4)))
        lines.append(para)
        if rng.random() < 0.45:
            handle = rng.choice(HANDLES)
            link = "pic.twitter.com/" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789")
                                               for _ in range(10))
            prefix = f"{rng.randrange(1, 4)}/4 " if rng.random() < 0.3 else ""
            lines.append(f"{prefix}{fill(rng.choice(ES_TWEETS))} {link} — {rng.choice(PEOPLE)} ({handle}) "
                         f"{month} {day}, {year}")
    sep = "\n\n" if rng.random() < 0.5 else "\n"
    return sep.join(lines) + "\n"


def generate(out_dir: str | Path, articles: int, seed: int = 0) -> list[Path]:
    """Write ``articles`` files into ``out_dir`` (created); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(articles):
        text = article(i, seed)
        name = f"{i:05d}_{hashlib.sha1(f'{seed}:{i}'.encode()).hexdigest()[:12]}.txt"
        (out / name).write_text(text, encoding="utf-8")
        paths.append(out / name)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    paths = generate(args.out_dir, args.articles, args.seed)
    print(f"wrote {len(paths)} articles to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
