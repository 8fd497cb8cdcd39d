"""Synthetic data inside the service: ``nrm synth --into-db`` fills the database through the
services (:mod:`nrm.synth.database`) from what :mod:`nrm.analytics.synthetic` generates, and
:mod:`nrm.synth.invariants` checks the result.

Submodules are not imported here, so loading the Django app stays cheap.
"""
