"""A small Impero school for the console's tests: eight classes, their teachers, and
the real-export quirks (a BOM, odd case, blank cells, stray spaces)."""

from __future__ import annotations

from pathlib import Path

CLASSES = {
    "Potions": "Severus_Snape",
    "Dark Arts": "Amycus_Carrow",
    "Flying": "Rolanda_Hooch",
    "Muggle Studies": "Charity_Burbage",
    "Charms": "Filius_Flitwick",
    "Transfiguration": "Minerva_McGonagall",
    "Herbology": "Pomona_Sprout",
    "Astronomy": "Aurora_Sinistra",
}
FIRST = [
    "Harry",
    "Ron",
    "Hermione",
    "Neville",
    "Luna",
    "Ginny",
    "Dean",
    "Seamus",
    "Parvati",
    "Lavender",
    "Cho",
    "Cedric",
    "Hannah",
    "Ernie",
    "Susan",
    "Justin",
    "Padma",
    "Terry",
]
LAST = [
    "Potter",
    "Weasley",
    "Granger",
    "Longbottom",
    "Lovegood",
    "Thomas",
    "Finnigan",
    "Patil",
    "Brown",
    "Chang",
    "Diggory",
    "Abbott",
    "Macmillan",
    "Bones",
]


def students() -> list[str]:
    """Sixty students, each in two or three classes."""
    names = [f"{FIRST[i % len(FIRST)]}_{LAST[(i * 7) % len(LAST)]}{i:02d}" for i in range(60)]
    classes = list(CLASSES)
    rows = []
    for i, name in enumerate(names):
        for k in range(2 + i % 2):
            rows.append(f"{name},{classes[(i + 3 * k) % len(classes)]}")
    return rows


def teachers() -> list[str]:
    rows = [f"{teacher},{group}" for group, teacher in CLASSES.items()]
    rows.append("Severus_Snape,Dark Arts")
    return rows


def write_school(folder: Path, *, drop: tuple[str, ...] = (), bad_rows: bool = False) -> None:
    """Write ``teachers.csv`` and ``students.csv``; ``drop`` leaves classes' students out,
    ``bad_rows`` adds rows an SIS export gets wrong (a blank username, a blank class)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [r for r in students() if r.split(",", 1)[1] not in drop]
    if bad_rows:
        rows += [",Potions", "Draco_Malfoy,", "  ,  "]
    body = "Version,1\r\nUserName,Class\r\n" + "\r\n".join(rows) + "\r\n"
    (folder / "students.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (folder / "teachers.csv").write_text(
        "version,1\nusername,class\n" + "\n".join(teachers()) + "\n", encoding="utf-8"
    )
