"""Cohorts: course groups, their enrolment, assignments and the trainer's dashboard.

The blueprint lives in views.py (not here), so that importing the package stays cheap;
its queries live in the domain (trainer.learning.cohort_queries).
"""
