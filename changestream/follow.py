"""Following a job's output as it grows: new records of a sink folder or a topic, batch by batch."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import orjson

from changestream.records import TOPIC_SCHEMES, record_files, split_topic_url


class FolderFollower:
    """New records of a sink folder's committed part files (``changes/`` and ``aggregates/``) since the last call."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.offsets: dict[Path, int] = {}

    def poll(self) -> list[dict[str, Any]]:
        parts = [part for kind in ("changes", "aggregates") if (self.folder / kind).is_dir()
                 for part in record_files(self.folder, kind)] or record_files(self.folder)
        records = []
        for part in parts:
            with part.open("rb") as file:
                file.seek(self.offsets.get(part, 0))
                data = file.read()
            complete = data[: data.rfind(b"\n") + 1]  # a line being written waits for the next poll
            self.offsets[part] = self.offsets.get(part, 0) + len(complete)
            records += [orjson.loads(line) for line in complete.splitlines() if line.strip()]
        return records

    def close(self) -> None:
        pass


class TopicFollower:
    """New records of a topic (``pulsar://HOST:PORT/TOPIC``), read from its start."""

    def __init__(self, url: str):
        import pulsar

        service_url, topic = split_topic_url(url)
        self.client = pulsar.Client(service_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
        self.reader = self.client.create_reader(topic, pulsar.MessageId.earliest)

    def poll(self) -> list[dict[str, Any]]:
        records = []
        while len(records) < 10_000 and self.reader.has_message_available():
            records.append(orjson.loads(self.reader.read_next().data()))
        return records

    def close(self) -> None:
        self.client.close()


def follower(source: str) -> FolderFollower | TopicFollower:
    """A follower of a sink folder or of a topic given as ``pulsar://HOST:PORT/TOPIC``."""
    if source.startswith(TOPIC_SCHEMES):
        return TopicFollower(source)
    folder = Path(source)
    if not folder.is_dir():
        raise FileNotFoundError(f"{source} is neither a sink folder nor pulsar://HOST:PORT/TOPIC")
    return FolderFollower(folder)


def batches(sources: list[FolderFollower | TopicFollower]) -> Iterator[list[dict[str, Any]]]:
    """The new records of all ``sources`` at each step, for ever."""
    while True:
        yield [record for source in sources for record in source.poll()]
