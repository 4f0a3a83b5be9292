"""Checks of the deployment files (asterisk_conf/, deploy/, Dockerfile, compose, vendor)."""
