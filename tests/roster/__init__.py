"""Roster tests (a package so that test_io.py here and in tests/scenario/ do not clash)."""
