"""Cohorts: course groups, their enrolment, assignments and the trainer's dashboard.

The blueprint lives in views.py (not here) because trainer.policy imports
trainer.cohorts.queries, and the views import trainer.policy.
"""
