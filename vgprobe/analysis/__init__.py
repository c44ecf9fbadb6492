"""Analysis on top of extraction and scoring: layer sweeps, attention-head statistics, plots.

Every function returns a tidy :class:`pandas.DataFrame` (one row per measurement) that notebooks
and reports plot directly.
"""
