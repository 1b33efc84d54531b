"""The benchmark configurations."""

from __future__ import annotations

from dataclasses import asdict, dataclass

LIBRARIES = ("sknn", "sklearn", "skorch")


@dataclass(frozen=True)
class Config:
    """One benchmark: a data set and a network, trained the same way by each library.

    ``kind`` is "classifier" (a ReLU network, ``hidden`` wide, softmax and
    cross-entropy) or "regressor" (the sum of ``hidden[0]`` sigmoids, squared error).
    """

    name: str
    kind: str
    n_rows: int
    n_features: int
    hidden: tuple[int, ...]
    batch_size: int
    epochs: int
    lr: float = 0.01
    momentum: float = 0.9

    def as_dict(self) -> dict:
        return asdict(self)


CONFIGS = {
    config.name: config
    for config in [
        Config("small classifier", "classifier", 20_000, 20, (100,), 200, 10),
        Config("mid-size classifier", "classifier", 60_000, 50, (256, 256), 256, 5),
        Config("sum of sigmoids", "regressor", 30_000, 10, (30,), 64, 10),
        Config("scaling 1e4 rows", "classifier", 10_000, 20, (100,), 200, 4),
        Config("scaling 1e5 rows", "classifier", 100_000, 20, (100,), 200, 4),
        Config("scaling 1e6 rows", "classifier", 1_000_000, 20, (100,), 200, 4),
    ]
}
# A tiny run that keeps the command working (CI), not a measurement.
SMOKE = [
    Config("smoke classifier", "classifier", 2_000, 10, (16,), 200, 2),
    Config("smoke regressor", "regressor", 2_000, 5, (8,), 64, 2),
]
