"""The Spark backend: its configuration always; a local-mode run on request.

The local run starts a JVM and takes about a minute, so it runs only with pyspark
installed (``uv sync --extra spark``) and ``JIGSAW_TEST_SPARK=1`` set.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from jigsaw.db import Database
from jigsaw.linkage.batch import run_linkage
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.spark import similarity_jar, spark_config


def test_config_loads_splinks_similarity_jar_and_stays_local() -> None:
    config = spark_config(master="local[2]", spark_major=4, scratch=Path("/tmp/x"))
    assert Path(config["spark.jars"]).is_file()
    assert config["spark.jars"].endswith("spark4.x.jar")
    assert config["spark.driver.bindAddress"] == "127.0.0.1"
    assert config["spark.ui.enabled"] == "false"
    assert config["spark.sql.shuffle.partitions"] == "8"
    assert config["spark.local.dir"] == "/tmp/x"
    assert similarity_jar(3).name.endswith("spark3.x.jar")
    cluster = spark_config(master="spark://linkage:7077", spark_major=4)
    assert "spark.driver.bindAddress" not in cluster
    with pytest.raises(ValueError):
        similarity_jar(2)


def test_spark_settings_carry_the_trained_parameters() -> None:
    model = LinkageModel.load()
    duck = model.splink_settings_for(1000)
    spark = model.splink_settings_for(1000, "spark")
    assert spark["sql_dialect"] == "spark"
    assert (
        spark["probability_two_random_records_match"]
        == duck["probability_two_random_records_match"]
    )
    for a, b in zip(duck["comparisons"], spark["comparisons"], strict=True):
        assert [lv.get("m_probability") for lv in a["comparison_levels"]] == [
            lv.get("m_probability") for lv in b["comparison_levels"]
        ]
    sql = " ".join(
        lv["sql_condition"] for c in spark["comparisons"] for lv in c["comparison_levels"]
    )
    assert "jaro_winkler(" in sql and "jaro_winkler_similarity" not in sql


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or os.environ.get("JIGSAW_TEST_SPARK") != "1",
    reason="opt-in: needs the 'spark' extra and a JVM; `make test-spark` (run by CI) runs it",
)
def test_local_spark_links_like_duckdb(
    private_database: Database, test_model: LinkageModel, tmp_path: Path
) -> None:
    from jigsaw.linkage.spark import start_session
    from jigsaw.synthetic.service import generate_population

    generate_population(private_database, children=25, seed=9, batch_size=25, progress=False)
    spark = start_session(spark_config(master="local[1]", shuffle_partitions=2, scratch=tmp_path))
    try:
        summary = run_linkage(private_database, model=test_model, backend="spark", spark=spark)
    finally:
        spark.stop()
    assert summary.backend == "spark"
    assert summary.records_linked == summary.records > 0
    assert summary.persons_created < summary.records
