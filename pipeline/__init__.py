"""papers-pipeline: raw scrapes of ML-paper listings to a versioned Parquet dataset."""

__version__ = "0.1.0"
