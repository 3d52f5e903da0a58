"""Where the job's records come from: a sink folder, a JSON-lines file, or a Pulsar topic."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import orjson

TOPIC_SCHEMES = ("pulsar://", "pulsar+ssl://")


def read_records(source: str | Path, kind: str = "changes") -> Iterator[dict[str, Any]]:
    """The records of a JSON-lines file, of a sink folder's ``kind`` (``changes`` or ``aggregates``)
    part files, or of a topic given as ``pulsar://HOST:PORT/TOPIC`` (read up to its last message)."""
    text = str(source)
    if text.startswith(TOPIC_SCHEMES):
        yield from _topic_records(text)
        return
    path = Path(source)
    if path.is_dir():
        for part in record_files(path, kind):
            yield from _lines(part)
    elif path.exists():
        yield from _lines(path)
    else:
        raise FileNotFoundError(f"{path} does not exist")


def record_files(folder: Path, kind: str = "changes") -> list[Path]:
    """The committed part files of a sink folder (``folder/kind/``) or of a folder of them, in name order."""
    base = folder / kind if (folder / kind).is_dir() else folder
    return sorted(path for path in base.rglob("*") if path.is_file() and not path.name.startswith("."))


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                yield orjson.loads(line)


def split_topic_url(url: str) -> tuple[str, str]:
    """``pulsar://host:6650/persistent://public/default/changes`` -> (service URL, topic)."""
    scheme, _, rest = url.partition("://")
    host, _, topic = rest.partition("/")
    if not topic:
        raise ValueError(f"a topic source is pulsar://HOST:PORT/TOPIC, got {url!r}")
    return f"{scheme}://{host}", topic


def _topic_records(url: str) -> Iterator[dict[str, Any]]:
    import pulsar

    service_url, topic = split_topic_url(url)
    client = pulsar.Client(service_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
    try:
        reader = client.create_reader(topic, pulsar.MessageId.earliest)
        while reader.has_message_available():
            yield orjson.loads(reader.read_next().data())
    finally:
        client.close()
