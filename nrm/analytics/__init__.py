"""Analytics kept apart from the web application: no Django here.

The statistics pipeline (extract -> tables -> disclosure control -> revisions -> outputs),
answers to parliamentary questions, the linkage of repeat referrals, and the synthetic data
generator (:mod:`nrm.analytics.synthetic`). It reads files (the analytical extract, the
published figures, the statistics store) and the dated policy registry (:mod:`nrm.core.policy`).

The service's side (publication records, pages, the API, taking a data cut from the database,
the ``nrm stats`` and ``nrm synth`` commands) is in :mod:`nrm.stats` and :mod:`nrm.synth`;
arrows point from there to here, never back.
"""
