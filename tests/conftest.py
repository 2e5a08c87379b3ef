"""Fixtures shared by every test group."""

from __future__ import annotations
