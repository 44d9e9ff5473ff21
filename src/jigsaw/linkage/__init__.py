"""Record linkage: which agency records are the same person.

``features`` and ``comparisons`` define what is compared; ``model`` holds the trained
parameters (shipped in ``model/``); ``batch`` links the whole record table through
Splink (DuckDB or Spark); ``online`` scores a single search in process; ``service``
carries reviewers' decisions; ``evaluate`` scores it all against synthetic truth.
"""
