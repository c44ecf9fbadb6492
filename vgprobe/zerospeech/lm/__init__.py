"""ZeroSpeech 2021 language-model tasks scored from per-file scores: lexical (sWUGGY) and syntactic (sBLIMP).

Modules: ``score_file`` (the strict ``<filename> <score>`` reader), ``gold`` (the gold
files), ``stats`` (comparisons and group summaries), ``results`` (the id order and the
pandas/JSON output of result rows), ``lexical`` and ``syntactic`` (the scorers),
``baseline`` (a frame-level log-likelihood baseline that writes score files).
"""
