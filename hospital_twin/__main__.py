"""``python -m hospital_twin`` runs the command line."""

from hospital_twin.cli import entry

entry()
