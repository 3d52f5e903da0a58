"""Reading the job's output: change streams materialized into values, and where records come from.

    from changestream import Timelines, read_records
    timelines = Timelines(read_records("out"))         # a sink folder, a JSON-lines file, or pulsar://.../topic
    timelines.value("s1", "cirr", 8500)                 # 1500: the value of timeline cirr of key s1 at 8500
"""
from changestream.records import read_records
from changestream.timelines import Timelines

__all__ = ["Timelines", "read_records"]
