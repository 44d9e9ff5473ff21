"""Running linkage on Spark: the session settings, kept apart so they can be checked.

Splink's string similarity functions (Jaro-Winkler, Damerau-Levenshtein) are Scala
functions shipped as a jar inside the Splink package; Spark must load that jar at
start-up. Local mode (``local[N]``) runs the same plan on one machine and is how the
tests exercise it; a cluster deployment passes its own ``master`` and memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import splink

SIMILARITY_JARS = {
    3: "scala-udf-similarity-0.1.2_spark3.x.jar",
    4: "scala-udf-similarity-0.2.1_spark4.x.jar",
}


def installed_spark_major() -> int | None:
    try:
        import pyspark
    except ImportError:
        return None
    return int(pyspark.__version__.split(".")[0])


def similarity_jar(spark_major: int) -> Path:
    name = SIMILARITY_JARS.get(spark_major)
    if name is None:
        raise ValueError(f"Splink has no similarity functions for Spark {spark_major}")
    return Path(splink.__file__).parent / "internals" / "files" / "spark_jars" / name


def spark_config(
    *,
    master: str = "local[2]",
    driver_memory: str = "4g",
    shuffle_partitions: int = 8,
    spark_major: int | None = None,
    scratch: Path | None = None,
) -> dict[str, str]:
    """Settings for a linkage session.

    Few shuffle partitions: Spark's default of 200 makes hundreds of tiny tasks on
    one machine. The UI and the network-facing bind are off for local runs.
    """
    major = spark_major or installed_spark_major() or 4
    config = {
        "spark.master": master,
        "spark.app.name": "jigsaw-linkage",
        "spark.driver.memory": driver_memory,
        "spark.jars": str(similarity_jar(major)),
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.default.parallelism": str(shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    if master.startswith("local"):
        config["spark.driver.bindAddress"] = "127.0.0.1"
        config["spark.driver.host"] = "127.0.0.1"
    if scratch is not None:
        config["spark.local.dir"] = str(scratch)
        config["spark.sql.warehouse.dir"] = str(scratch / "warehouse")
    return config


def start_session(config: dict[str, str]) -> Any:
    """A Spark session with ``config`` (needs pyspark: ``uv sync --extra spark``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RuntimeError(
            "The Spark backend needs pyspark: install the project with its 'spark' extra"
        ) from exc
    builder = SparkSession.builder
    for key, value in config.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    scratch = config.get("spark.local.dir")
    if scratch:
        session.sparkContext.setCheckpointDir(f"{scratch}/checkpoints")
    return session
