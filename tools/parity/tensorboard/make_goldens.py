"""TensorBoard's own serialisation of the events our EventFileWriter writes, as hex goldens.

Uses the `tensorboard` package (its event proto and its TFRecord writer), so the test compares our bytes with
the official writer's. Usage: python make_goldens.py > tests/data/tensorboard_goldens.json
"""
import io
import json

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

CASES = [
    {"wall_time": 1795600000.25, "step": 0, "tag": "train/loss", "value": 30.827362060546875},
    {"wall_time": 1795600012.5, "step": 20, "tag": "train/lr/backbone", "value": 1e-05},
    {"wall_time": 1795600099.0, "step": 1234567, "tag": "eval/R@1", "value": 0.4375},
    {"wall_time": 1795600100.0, "step": 300, "tag": "train/loss_ce", "value": -2.5},
]


def framed(event):
    buf = io.BytesIO()
    RecordWriter(buf).write(event.SerializeToString())
    return buf.getvalue().hex()


def main():
    out = {"file_version": {"wall_time": 1795600000.0,
                            "hex": framed(event_pb2.Event(wall_time=1795600000.0, file_version="brain.Event:2"))},
           "scalars": []}
    for c in CASES:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=c["tag"], simple_value=c["value"])])
        event = event_pb2.Event(wall_time=c["wall_time"], step=c["step"], summary=summary)
        out["scalars"].append(dict(c, hex=framed(event)))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
