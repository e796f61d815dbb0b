"""Cryptography: GnuPG for submissions and replies."""
