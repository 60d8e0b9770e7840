"""Repairs of machine-translation artefacts in English text (registry, rule families, driver)."""
