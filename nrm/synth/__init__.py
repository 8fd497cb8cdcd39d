"""Synthetic NRM data calibrated to the published Home Office statistics.

A library with no Django dependency (NumPy, PyArrow, Polars; Faker for names):

* :mod:`nrm.synth.calibration` - the target distributions, loaded from ``data/published``;
* :mod:`nrm.synth.extract` - ``generate_referrals``, ``generate_duty_to_notify``,
  ``generate_reviews``, ``generate_support``, ``write_table``, ``write_referrals``,
  ``repeat_referral_truth``;
* :mod:`nrm.synth.people` - ``generate_people`` (names and dates of birth);
* :mod:`nrm.synth.report` - ``calibration_report``, ``format_report``, ``report_chart``;
* :mod:`nrm.synth.cli` - ``add_arguments`` / ``run`` for the ``synth`` management command.

Submodules are not imported here, so loading the Django app stays cheap.
"""
