"""Assess stage: sanctions screening, explainable vessel risk and the vessels table."""
