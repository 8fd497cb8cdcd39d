"""Synthetic NRM data calibrated to the published Home Office statistics.

No Django (NumPy, PyArrow, Polars; Faker for names). One generator with a profile for each use,
:mod:`nrm.analytics.synthetic.generator` (``calibrated``, ``fixture``, ``linkage``, ``queue``), over:

* :mod:`nrm.analytics.synthetic.calibration` - the target distributions, loaded from ``data/published``;
* :mod:`nrm.analytics.synthetic.extract` - ``generate_referrals``, ``generate_duty_to_notify``,
  ``generate_reviews``, ``generate_support``, ``generate_reconsiderations``, ``write_table``, ``write_referrals``,
  ``repeat_referral_truth``;
* :mod:`nrm.analytics.synthetic.fixtures` - ``generate_extract``, a small uncalibrated extract for tests;
* :mod:`nrm.analytics.synthetic.identities` - linkage input with identities and noise, and the truth;
* :mod:`nrm.analytics.synthetic.caseload` - a case load in lifecycle states for the queue benchmark;
* :mod:`nrm.analytics.synthetic.people` - ``generate_people`` (names and dates of birth);
* :mod:`nrm.analytics.synthetic.report` - ``calibration_report``, ``format_report``, ``report_chart``;
* :mod:`nrm.analytics.synthetic.cli` - ``add_arguments`` / ``run`` for the ``nrm synth`` command.

Filling the service's database from this output is the Django side's job (``nrm.synth.database``).
"""
