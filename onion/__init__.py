"""Sealdrop's onion services: the only package that talks to Tor (through stem).

It knows nothing of Sealdrop itself: it is given a state directory and the loopback addresses
the web apps listen on, and imports no other project package (see docs/architecture.md).
"""
