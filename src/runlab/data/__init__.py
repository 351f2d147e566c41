"""Dataset records: what data a run used, where it came from, and a digest of its content.

    import runlab.data

    ds = runlab.data.from_pandas(df, source="s3://bucket/train.parquet", name="train")
    ds.digest  # 8 hex characters; changes when the data changes

pandas and numpy are imported only by the functions that need them.
"""

from __future__ import annotations

from runlab.data._datasets import dataset, digest_of_file, from_numpy, from_pandas
from runlab.data._sources import DatasetSource, get_source
from runlab.entities import Dataset

__all__ = [
    "Dataset",
    "DatasetSource",
    "dataset",
    "digest_of_file",
    "from_numpy",
    "from_pandas",
    "get_source",
]
